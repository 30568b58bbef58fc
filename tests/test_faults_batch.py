"""Faults at batch level: a quota stops a batch cleanly and a re-run resumes; 100 projects with 20% of requests
faulted at random all get a result file, at least 95 complete, and a re-run completes the rest without repeating a
finished call."""
import json, re
from pathlib import Path
from borg_llm.batch import Batch, is_done
from borg_llm.config import SPECIALISTS
from borg_llm.testing.faults import matrix_settings
from borg_llm.schemas import ROLE_SCHEMAS
from borg_llm.client import Panel
from borg_llm.ratelimit import RateLimiter
from borg_llm.testing import Fault, StandIn, find_schema, sample_projects

ROLE_OF = {s.__name__: r for r, s in ROLE_SCHEMAS.items()}

def settings(srv, tmp_path, **kw):
    s = matrix_settings(**{"timeout": 10, "cache_dir": tmp_path/"cache", **kw})
    return s.model_copy(update=dict(base_url=srv.base_url))

async def run(files, out, s, concurrency):
    "A batch with a panel of its own (cache on) whose limiter belongs to this event loop."
    async with Panel(s, cache="use", limiter=RateLimiter(s.rpm, s.rate_window_s)) as p:
        return await Batch(files, out, concurrency=concurrency, panel=p, progress=False).run()

def results(out:Path) -> dict:
    return {f.stem: json.loads(f.read_text())["llm_results"]["metadata"] for f in sorted(out.glob("p-*.json"))}

def who(rec) -> tuple:
    "(project, role) of a chat request at the stand-in."
    name = re.search(r'\\"name\\": \\"(p-\d\d)\\"', json.dumps(rec.body)).group(1)
    return name, ROLE_OF[find_schema(rec.body).title]


async def test_quota_stops_batch_and_rerun_resumes(tmp_path):
    files, out = sample_projects(tmp_path/"in", 10, "p"), tmp_path/"out"
    with StandIn(daily_limit=14) as srv:  # 3 projects and 2 calls of the 4th
        s = settings(srv, tmp_path)
        b = await run(files, out, s, 1)
        first = len(srv.stats.chat)
        assert (b.counts["ok"], b.not_started, first, srv.stats.n_429) == (3, 6, 15, 1)  # one refused request, no storm
        msg = b.quota_message()
        assert "\n" not in msg and msg.startswith("stopped: daily request quota exhausted (HTTP 429); it resets at ")
        assert "T00:00+00:00" in msg and "6 project(s) not started" in msg and "run the same command again" in msg
        m = results(out)
        assert sorted(m) == ["p-00", "p-01", "p-02", "p-03"]  # finished results kept, the stopped one marked
        assert [is_done(out/f"p-0{i}.json") for i in range(4)] == [True] * 3 + [False]
        assert m["p-03"]["quota"]["what"] == "daily request quota exhausted (HTTP 429)"
        assert m["p-03"]["status"] == "degraded"

        srv.configure(daily_limit=None); srv.reset()  # the next day
        b2 = await run(files, out, s, 1)
        assert (b2.counts["skipped"], b2.counts["ok"], b2.quota) == (3, 7, None)
        # p-03's two answered specialists come from the cache: 1 specialist + aggregator, then 6 whole projects
        assert len(srv.stats.chat) == 2 + 6 * 4
        assert {who(r)[0] for r in srv.stats.chat} == {f"p-{i:02d}" for i in range(3, 10)}
    assert all(is_done(out/f"p-{i:02d}.json") for i in range(10))


KINDS = ("429", "500", "502", "503", "drop", "hang", "invalid_json", "schema_violation", "error_in_200",
         "empty_choices")

async def test_hundred_projects_with_random_faults(tmp_path):
    files, out = sample_projects(tmp_path/"in", 100, "p"), tmp_path/"out"
    p = 1 - 0.8 ** (1 / len(KINDS))  # each rule draws in turn: 20% of requests get one fault or another
    with StandIn(faults=[Fault(k, probability=p, hang_s=30) for k in KINDS], seed=7) as srv:
        s = settings(srv, tmp_path, timeout=1.0, max_retries=1)
        b = await run(files, out, s, 20)
        reqs = srv.stats.chat
        faulted = sum(1 for r in reqs if r.fault or r.skipped) / len(reqs)
        assert 0.12 < faulted < 0.3, faulted
        m = results(out)
        assert len(m) == 100 and b.counts["error"] == 0
        done = {k for k in m if is_done(out/f"{k}.json")}
        errors = [(k, v["roles"][r]["error"]) for k, v in m.items() for r in v["failed_roles"]]
        assert len(done) >= 95, (b.report(), errors)
        for k in set(m) - done:  # the rest are marked degraded, each failed role with its error
            assert m[k]["status"] in ("degraded", "failed") and m[k]["failed_roles"]
            assert all(m[k]["roles"][r]["error"] for r in m[k]["failed_roles"])
        lines = [json.loads(l) for l in (out/"summary.jsonl").read_text().splitlines()]
        assert len(lines) == 100 and all(l["error"] for l in lines if l["status"] != "ok")
        finished = {(k, r) for k in m for r in SPECIALISTS if m[k]["roles"][r]["status"] == "ok"}
        expected = sum(sum(m[k]["roles"][r]["status"] != "ok" for r in SPECIALISTS) + 1 for k in set(m) - done)

        srv.configure(faults=[]); srv.reset()
        b2 = await run(files, out, s, 20)
        again = [who(r) for r in srv.stats.chat]
    assert b2.counts["skipped"] == len(done) and b2.counts["ok"] == 100 - len(done)
    assert all(is_done(out/f"p-{i:02d}.json") for i in range(100))
    assert not finished & set(again)  # no finished specialist call asked again: they come from the cache
    assert len(again) == expected  # only the failed roles and the aggregators of unfinished projects


async def test_rerun_repeats_no_finished_call(tmp_path):
    "Projects whose business analyst always answers out of range end degraded; the re-run asks only what failed."
    files, out, bad = sample_projects(tmp_path/"in", 20, "p"), tmp_path/"out", {f"p-{i:02d}" for i in range(0, 20, 4)}
    def answer(body, schema):  # market_viability 11 for the projects in `bad`: every model, every re-ask
        name = re.search(r'\\"name\\": \\"(p-\d\d)\\"', json.dumps(body))
        if schema and "market_viability" in (schema.get("properties") or {}) and name and name.group(1) in bad:
            from borg_llm.testing import schema_instance
            return {**schema_instance(schema, name.group(1)), "market_viability": 11}
    with StandIn(answer_fn=answer) as srv:
        s = settings(srv, tmp_path)
        b = await run(files, out, s, 8)
        m = results(out)
        errors = [(k, v["roles"][r]["error"]) for k, v in m.items() for r in v["failed_roles"]]
        assert (b.counts["ok"], b.counts["degraded"]) == (15, 5), errors
        assert all(m[k]["failed_roles"] == ["business"] and "market_viability" in m[k]["roles"]["business"]["error"]
                   for k in bad)
        first = [who(r) for r in srv.stats.chat]
        srv.configure(answer_fn=None); srv.reset()
        b2 = await run(files, out, s, 8)
        again = sorted(who(r) for r in srv.stats.chat)
    assert (b2.counts["skipped"], b2.counts["ok"]) == (15, 5)
    assert again == sorted((k, r) for k in bad for r in ("business", "aggregator"))  # one request each, nothing else
    others = ("architect", "deployment")
    assert {(k, r) for k, r in first if r in others} >= {(k, r) for k in bad for r in others}
