"""The pipeline end to end against the stand-in: the result contract, timing overlap, rate limit, faults, key hygiene,
a lost rate window."""
import asyncio, gc, json, os, subprocess, sys
from pathlib import Path
import pytest
from borg_llm.config import ROLES, Settings, load_roster, ConfigError
from borg_llm.client import Panel
from borg_llm.pipeline import analyze_with_llm, analyze
from borg_llm.schemas import ROLE_SCHEMAS, RESULT_KEYS
from borg_llm.testing import StandIn, Fault
from borg_llm.ratelimit import RateLimiter, RateStorageError

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT/"data"/"samples").glob("*.json"))
KEY = "sk-or-v1-THIS-IS-A-TEST-KEY-0123456789abcdef"

def facts(i=0, name=None):
    f = json.loads(SAMPLES[i % len(SAMPLES)].read_text())
    if name: f["name"] = name
    return f

@pytest.fixture
def srv():
    with StandIn(latency_s=0.0) as s: yield s

def settings(srv, tmp_path, **kw):
    return Settings(base_url=srv.base_url, api_key=KEY, cache_dir=tmp_path, rpm=kw.pop("rpm", 1000),
                    rate_window_s=kw.pop("rate_window_s", 1), **kw)

def test_result_contract(srv, tmp_path):
    a = analyze(facts(), settings=settings(srv, tmp_path), cache="off")
    r = a["llm_results"]
    for role, key in RESULT_KEYS.items(): ROLE_SCHEMAS[role].model_validate(r[key])
    m = r["metadata"]
    assert set(m) >= {"models_used", "total_time_seconds", "cache_hits", "api_calls", "roles", "prompt_tokens",
                      "completion_tokens", "cost_usd", "checks", "contradicted", "findings"}
    assert m["models_used"] == [m["roles"][r]["model_answered"] for r in ROLES]  # a list, in role order
    assert sum(m["checks"].values()) == len(m["findings"])
    assert m["api_calls"] == 4 and m["cache_hits"] == 0 and m["status"] == "ok"
    assert all(m["roles"][r]["status"] == "ok" for r in RESULT_KEYS)
    assert json.loads(json.dumps(a)) == a  # plain JSON

async def test_specialists_overlap_aggregator_waits(tmp_path):
    with StandIn(latency_s=0.3) as srv:
        a = await analyze_with_llm(facts(), settings=settings(srv, tmp_path), cache="off")
        reqs = sorted(srv.stats.chat, key=lambda q: q.t0)
    # The wall time (about two latencies) is a benchmark figure (bench/bench.py, row 1); here, the structure behind it:
    assert max(q.t0 for q in reqs[:3]) < min(q.t1 for q in reqs[:3])
    assert reqs[3].t0 >= max(q.t1 for q in reqs[:3])

@pytest.mark.parametrize("window", [3, 60])
async def test_sliding_window_no_429(tmp_path, window):
    "30 requests per window at the server and the client: 10 projects at once get no 429 (scaled-down window)."
    with StandIn(latency_s=0.05, rate_limit=(30, window)) as srv:
        s = settings(srv, tmp_path, rpm=30, rate_window_s=window)
        lim = RateLimiter(30, window)  # a fresh limiter, as a fresh process would have
        async with Panel(s, cache="off", limiter=lim) as p:
            outs = await asyncio.gather(*[analyze_with_llm(facts(i, f"p{i}"), panel=p) for i in range(10)])
        assert srv.stats.n_429 == 0
    assert all(o["llm_results"]["metadata"]["status"] == "ok" for o in outs)

def test_specialist_503_degrades(srv, tmp_path):
    srv.configure(faults=[Fault("503", schema="DeploymentAnalysis")])
    a = analyze(facts(), settings=settings(srv, tmp_path, max_retries=0), cache="off")
    r = a["llm_results"]; m = r["metadata"]
    assert m["failed_roles"] == ["deployment"] and m["status"] == "degraded"
    assert r["deployment_analysis"] is None and r["architect_analysis"] and r["aggregated_insights"]
    assert "503" in m["roles"]["deployment"]["error"]

def test_429_retry_after_recovers(srv, tmp_path):
    srv.configure(faults=[Fault("429", schema="ArchitectAnalysis", times=1, retry_after=1)])
    a = analyze(facts(), settings=settings(srv, tmp_path), cache="off")
    m = a["llm_results"]["metadata"]
    assert m["status"] == "ok" and m["roles"]["architect"]["http_requests"] == 2 and m["api_calls"] == 5

def test_schema_violation_reasked_once(srv, tmp_path):
    srv.configure(faults=[Fault("schema_violation", schema="BusinessAnalysis", times=1)])
    m = analyze(facts(), settings=settings(srv, tmp_path), cache="off")["llm_results"]["metadata"]
    assert m["roles"]["business"]["reasks"] == 1 and m["roles"]["business"]["status"] == "ok"

def test_unknown_model_falls_back(srv, tmp_path):
    a = analyze(facts(), settings=settings(srv, tmp_path), cache="off", models={"deployment": "mistralai/nope:free"})
    m = a["llm_results"]["metadata"]
    assert m["roles"]["deployment"]["model_asked"] == "mistralai/nope:free"
    assert m["models_used"][1] == m["roles"]["deployment"]["model_answered"] == load_roster().deployment.fallbacks[0]

def test_key_never_written_or_printed(srv, tmp_path):
    env = {**os.environ, "OPENROUTER_API_KEY": KEY, "BORG_LLM_BASE_URL": srv.base_url,
           "BORG_LLM_CACHE_DIR": str(tmp_path)}
    code = ("import json,sys; from borg_llm.pipeline import analyze; "
            f"a = analyze(json.load(open({str(SAMPLES[0])!r}))); print(json.dumps(a)); print(a)")
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert KEY not in p.stdout + p.stderr
    for f in tmp_path.rglob("*"):
        if f.is_file(): assert KEY.encode() not in f.read_bytes(), f
    assert srv.stats.chat and KEY not in srv.stats.bodies_text()
    assert all(r.headers.get("http-referer") and r.headers.get("x-openrouter-title") for r in srv.stats.chat)

def test_missing_key_is_one_line(monkeypatch):
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    monkeypatch.delenv("BORG_LLM_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="OPENROUTER_API_KEY") as e: analyze(facts())
    assert "\n" not in str(e.value)

def test_bad_input_raises():
    with pytest.raises(TypeError): analyze(["not", "a", "dict"], dry_run=True)
    with pytest.raises(ValueError, match="name"): analyze({"languages": {}}, dry_run=True)

def test_dry_run_is_deterministic_and_offline():
    a, b = analyze(facts(1), dry_run=True), analyze(facts(1), dry_run=True)
    for k in RESULT_KEYS.values(): assert a["llm_results"][k] == b["llm_results"][k]
    assert a["llm_results"]["metadata"]["api_calls"] == 0

class LosesWindow(RateLimiter):
    "A shared window whose storage goes away after the first request: the second `acquire` raises."
    def __init__(self): super().__init__(1000, 1); self.n = 0
    async def acquire(self):
        self.n += 1
        if self.n == 2: raise RateStorageError("rate window redis://cache:6379/0: Connection refused")
        return await super().acquire()

async def test_lost_rate_window_stops_the_analysis(tmp_path, caplog):
    "The window's storage lost mid-analysis: `analyze_with_llm` raises it; the other roles are stopped, none left over."
    with StandIn(latency_s=0.3) as srv:
        async with Panel(settings(srv, tmp_path), cache="off", limiter=(lim := LosesWindow())) as p:
            with pytest.raises(RateStorageError, match="^rate window redis://cache:6379/0: Connection refused$"):
                await analyze_with_llm(facts(), panel=p)
            assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
            assert p.breaker.fails == {}  # no model blamed
        calls = {c["role"]: c for c in map(json.loads, (tmp_path/"calls.jsonl").read_text().splitlines())}
    assert "aggregator" not in calls and lim.n <= 3  # the aggregator was never asked
    d = calls["deployment"]
    assert (d["status"], d["fallbacks_tried"], d["http_requests"]) == ("failed", [], 0)  # no fallback tried
    gc.collect()
    assert "never retrieved" not in caplog.text and "Traceback" not in caplog.text

async def test_on_response_sees_each_reply_and_cannot_fail_a_call(srv, tmp_path):
    "`Panel(on_response=...)` is told of every parsed reply with its call; a callback that raises is only a warning."
    seen = []
    async with Panel(settings(srv, tmp_path), cache="off", on_response=lambda c, r: seen.append((c.role, r.model))) as p:
        m = (await analyze_with_llm(facts(), panel=p))["llm_results"]["metadata"]
    assert sorted(seen) == sorted((r, m["roles"][r]["model_answered"]) for r in ROLES)
    def boom(c, r): raise KeyError("a bug in the callback")
    async with Panel(settings(srv, tmp_path), cache="off", on_response=boom) as p:
        with pytest.warns(UserWarning, match="completion:response"):
            c = await p.ask("architect", [{"role": "user", "content": "Project tinyhttp."}])
    assert (c.status, c.attempts, c.fallbacks_tried, p.breaker.fails) == ("ok", 1, [], {})
