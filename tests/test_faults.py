"""The fault matrix cell by cell, the per-model circuit breaker, quota awareness and the `/key` reader."""
import asyncio, json, time
from pathlib import Path
import httpx2, openai, pytest
from borg_llm.config import load_roster
from borg_llm.client import Breaker, Panel, QuotaExhausted, quota_error
from borg_llm.key import akey_info, key_info, key_line
from borg_llm.testing.faults import (CASES, FACTS, POSITIONS, FaultMatrix, afault_matrix, matrix_markdown, matrix_settings)
from borg_llm.pipeline import analyze_with_llm
from borg_llm.prompts import render
from borg_llm.testing import Fault

ROSTER = load_roster()
ARCH = ROSTER.architect
FAST = dict(timeout=10, max_retries=1)  # settings of the single-panel tests: one SDK retry, no timeout on the way
BENCH = Path(__file__).resolve().parent.parent/"bench"/"FAULT_MATRIX.md"
pytestmark = pytest.mark.usefixtures("fresh_limiter")

# Chat requests a correct client sends for one analysis (4 without faults: three specialists, then the aggregator),
# per case and position (one specialist, all specialists, the aggregator), on an idle machine. Per faulted role: +1
# for an SDK retry or a re-ask; +2 for a primary that fails twice (request and SDK retry) before its fallback; +0 for a
# provider failure OpenRouter's routing list absorbs; a quota costs one request and the aggregator is not asked after
# it; a fault on every model costs its requests on each model of the role: three per specialist, two for the
# aggregator.
REQUESTS = {
    "429, no Retry-After": (5, 7, 5), "429, short Retry-After": (5, 7, 5), "429 from the primary, every time": (6, 10, 6),
    "429, Retry-After 10 h (daily quota)": (3, 3, 4), "402 out of credits": (3, 3, 4),
    "500": (4, 4, 4), "502": (4, 4, 4), "503": (4, 4, 4), "404 no endpoints": (4, 4, 4), "unknown model id": (4, 4, 4),
    "hang past the timeout": (6, 10, 6), "dropped connection": (6, 10, 6),
    "error inside a 200": (5, 7, 5), "error body in a 200": (5, 7, 5), "empty choices": (5, 7, 5),
    "invalid JSON": (5, 7, 5), "schema violation": (5, 7, 5), "`<think>` before the JSON": (4, 4, 4),
    "JSON in markdown fences": (4, 4, 4), "503 from every model": (5, 6, 5), "hang on every model": (9, 18, 7),
    "dropped on every model": (9, 18, 7), "invalid JSON from every model": (12, 27, 9)}


@pytest.fixture(scope="module")
def matrix():
    "The whole matrix, once: cells run concurrently, each against its own stand-in."
    cells = asyncio.run(afault_matrix(settings=matrix_settings(timeout=1.0, max_retries=1), concurrency=8))  # 1 s: a busy CI machine
    return {(c.fault, c.position): c for c in cells}

def want_requests(case, position) -> int:
    "What `REQUESTS` expects of `case` at `position`."
    return REQUESTS[case.label][list(POSITIONS).index(position)]

def test_every_case_has_its_request_counts():
    assert set(REQUESTS) == {c.label for c in CASES} and list(POSITIONS) == ["one specialist", "all specialists",
                                                                             "aggregator"]

@pytest.mark.parametrize("position", list(POSITIONS))
@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_matrix_cell(matrix, case, position):
    cell = matrix[(case.label, position)]
    assert cell.observed == case.expect, cell
    assert cell.passed, cell  # the fault fired, the error is named, every other role answered
    n_roles = len(POSITIONS[position])
    if case.expect == "degraded":
        assert cell.status == ("failed" if position == "all specialists" else "degraded"), cell
    else: assert cell.status == "ok", cell
    # exactly the requests of a correct run; a busy machine may add one SDK retry per faulted role (a request that
    # outlived the timeout), not the walk of a routing list model by model
    want = want_requests(case, position)
    assert want <= cell.requests <= want + n_roles, (cell, want)

def test_quota_cells_exact(matrix):
    "A quota costs exactly one request per faulted role; the aggregator is not asked after all specialists ran out."
    for label in ("429, Retry-After 10 h (daily quota)", "402 out of credits"):
        assert [matrix[(label, p)].requests for p in POSITIONS] == [3, 3, 4]

def test_matrix_table(matrix):
    t = matrix_markdown(FaultMatrix(matrix.values()))
    assert t.count("| pass |") == len(CASES) * len(POSITIONS) and "FAIL" not in t
    assert t.strip().endswith(f"{len(CASES) * len(POSITIONS)}/{len(CASES) * len(POSITIONS)} cells hold their expected outcome.")
    assert "resets at" not in t  # deterministic: no clock in the table


# ---------- circuit breaker ----------
async def test_breaker_skips_dead_model(srv, settings):
    "A hanging primary costs its timeouts only until the breaker opens; then the fallback answers at once."
    srv.configure(faults=[Fault("hang", model=ARCH.model, hang_s=30)])
    s, br = settings(srv, **{**FAST, "timeout": 0.5}), Breaker(threshold=2, cooldown_s=600)
    async with Panel(s, ROSTER, cache="off", breaker=br) as p:
        calls = [await p.ask("architect", render("architect", {**FACTS, "name": f"p{i}"}).messages) for i in range(6)]
        assert all(c.ok and c.model_answered == ARCH.fallbacks[0] for c in calls)
        to_primary = [r for r in srv.stats.chat if r.model == ARCH.model]
        assert len(to_primary) == 2 * (s.max_retries + 1)  # threshold x (1 + SDK retry), then never again
        assert [c.http_requests for c in calls] == [3, 3, 1, 1, 1, 1]
        assert not br.allow(ARCH.model)
        later = srv.stats.chat[len(to_primary) + 2:]
        assert all(ARCH.model not in (r.body.get("models") or []) for r in later)  # not even in the routing list
        assert "circuit open" not in (calls[-1].error or "") and calls[-1].latency_s < s.timeout
        # after the cool-down the primary is tried again; it has recovered, so the circuit closes
        srv.configure(faults=[]); br.opened[ARCH.model] -= 601
        c = await p.ask("architect", render("architect", {**FACTS, "name": "after"}).messages)
        assert c.ok and c.model_answered == ARCH.model and br.allow(ARCH.model) and ARCH.model not in br.fails

async def test_breaker_all_open_fails_fast(srv, settings):
    "When every model of a role is open, the role fails at once, naming the open circuits, without a request."
    br = Breaker(threshold=1, cooldown_s=600)
    for m in ARCH.models: br.record(m, False)
    async with Panel(settings(srv, **FAST), ROSTER, cache="off", breaker=br) as p:
        c = await p.ask("architect", render("architect", FACTS).messages)
    assert not c.ok and c.error.count("circuit open") == len(ARCH.models) and srv.stats.chat == []


# ---------- quota awareness ----------
@pytest.mark.parametrize("fault, what", [(Fault("402"), "credits exhausted"),
                                         (Fault("429", retry_after=3600), "daily request quota exhausted")])
async def test_quota_no_retry_storm(srv, settings, fault, what):
    "A 402 or a 429 with a long Retry-After: one request, no SDK retry, no fallback, the quota named."
    srv.configure(faults=[fault])
    async with Panel(settings(srv, **{**FAST, "max_retries": 2}), ROSTER, cache="off") as p:
        c = await p.ask("architect", render("architect", FACTS).messages)
    assert len(srv.stats.chat) == 1 and c.http_requests == 1 and c.fallbacks_tried == []
    assert not c.ok and what in c.error and c.quota["what"].startswith(what) and c.model_answered is None

async def test_daily_limit_message_recognised(srv, settings):
    "OpenRouter's free-models-per-day 429: recognised as a quota with its reset time; the analysis stops asking."
    srv.configure(daily_limit=2)
    async with Panel(settings(srv, **{**FAST, "max_retries": 2}), ROSTER, cache="off") as p:
        a = await analyze_with_llm(FACTS, panel=p)
    m = a["llm_results"]["metadata"]
    assert len(srv.stats.chat) == 3 and srv.stats.n_429 == 1  # 2 accepted, 1 refused, no retry and no aggregator
    assert m["quota"]["what"] == "daily request quota exhausted (HTTP 429)"
    assert m["quota"]["resets_at"].endswith("T00:00+00:00")
    assert m["roles"]["aggregator"]["error"].startswith("not asked: daily request quota exhausted")

def _429(msg, retry_after=None):
    req = httpx2.Request("POST", "http://127.0.0.1/api/v1/chat/completions")
    body = {"error": {"code": 429, "message": msg}}
    resp = httpx2.Response(429, headers={"retry-after": retry_after} if retry_after else {}, json=body, request=req)
    return openai.RateLimitError(msg, response=resp, body=body)

def test_quota_error_kinds():
    assert isinstance(quota_error(_429("Rate limit exceeded: free-models-per-day. Add 10 credits")), QuotaExhausted)
    assert isinstance(quota_error(_429("Rate limit exceeded: 50 requests per day")), QuotaExhausted)
    assert isinstance(quota_error(_429("slow down", retry_after="121")), QuotaExhausted)
    assert quota_error(_429("Rate limit exceeded: free-models-per-min.", retry_after="20")) is None  # the SDK waits for it
    assert quota_error(_429("temporarily rate-limited upstream")) is None


# ---------- /key ----------
async def test_key_info_counts_down(srv, settings):
    srv.configure(daily_limit=50)
    s = settings(srv, **FAST)
    before = await akey_info(s)
    async with Panel(s, ROSTER, cache="off") as p: await analyze_with_llm(FACTS, panel=p)
    after = await akey_info(s)
    assert [r.path for r in srv.stats.records if not r.chat] == ["/api/v1/key"] * 2
    assert all(r.headers["authorization"] == "<redacted>" for r in srv.stats.records)  # the key travels in the header
    assert (before["limit_remaining"], after["limit_remaining"], after["requests_today"]) == (50, 46, 4)
    assert after["is_free_tier"] and key_line(after) == "free tier: unlimited credit, 0 spent today; 4/50 requests today"

def test_key_info_blocking(srv, settings):
    info = key_info(settings(srv, **FAST))
    assert info["label"] == "stand-in" and "daily_limit" in info and "\n" not in key_line(info)

async def test_breaker_ignores_invalid_answers(srv, settings):
    "Answers that fail validation for some inputs do not make a model dead: the breaker counts only transport and provider failures."
    from borg_llm.testing import schema_instance
    bad = lambda body, schema: {**schema_instance(schema), "market_viability": 11} if "bad-" in json.dumps(body) else None
    srv.configure(answer_fn=bad)
    br = Breaker(threshold=2, cooldown_s=600)
    async with Panel(settings(srv, **FAST), ROSTER, cache="off", breaker=br) as p:
        for i in range(3):
            c = await p.ask("business", render("business", {**FACTS, "name": f"bad-{i}"}).messages)
            assert not c.ok and "market_viability" in c.error
        c = await p.ask("business", render("business", {**FACTS, "name": "good"}).messages)
    assert c.ok and c.model_answered == ROSTER.business.model and all(br.allow(m) for m in ROSTER.business.models)


# ---------- the table in bench/ and the entry point ----------
def test_bench_table_up_to_date(matrix):
    from borg_llm.testing.faults import HEADER
    committed = BENCH.read_text().split("\n## Damage to the machine")[0] # the machine's matrix follows (34_env_faults)
    assert committed.startswith(HEADER)
    # outcomes here; the request counts are checked cell by cell above, with room for a busy machine
    cols = lambda line: [x.strip() for x in line.split(" | ")[:4]] + [line.rsplit(" | ", 1)[-1]]
    rows = lambda text: [cols(l) for l in text.splitlines() if l.startswith("| ") and not l.startswith("| fault")]
    assert rows(committed) == rows(matrix_markdown(FaultMatrix(matrix.values()))), "run: python -m borg_llm.testing.faults --out bench/FAULT_MATRIX.md"
    # and its request counts are the ones a correct client sends
    counts = {(l.split(" | ")[0].lstrip("| ").replace("\\|", "|"), l.split(" | ")[1]): int(l.split(" | ")[5])
              for l in committed.splitlines() if l.startswith("| ") and not l.startswith("| fault")}
    assert counts == {(c.label, p): want_requests(c, p) for c in CASES for p in POSITIONS}

def test_module_entry_point():
    import subprocess, sys
    p = subprocess.run([sys.executable, "-m", "borg_llm.testing.faults", "--help"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "--out" in p.stdout and "fault matrix" in p.stdout


# ---------- the shared limiter outlives event loops ----------
def test_shared_limiter_survives_a_new_event_loop():
    "analyze() twice in a script runs two event loops; both contend for one process-wide limiter."
    from borg_llm.ratelimit import RateLimiter
    lim = RateLimiter(5, 0.5)
    async def one():
        async with lim.slot(): pass  # a request answered at once
    async def contend(): await asyncio.gather(*[one() for _ in range(8)])
    t0 = time.monotonic()
    asyncio.run(contend())
    asyncio.run(contend())
    assert lim.acquired == 16 and lim._inflight == 0 and time.monotonic() - t0 > 1.0  # 16 at 5 per 0.5 s need three refills


# ---------- OpenRouter's routing list is not walked twice ----------
async def test_routed_failure_is_not_retried_model_by_model(srv, settings):
    "A 503 for a request that carried the routing list means OpenRouter tried every model: one request, no walk."
    srv.configure(faults=[Fault("503")])
    async with Panel(settings(srv, **{**FAST, "max_retries": 0}), ROSTER, cache="off") as p:
        c = await p.ask("architect", render("architect", FACTS).messages)
    sent = len(srv.stats.chat)
    assert not c.ok and "503" in c.error, c.error
    assert (sent, c.http_requests) == (1, 1), (sent, c.fallbacks_tried)
