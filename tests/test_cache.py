"""The answer cache against the stand-in: what hits, what misses, what is never stored, and four processes
sharing one cache folder. Counts only, no timings (the benchmark is bench/bench.py)."""
import asyncio, json, logging, os, pickle, shutil, subprocess, sys, time
from pathlib import Path
from unittest.mock import patch
import pytest
from borg_llm.cache import AnswerCache, cache_clear, cache_info, cache_key
from borg_llm.client import Panel
from borg_llm.config import PROJECT_ROOT, default_roster_path, load_roster
from borg_llm.facts import collect_facts
from borg_llm.pipeline import analyze_with_llm
from borg_llm.schemas import RESULT_KEYS, ROLE_SCHEMAS
from borg_llm.testing import Fault, StandIn
from borg_llm.testing.damage import one_letter

SAMPLES = sorted((PROJECT_ROOT/"data"/"samples").glob("*.json"))
KEY = "sk-or-v1-CACHE-TEST-KEY-0123456789abcdef0123456789"
ALL = ["architect", "deployment", "business", "aggregator"]

def facts(i=0, name=None):
    f = json.loads(SAMPLES[i % len(SAMPLES)].read_text())
    if name: f["name"] = name
    return f

def asked(a) -> list[str]: return [r for r, m in a.meta["roles"].items() if not m["cache_hit"]]
def answers(a) -> dict: return {k: v for k, v in a.r.items() if k != "metadata"}
def entries(d) -> int: return cache_info(d)["entries"]

@pytest.fixture
def s(srv, settings):
    "Settings for the stand-in (`srv`, from conftest), the cache in the test's folder."
    return settings(srv, api_key=KEY)

def test_key_covers_every_input():
    "Each input that shapes an answer changes the key: the model, the mode, the messages, the schema and the params."
    base = dict(model="m", mode="tools", messages=[{"role": "user", "content": "x"}],
                schema=ROLE_SCHEMAS["architect"].model_json_schema(), params={"temperature": 0.2})
    other = dict(model="m2", mode="md_json", messages=[{"role": "user", "content": "y"}],
                 schema=ROLE_SCHEMAS["business"].model_json_schema(), params={"temperature": 0.3})
    k = cache_key(**base)
    assert cache_key(**{**base, "params": {"temperature": 0.2}}) == k
    for name, value in other.items(): assert cache_key(**{**base, name: value}) != k, name

def test_key_is_the_hash_of_one_canonical_object():
    "The key is `digest` of the inputs as one JSON object, whether the schema comes as data or as its canonical text."
    from borg_llm.canon import canonical, digest
    msgs = [{"role": "system", "content": "Judge <this> \"project\" ✓"}, {"content": "é\n", "role": "user"}]
    schema, params = ROLE_SCHEMAS["deployment"].model_json_schema(), {"temperature": 0.2, "seed": 1, "fallbacks": ["a"]}
    whole = digest(dict(model="m", mode="tools", messages=msgs, schema=schema, params=params))
    assert cache_key("m", "tools", msgs, schema, params) == whole == cache_key("m", "tools", msgs, canonical(schema), params)

def test_entries_are_joblibs(tmp_path):
    "An answer written to a new cache folder is read back at once, and joblib finds it where it would have put it."
    c = AnswerCache(tmp_path)
    c._write("k" * 64, {"answer": {"a": 1}, "model": "m"})
    assert c._read("k" * 64) == {"answer": {"a": 1}, "model": "m"}
    r = c._fn.call_and_shelve("k" * 64, None)  # joblib's own look-up of the same call
    assert r.get()["value"] == {"answer": {"a": 1}, "model": "m"} and r.metadata["input_args"] == {"key": repr("k" * 64)}


async def test_second_run_makes_no_request(srv, s):
    a = await analyze_with_llm(facts(), settings=s)
    assert (a.meta["cache_hits"], a.meta["api_calls"], len(srv.stats.chat)) == (0, 4, 4)
    b = await analyze_with_llm(facts(), settings=s)
    assert (b.meta["cache_hits"], b.meta["api_calls"], len(srv.stats.chat)) == (4, 0, 4)
    assert answers(b) == answers(a) and b.meta["models_used"] == a.meta["models_used"]
    assert b.meta["status"] == "ok" and all(b.meta["roles"][r]["http_requests"] == 0 for r in ALL)

async def test_readme_sentence_misses_touch_hits(srv, s, tmp_path):
    repo = tmp_path/"tinyhttp-py"
    shutil.copytree(PROJECT_ROOT/"data"/"repos"/"tinyhttp-py", repo)
    assert asked(await analyze_with_llm(collect_facts(repo), settings=s)) == ALL
    readme = repo/"README.md"
    title, rest = readme.read_text().split("\n", 1)
    readme.write_text(f"{title}\n\nNow with HTTP/2 support.\n{rest}")
    f = collect_facts(repo)
    assert "HTTP/2" in f["readme_excerpt"]
    assert asked(await analyze_with_llm(f, settings=s)) == ALL
    for p in repo.rglob("*.py"): os.utime(p, (time.time() + 3600,) * 2)
    b = await analyze_with_llm(collect_facts(repo), settings=s)
    assert asked(b) == [] and b.meta["api_calls"] == 0

async def test_prompt_edit_misses_its_role_and_the_aggregator(srv, s, tmp_path):
    await analyze_with_llm(facts(), settings=s)
    pdir = tmp_path/"prompts"
    shutil.copytree(PROJECT_ROOT/"prompts", pdir)
    t = pdir/"architect-rubric-zeroshot.toml"  # the roster's architect prompt
    text = t.read_text()
    t.write_text(text.replace('user = """', 'user = """Be brief. ', 1))  # a prompt edit
    assert t.read_text() != text
    n = len(srv.stats.chat)
    a = await analyze_with_llm(facts(), settings=s.model_copy(update=dict(prompts_dir=pdir)))
    assert asked(a) == ["architect", "aggregator"] and a.meta["api_calls"] == 2 and a.meta["cache_hits"] == 2
    assert len(srv.stats.chat) - n == 2

async def test_model_change_misses_its_role_and_the_aggregator(srv, s):
    await analyze_with_llm(facts(), settings=s)
    a = await analyze_with_llm(facts(), settings=s, models={"business": "google/gemma-3-27b-it:free"})
    assert asked(a) == ["business", "aggregator"] and a.meta["models_used"][2] == "google/gemma-3-27b-it:free"
    assert asked(await analyze_with_llm(facts(), settings=s)) == []  # the old entries are still there

async def test_seed_or_schema_change_misses_its_role_and_the_aggregator(srv, s):
    "A new sampling seed in the roster, or a new response schema (here only its description), misses for that role."
    await analyze_with_llm(facts(), settings=s)
    roster = load_roster(default_roster_path(s))
    seeded = roster.model_copy(update=dict(architect=roster.architect.model_copy(update=dict(seed=7))))
    assert asked(await analyze_with_llm(facts(), settings=s, roster=seeded)) == ["architect", "aggregator"]
    class BusinessAnalysis(ROLE_SCHEMAS["business"]):
        "The business view of a project, described anew."
    with patch.dict(ROLE_SCHEMAS, business=BusinessAnalysis):
        assert asked(await analyze_with_llm(facts(), settings=s)) == ["business", "aggregator"]
    assert asked(await analyze_with_llm(facts(), settings=s)) == []  # the old entries are still there

async def test_failures_are_not_cached(srv, s):
    srv.configure(faults=[Fault("503", schema="DeploymentAnalysis"), Fault("schema_violation", schema="BusinessAnalysis")])
    a = await analyze_with_llm(facts(), settings=s.model_copy(update=dict(max_retries=0, max_reasks=0)))
    assert a.meta["status"] == "degraded" and a.meta["failed_roles"] == ["deployment", "business"]
    srv.configure(faults=[])
    b = await analyze_with_llm(facts(), settings=s)
    assert asked(b) == ["deployment", "business", "aggregator"] and b.meta["status"] == "ok"

async def test_quota_error_is_not_cached(srv, s):
    srv.configure(faults=[Fault("402")])
    a = await analyze_with_llm(facts(), settings=s)
    assert a.meta["status"] == "failed" and a.meta["quota"]
    assert entries(s.cache_dir) == 0
    srv.configure(faults=[])
    assert asked(await analyze_with_llm(facts(), settings=s)) == ALL

async def test_degraded_aggregation_not_stored(srv, s):
    msgs = [{"role": "user", "content": "Aggregate; the deployment specialist failed."}]
    async with Panel(s) as p:
        assert [(await p.ask("aggregator", msgs, store=False)).cache_hit for _ in range(2)] == [False, False]
        assert entries(s.cache_dir) == 0 and len(srv.stats.chat) == 2
        assert [(await p.ask("aggregator", msgs)).cache_hit for _ in range(2)] == [False, True]

async def test_degraded_run_asks_the_aggregator_again(srv, s):
    "Two runs with the same failed specialist: the aggregation over it, the same input both times, is asked twice."
    srv.configure(faults=[Fault("503", schema="DeploymentAnalysis")])
    s0 = s.model_copy(update=dict(max_retries=0))
    a, b = [await analyze_with_llm(facts(), settings=s0) for _ in range(2)]
    assert a.meta["status"] == b.meta["status"] == "degraded" and asked(b) == ["deployment", "aggregator"]

async def test_api_calls_and_hits_are_exact(srv, s):
    srv.configure(faults=[Fault("429", schema="ArchitectAnalysis", times=1, retry_after=0)])
    outs = [await analyze_with_llm(facts(i % 3, f"p{i % 3}"), settings=s) for i in range(6)]
    assert sum(o.meta["api_calls"] for o in outs) == len(srv.stats.chat) == 13  # 3 projects x 4 + one retry
    assert sum(o.meta["cache_hits"] for o in outs) == 12

async def test_identical_calls_in_flight_go_out_once(s, tmp_path):
    with StandIn(latency_s=0.2) as slow:
        s2 = s.model_copy(update=dict(base_url=slow.base_url))
        outs = await asyncio.gather(*[analyze_with_llm(facts(), settings=s2) for _ in range(5)])  # five panels
        assert len(slow.stats.chat) == 4
    assert sum(o.meta["api_calls"] for o in outs) == 4 and sum(o.meta["cache_hits"] for o in outs) == 16
    assert all(answers(o) == answers(outs[0]) for o in outs)

async def test_refresh_and_off(srv, s):
    a = await analyze_with_llm(facts(), settings=s)
    n = entries(s.cache_dir)
    assert asked(await analyze_with_llm(facts(), settings=s, cache="off")) == ALL
    assert entries(s.cache_dir) == n and len(srv.stats.chat) == 8
    r = await analyze_with_llm(facts(), settings=s, cache="refresh")
    assert asked(r) == ALL and len(srv.stats.chat) == 12 and entries(s.cache_dir) == n
    assert asked(await analyze_with_llm(facts(), settings=s)) == []

async def test_key_never_stored(srv, s):
    await analyze_with_llm(facts(), settings=s)
    await analyze_with_llm(facts(), settings=s)
    files = [f for f in Path(s.cache_dir).rglob("*") if f.is_file()]
    assert any(f.name == "output.pkl" for f in files)
    for f in files: assert KEY.encode() not in f.read_bytes(), f
    for f in Path(s.cache_dir).rglob("output.pkl"):
        v = pickle.loads(f.read_bytes())
        assert set(v) == {"value", "sha256"} and set(v["value"]) == {"answer", "model"} and KEY not in json.dumps(v)

async def test_corrupt_entry_is_recomputed_not_read(srv, s, caplog):
    "Entries cut short are each named in one warning of borg_llm's (none of joblib's), asked again and written anew."
    a = await analyze_with_llm(facts(), settings=s)
    for f in Path(s.cache_dir).rglob("output.pkl"): f.write_bytes(f.read_bytes()[:20])  # cut short
    with caplog.at_level(logging.DEBUG):
        b = await analyze_with_llm(facts(), settings=s)
    assert asked(b) == ALL and answers(b) == answers(a)
    said = [(r.name, r.getMessage()) for r in caplog.records if r.name.startswith(("joblib", "borg_llm"))]
    assert [n for n, _ in said] == ["borg_llm.cache"] * 4 and all("output.pkl does not load" in m for _, m in said)
    assert asked(await analyze_with_llm(facts(), settings=s)) == []

async def test_changed_answer_is_not_served(srv, s, caplog):
    "One letter of a stored answer changed: it still unpickles, into another answer; its SHA-256 keeps it out."
    a = await analyze_with_llm(facts(), settings=s)
    f = sorted(Path(s.cache_dir).rglob("output.pkl"))[0]
    b = f.read_bytes(); one_letter(f)
    assert pickle.loads(f.read_bytes()) != pickle.loads(b)  # it loads, and it differs
    with caplog.at_level(logging.WARNING, logger="borg_llm.cache"):
        c = await analyze_with_llm(facts(), settings=s)
    assert len(asked(c)) == 1 and answers(c) == answers(a)
    assert [r.getMessage().endswith("does not match its SHA-256; asked again") for r in caplog.records] == [True]

async def test_damaged_func_code_keeps_every_entry(srv, s, caplog):
    "joblib's own func_code.py undecodable, or cut short: it is written again, and every answer still served."
    await analyze_with_llm(facts(), settings=s)
    fn = AnswerCache(s.cache_dir)._fn  # joblib writes func_code.py on a process's first call: this one's may be past
    code = Path(fn.store_backend.location, fn.func_id, "func_code.py")
    for damage in (lambda b: b"\xff\xfe" + b[2:], lambda b: b[:len(b)//2]):
        code.write_bytes(damage(f"# first line: 1\n{fn.func_code_info[0]}".encode()))
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="borg_llm.cache"):
            assert asked(await analyze_with_llm(facts(), settings=s)) == []
        assert ["func_code.py was damaged" in r.getMessage() for r in caplog.records] == [True]

def test_unwritable_cache_is_named_once_and_answers_still_returned(tmp_path, caplog):
    "A cache whose writes fail (a full disk) returns every answer and says so once; one that cannot exist is off."
    async def go():
        c = AnswerCache(tmp_path/"cache")
        def full(*a, **kw): raise OSError(28, "No space left on device")
        with patch("borg_llm.cache._Store._atomic", full):
            return [await c.get(f"k{i}", lambda i=i: asyncio.sleep(0, {"i": i})) for i in range(3)]
    with caplog.at_level(logging.WARNING, logger="borg_llm.cache"):
        assert asyncio.run(go()) == [({"i": i}, False) for i in range(3)]
    assert [r.getMessage() for r in caplog.records] == [f"answer cache {tmp_path/'cache'}: No space left on device: "
                                                         "answers are not saved this run (free some space)"]
    assert cache_info(tmp_path/"cache")["entries"] == 0 and not list((tmp_path/"cache").rglob("*.tmp*"))
    (tmp_path/"a-file").write_text("")
    assert AnswerCache(tmp_path/"a-file"/"cache").mode == "off"

def test_cache_info_and_clear(tmp_path):
    async def fill():
        c = AnswerCache(tmp_path)
        for i in range(5):
            async def compute(i=i): return {"answer": {"i": i}, "model": "m"}
            await c.get(f"key{i}", compute)
    asyncio.run(fill())
    info = cache_info(tmp_path)
    assert (info["entries"], info["oldest_days"]) == (5, 0.0) and info["bytes"] > 0
    olds = sorted(tmp_path.rglob("output.pkl"))[:2]
    for j, f in enumerate(olds): os.utime(f, (time.time() - (10 + j) * 86400,) * 2)
    assert cache_info(tmp_path)["oldest_days"] == 11.0
    assert cache_clear(tmp_path, older_than_days=30) == 0
    assert cache_clear(tmp_path, older_than_days=7) == 2 and cache_info(tmp_path)["entries"] == 3
    assert cache_info(tmp_path)["oldest_days"] == 0.0
    assert cache_clear(tmp_path) == 3 and cache_info(tmp_path) == dict(location=str(tmp_path), entries=0, bytes=0, oldest_days=None)
    assert cache_info(tmp_path/"missing")["entries"] == 0

CHILD = r"""
import asyncio, json, logging, sys, warnings
from pathlib import Path
from borg_llm.client import Panel
from borg_llm.config import Settings
from borg_llm.pipeline import analyze_with_llm
bad = []
class H(logging.Handler):
    def emit(self, r): bad.append(r.getMessage()[:200])
logging.getLogger("joblib").addHandler(H())
samples = sorted(Path(sys.argv[1]).glob("*.json"))
projects = [{**json.loads(samples[i % len(samples)].read_text()), "name": f"proj{i}"} for i in range(10)]
async def main():
    out = []
    async with Panel(Settings()) as p:
        for rnd in range(3):  # round 1 races the others' writes; later rounds read what they wrote
            out += await asyncio.gather(*[analyze_with_llm(f, panel=p) for f in projects])
    return out
with warnings.catch_warnings(record=True) as ws:  # joblib warns (CacheWarning) when a write fails
    warnings.simplefilter("always")
    res = asyncio.run(main())
bad += [str(w.message)[:200] for w in ws if "joblib" in w.filename]
print(json.dumps(dict(results=res, joblib_warnings=bad)))
"""

def test_four_processes_share_one_folder(tmp_path):
    with StandIn(latency_s=0.02) as srv:
        env = {**os.environ, "BORG_LLM_BASE_URL": srv.base_url, "BORG_LLM_CACHE_DIR": str(tmp_path/"cache"),
               "BORG_LLM_RPM": "10000", "BORG_LLM_RATE_WINDOW_S": "1"}
        env.pop("OPENROUTER_API_KEY", None)
        procs = [subprocess.Popen([sys.executable, "-c", CHILD, str(SAMPLES[0].parent)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
        outs = [p.communicate(timeout=240) for p in procs]
        n_chat = len(srv.stats.chat)
    for p, (out, err) in zip(procs, outs): assert p.returncode == 0, err[-2000:]
    docs = [json.loads(out) for out, _ in outs]
    assert all(d["joblib_warnings"] == [] for d in docs), [d["joblib_warnings"][:3] for d in docs]
    by_name = {}
    for d in docs:
        assert len(d["results"]) == 30
        for a in d["results"]:
            r = a["llm_results"]
            assert r["metadata"]["status"] == "ok", r["metadata"]["failed_roles"]
            for role, key in RESULT_KEYS.items(): ROLE_SCHEMAS[role].model_validate(r[key])
            by_name.setdefault(r["metadata"]["project"], []).append({k: v for k, v in r.items() if k != "metadata"})
    assert sorted(by_name) == [f"proj{i}" for i in range(10)]
    for name, rs in by_name.items(): assert all(x == rs[0] for x in rs), name  # every process read the same answers
    api = sum(a["llm_results"]["metadata"]["api_calls"] for d in docs for a in d["results"])
    assert api == n_chat and 40 <= n_chat <= 160  # each call asked at most once per process
    assert cache_info(tmp_path/"cache")["entries"] == 40

def test_entries_are_the_bytes_joblib_writes_and_joblib_files_still_read(tmp_path):
    "The C pickler writes what `joblib.dump` writes; an entry only joblib can read (compressed) is read by joblib."
    import joblib
    from borg_llm.cache import _Store
    store = _Store(); store.configure(str(tmp_path))
    entry = {"value": {"answer": json.loads(SAMPLES[0].read_text()), "model": "m"}, "sha256": "0" * 64}
    store.dump_item(["f", "a"], entry)
    joblib.dump(entry, tmp_path/"by_joblib.pkl")
    assert (tmp_path/"f"/"a"/"output.pkl").read_bytes() == (tmp_path/"by_joblib.pkl").read_bytes()
    assert store.load_item(["f", "a"]) == entry
    (tmp_path/"f"/"b").mkdir()
    joblib.dump(entry, tmp_path/"f"/"b"/"output.pkl", compress=3)  # not a plain pickle
    assert store.load_item(["f", "b"]) == entry
