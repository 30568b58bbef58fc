"Batches: one rate limiter for 30 projects, kill and resume, quotas, bad entries, streaming, flat memory."
import asyncio, gc, json, os, re, shutil, signal, subprocess, sys, time
from collections import Counter
from pathlib import Path
import pytest
from filelock import FileLock
import borg_llm.batch as batch_module
from borg_llm.batch import Batch, is_done, result_keys, run_batch
from borg_llm.cli import main
from borg_llm.ratelimit import shared_limiter
from borg_llm.config import ConfigError, Settings
from borg_llm.testing import Fault, StandIn, find_schema, sample_projects

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).parent/"borg-llm"


def done(out:Path, dry_run:bool=False) -> set[str]:
    return {p.stem for p in out.glob("*.json") if is_done(p, dry_run)}

def interruptible():
    "In the child: Ctrl-C as from a terminal (a shell running the tests in the background leaves SIGINT ignored)."
    signal.signal(signal.SIGINT, signal.SIG_DFL)

def env_for(srv, tmp_path, **kw) -> dict:
    e = {k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY"}
    return {**e, "BORG_LLM_BASE_URL": srv.base_url, "BORG_LLM_CACHE_DIR": str(tmp_path/"cache"), "BORG_LLM_RPM": "1000",
            "BORG_LLM_RATE_WINDOW_S": "1", **kw}

def settings(srv, tmp_path, **kw) -> Settings:
    return Settings(base_url=srv.base_url, cache_dir=tmp_path/"cache", rpm=1000, rate_window_s=1, **kw)

def asked_for(srv, names) -> set[str]:
    "Which of `names` appear in some request the stand-in received."
    text = srv.stats.bodies_text()
    return {n for n in names if n in text}


@pytest.fixture(autouse=True)
def fresh_limiter():
    "A fresh process-wide limiter per test, so one test's requests do not use up the next one's window."
    shared_limiter.cache_clear()

def test_30_projects_at_60_per_window_no_429(tmp_path):
    "The minute scaled down to 3 s: 120 requests through a 60-per-window server, no 429."
    with StandIn(latency_s=0.05, rate_limit=(60, 3)) as srv:
        files = sample_projects(tmp_path/"in")
        t0 = time.monotonic()
        p = subprocess.run([str(SCRIPT), "batch", *files, "--out", str(tmp_path/"out"), "--no-progress"],
                           env=env_for(srv, tmp_path, BORG_LLM_RPM="60", BORG_LLM_RATE_WINDOW_S="3"),
                           capture_output=True, text=True, timeout=120)
        secs = time.monotonic() - t0
        assert p.returncode == 0, p.stderr
        assert srv.stats.n_429 == 0 and len(srv.stats.chat) == 120, (srv.stats.n_429, f"load average {os.getloadavg()}")
        starts = sorted(r.t0 for r in srv.stats.chat)
        assert all(sum(1 for t in starts if s <= t < s + 3) <= 60 for s in starts)  # never more than 60 in 3 s
    assert p.stdout.startswith("30 projects: 30 ok;") and p.stderr == ""
    assert len(done(tmp_path/"out")) == 30
    lines = [json.loads(l) for l in (tmp_path/"out"/"summary.jsonl").read_text().splitlines()]
    assert len(lines) == 30 and {l["status"] for l in lines} == {"ok"}
    assert 3 < secs < 30, secs  # at least one full window had to pass
    print(f"30 projects, 120 requests at 60 per 3 s: {secs:.1f} s, 0 429s")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_kill_halfway_then_resume(tmp_path, sig):
    with StandIn(latency_s=0.25) as srv:
        files = sample_projects(tmp_path/"in")
        out = tmp_path/"out"
        p = subprocess.Popen([str(SCRIPT), "batch", *files, "--out", str(out), "--concurrency", "3", "--no-progress"],
                             env=env_for(srv, tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=interruptible)
        t0 = time.monotonic()
        while len(done(out)) < 8 and time.monotonic() < t0 + 60 and p.poll() is None: time.sleep(0.05)
        seen, t = len(done(out)), time.monotonic() - t0 # what the interrupt came after, if it came late
        p.send_signal(sig)
        so, er = p.communicate(timeout=30)
        if sig == signal.SIGINT:
            assert p.returncode == 130 and so == "", (p.returncode, so, er, f"{seen} done after {t:.1f} s")
            assert er.count("\n") == 1 and er.startswith("borg-llm: interrupted:") and "Traceback" not in er, er
        else: assert p.returncode == -signal.SIGKILL
        finished = done(out)
        assert 8 <= len(finished) < 30, len(finished)
        for f in out.glob("*.json"): json.loads(f.read_text())  # every result file is whole
        srv.stats.reset()
        os.environ.update({k: v for k, v in env_for(srv, tmp_path).items() if k.startswith("BORG_LLM_")})
        try: code = main(["batch", *files, "--out", str(out), "--concurrency", "3", "--no-progress"])
        finally:
            for k in ("BORG_LLM_BASE_URL", "BORG_LLM_CACHE_DIR", "BORG_LLM_RPM", "BORG_LLM_RATE_WINDOW_S"):
                os.environ.pop(k)
        assert code == 0
        assert len(done(out)) == 30 and not list(out.glob(".*.tmp"))
        assert asked_for(srv, finished) == set()  # no finished project was asked for again
        rest = {Path(f).stem for f in files} - finished
        asked = asked_for(srv, rest)  # names are found in requests: the check above is not vacuous
        # (a project killed after its answers were cached but before its result file was written is answered from
        # the cache on resume: at most the 3 in flight)
        assert asked <= rest and len(asked) >= len(rest) - 3, (sorted(rest - asked))
        assert len(srv.stats.chat) <= 4 * (30 - len(finished))


def test_daily_quota_stops_cleanly_and_resumes(tmp_path, capsys, monkeypatch):
    with StandIn(daily_limit=40) as srv:
        files = sample_projects(tmp_path/"in")
        out = tmp_path/"out"
        for k, v in env_for(srv, tmp_path, BORG_LLM_MAX_RETRIES="0").items():
            if k.startswith("BORG_LLM_"): monkeypatch.setenv(k, v)
        code = main(["batch", *files, "--out", str(out), "--concurrency", "2", "--no-progress"])
        o = capsys.readouterr()
        assert code == 3
        stop = "borg-llm: stopped: daily request quota exhausted (HTTP 429); it resets at 20"
        assert o.err.count("\n") == 1 and o.err.startswith(stop), o.err
        assert "run the same command again to resume" in o.err and "not started" in o.out
        assert srv.stats.by_fault["daily_limit"] <= 6  # the in-flight projects' calls, no retry storm
        finished = done(out)
        assert 5 <= len(finished) <= 10, len(finished)
        srv.configure(daily_limit=None); srv.stats.reset()
        code = main(["batch", *files, "--out", str(out), "--concurrency", "2", "--no-progress"])
        o = capsys.readouterr()
        assert code == 0 and o.err == "" and f"{len(finished)} skipped" in o.out, (o.out, o.err)
        assert len(done(out)) == 30 and asked_for(srv, finished) == set()


async def test_402_stops_scheduling(tmp_path):
    with StandIn() as srv:
        files = sample_projects(tmp_path/"in", 12)
        b = Batch(files, tmp_path/"out", concurrency=2, settings=settings(srv, tmp_path, max_retries=0), cache="off",
                  progress=False)
        async for o in b:
            if sum(b.counts.values()) == 4: srv.configure(faults=[Fault("402")])
        assert b.quota == {"what": "credits exhausted (HTTP 402)", "resets_at": None}
        assert b.not_started >= 4 and b.counts["ok"] >= 4
        assert b.quota_message().startswith("stopped: credits exhausted (HTTP 402). Finished results are kept")
        srv.configure(faults=[]); srv.stats.reset()
        finished = done(tmp_path/"out")
        b = await Batch(files, tmp_path/"out", concurrency=2, settings=settings(srv, tmp_path), progress=False).run()
        assert b.counts["skipped"] == len(finished) and b.counts["ok"] == 12 - len(finished) and b.quota is None
        assert asked_for(srv, finished) == set()


async def test_lost_window_stops_the_batch_and_a_rerun_resumes(tmp_path, monkeypatch):
    "A lost rate window stops the batch with one line naming it; every finished result is whole and listed; a resume."
    import borg_llm.pipeline as pipeline
    from borg_llm.ratelimit import RateStorageError
    real, calls = pipeline.analyze_with_llm, []
    async def lost_at_the_sixth(facts, **kw):
        calls.append(facts["name"])
        if len(calls) == 6: raise RateStorageError("rate window redis://127.0.0.1:9/0: Connection refused.")
        return await real(facts, **kw)
    monkeypatch.setattr(pipeline, "analyze_with_llm", lost_at_the_sixth)
    files, out = sample_projects(tmp_path/"in", 12), tmp_path/"out"
    with pytest.raises(RateStorageError) as e:
        await Batch(files, out, dry_run=True, concurrency=3, progress=False).run()
    assert str(e.value) == (f"rate window redis://127.0.0.1:9/0: Connection refused. Finished results are kept in "
                            f"{out}; run the same command again, once it is back, to resume.")
    finished, lines = done(out, True), (out/"summary.jsonl").read_text().splitlines()
    assert 4 <= len(finished) <= 5 and calls[5] not in finished and not list(out.glob(".*.tmp"))
    assert {json.loads(l)["key"] for l in lines} <= finished == {p.stem for p in out.glob("*.json")}
    monkeypatch.undo()
    b = await Batch(files, out, dry_run=True, concurrency=3, progress=False).run()
    assert (b.counts["skipped"], b.counts["ok"]) == (len(finished), 12 - len(finished))


def test_bad_entries_recorded_batch_continues(tmp_path, capsys, monkeypatch):
    files = sample_projects(tmp_path/"in", 3)
    (tmp_path/"empty").mkdir()
    (tmp_path/"bad.json").write_text("{oops")
    (tmp_path/"nameless.json").write_text(json.dumps({"languages": {"Go": {"files": 2, "lines": 30}}}))
    monkeypatch.setenv("BORG_LLM_CACHE_DIR", str(tmp_path/"cache"))
    entries = [files[0], str(tmp_path/"empty"), files[1], str(tmp_path/"bad.json"), str(ROOT/"data"/"repos"/"ledgerd"),
               str(tmp_path/"nameless.json"), files[2]]
    code = main(["batch", *entries, "--out", str(tmp_path/"out"), "--dry-run", "--no-progress"])
    o = capsys.readouterr()
    assert code == 3 and o.out.startswith("7 projects: 5 ok, 2 error;")
    assert len(o.err.splitlines()) == 2 and all(l.startswith("borg-llm: ") for l in o.err.splitlines())
    lines = {l["key"]: l for l in map(json.loads, (tmp_path/"out"/"summary.jsonl").read_text().splitlines())}
    assert lines["empty"]["status"] == "error" and "no files to describe" in lines["empty"]["error"]
    assert lines["bad"]["status"] == "error" and "not valid JSON" in lines["bad"]["error"]
    assert lines["nameless"]["project"] == "nameless" and lines["ledgerd"]["status"] == "ok"


async def test_results_stream_as_they_finish(tmp_path):
    "The slow first project does not hold back the others; each outcome arrives while other projects still run."
    async def answer(body, schema):
        if "proj-00" in json.dumps(body): await asyncio.sleep(1.0)
    with StandIn(answer_fn=answer, latency_s=0.02) as srv:
        files = sample_projects(tmp_path/"in", 8)
        order, inflight = [], []
        b = Batch(files, tmp_path/"out", concurrency=3, settings=settings(srv, tmp_path), cache="off", progress=False)
        async for o in b:
            order.append(o.key); inflight.append(srv.stats.inflight)
            assert o.file.exists() and o.result.meta["project"] == o.key
        assert order[0] != "proj-00" and order.index("proj-00") >= 3
        assert srv.stats.max_inflight <= 3 * 3 and any(inflight)


async def test_shared_panel_and_callback(tmp_path):
    from borg_llm.client import Panel
    with StandIn() as srv:
        files = sample_projects(tmp_path/"in", 4)
        got = []
        async def cb(o): got.append(o.key)
        async with Panel(settings(srv, tmp_path), cache="off") as p:
            b = await Batch(files, tmp_path/"out", panel=p, progress=False).run(on_result=cb)
            assert not p.client.is_closed()  # a panel that was given is not closed by the batch
        assert sorted(got) == [f"proj-{i:02d}" for i in range(4)] and b.counts["ok"] == 4


def test_keys_and_lock(tmp_path):
    keys = result_keys([str(tmp_path/"a"/"app"), str(tmp_path/"b"/"app"), str(tmp_path/"x.json"), "weird name!"])
    assert len(set(keys.values())) == 4 and keys[str(tmp_path/"x.json")] == "x" and keys["weird name!"] == "weird-name"
    same = [str(tmp_path/"x.json"), str(tmp_path/"x.json"), f"{tmp_path}/./x.json"]
    assert len(Batch(same, tmp_path/"o").sources) == 1
    (tmp_path/"o").mkdir()
    with FileLock(tmp_path/"o"/".batch.lock"):
        with pytest.raises(ConfigError, match="another batch"):
            run_batch(sample_projects(tmp_path/"in", 1), tmp_path/"o", dry_run=True, progress=False)


def test_memory_flat_for_1000_projects(tmp_path):
    "No result is kept: while 1,000 projects go through, at most a handful of analyses are alive at any time."
    from borg_llm.pipeline import Analysis
    d = tmp_path/"in"; d.mkdir()
    tiny = {"languages": {"Python": {"files": 1, "lines": 9}}}
    for i in range(1000): (d/f"p{i:04d}.json").write_text(json.dumps({"name": f"p{i}", **tiny}))
    alive = []
    def check(o):
        if int(o.key[1:]) % 100 == 99:
            alive.append(sum(isinstance(x, Analysis) for x in gc.get_objects()))
    b = Batch(sorted(map(str, d.glob("*.json"))), tmp_path/"out2", dry_run=True, progress=False, concurrency=8)
    asyncio.run(b.run(on_result=check))
    assert b.counts["ok"] == 1000 and len(alive) >= 5 and max(alive) <= 8 + 2, alive
    print(f"1000 projects: at most {max(alive)} analyses alive at once")


def test_facts_dir_merged_into_directories(tmp_path, capsys):
    (tmp_path/"facts").mkdir()
    (tmp_path/"facts"/"snake-toy.json").write_text(json.dumps({"code_analysis": {"quality_score": 9.5}}))
    repos = ROOT/"data"/"repos"
    code = main(["batch", str(repos/"snake-toy"), str(repos/"ledgerd"), "--out", str(tmp_path/"out"),
                 "--facts-dir", str(tmp_path/"facts"), "--dry-run", "--no-progress"])
    assert code == 0 and capsys.readouterr().out.startswith("2 projects: 2 ok;")
    result = lambda k: json.loads((tmp_path/"out"/f"{k}.json").read_text())["llm_results"]
    arch = lambda k: result(k)["architect_analysis"]["architecture_assessment"]
    assert "9.5/10" in arch("snake-toy") and "9.5/10" not in arch("ledgerd")


# ---------- on a Dask cluster (the `cluster` extra) ----------
def local_cluster(threads:int=3):
    "Two worker processes on this machine, or a skip without the cluster extra."
    distributed = pytest.importorskip("distributed", reason="no cluster extra (pip install 'borg_llm[cluster]')")
    return distributed.LocalCluster(n_workers=2, threads_per_worker=threads, processes=True, dashboard_address=None)

def redis_server():
    "A throwaway `redis-server` (see `test_ratelimit_shared`), or a skip."
    pytest.importorskip("redis", reason="no cluster extra (pip install 'borg_llm[cluster]')")
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install -y redis-server)")
    from test_ratelimit_shared import RedisServer
    return RedisServer()

def asked(srv) -> Counter:
    "How often each (project, schema) was asked at the stand-in."
    name = lambda r: re.search(r"proj-\d\d", json.dumps(r.body)).group(0)
    return Counter((name(r), find_schema(r.body).title) for r in srv.stats.chat)

def test_dask_workers_share_one_redis_window_and_a_lost_worker_is_rerun(tmp_path, monkeypatch):
    "Two worker processes, one Redis window, one cache folder; one worker killed mid-run; then a resume."
    from test_ratelimit_shared import peak
    def not_here(*a): raise AssertionError("the calling process read a project's facts: the workers read them")
    monkeypatch.setattr(batch_module, "load_project", not_here)  # in this process only: the workers have their own
    red, n, w = redis_server(), 20, 2.0
    try:
        with StandIn(latency_s=0.1, rate_limit=(n, w)) as srv, local_cluster() as cluster:
            files, out = sample_projects(tmp_path/"in", 12), tmp_path/"out"
            s = Settings(base_url=srv.base_url, cache_dir=tmp_path/"cache", rpm=n, rate_window_s=w,
                         rate_storage=red.url)
            b = Batch(files, out, settings=s, scheduler=cluster.scheduler_address, concurrency=6, progress=False)
            lost = []
            async def go():
                async for o in b:
                    if not lost and b.counts["ok"] >= 2:  # kill the worker that is busiest right now
                        busy = await b._dask.processing()
                        addr = max(busy, key=lambda a: len(busy[a]))
                        pid = (await b._dask.run(os.getpid, workers=[addr]))[addr]
                        lost.append(len(busy[addr])); os.kill(pid, signal.SIGKILL)
            asyncio.run(go())
            assert lost and lost[0] >= 1 and b.counts["ok"] == 12, (lost, b.counts)
            lines = [json.loads(l) for l in (out/"summary.jsonl").read_text().splitlines()]
            assert sorted(l["key"] for l in lines) == sorted(Path(f).stem for f in files)  # each written once
            assert srv.stats.n_429 == 0 and peak([r.t0 for r in srv.stats.chat], w) <= n
            assert len(srv.stats.chat) <= 4 * (12 + lost[0])  # only the lost worker's projects asked again, at most
            srv.stats.reset()
            b2 = run_batch(files, out, settings=s, scheduler=cluster.scheduler_address, progress=False)
            assert b2.counts["skipped"] == 12 and len(srv.stats.chat) == 0  # resume: nothing analysed twice
    finally: red.stop()


def test_dask_lost_redis_stops_the_batch_and_a_rerun_resumes(tmp_path):
    "Redis goes away under a cluster batch: it stops with one line naming the window; once back, a re-run resumes."
    from borg_llm.ratelimit import RateStorageError
    red = redis_server()
    try:
        with StandIn(latency_s=0.1) as srv, local_cluster() as cluster:
            files, out = sample_projects(tmp_path/"in", 12), tmp_path/"out"
            s = settings(srv, tmp_path, rate_storage=red.url)
            b = Batch(files, out, settings=s, scheduler=cluster.scheduler_address, concurrency=4, progress=False)
            async def go():
                async for o in b:
                    if b.counts["ok"] == 3: red.stop()
            with pytest.raises(RateStorageError) as e: asyncio.run(go())
            assert str(e.value).startswith(f"rate window {red.url}: ") and "\n" not in str(e.value)
            assert str(e.value).endswith(f"kept in {out}; run the same command again, once it is back, to resume.")
            finished = done(out)
            assert 3 <= len(finished) < 12 and not list(out.glob(".*.tmp"))
            for f in out.glob("*.json"): json.loads(f.read_text())
            red.start(); srv.stats.reset()
            b2 = run_batch(files, out, settings=s, scheduler=cluster.scheduler_address, progress=False)
            assert (b2.counts["skipped"], b2.counts["ok"]) == (len(finished), 12 - len(finished))
            assert asked_for(srv, finished) == set()  # nothing finished is asked again
    finally: red.stop()


def test_ctrl_c_with_a_scheduler_then_resume(tmp_path):
    "`borg-llm batch --scheduler`: Ctrl-C keeps what finished; the re-run completes the rest; nothing asked twice."
    with StandIn(latency_s=0.25) as srv, local_cluster(2) as cluster:
        files, out = sample_projects(tmp_path/"in", 16), tmp_path/"out"
        args = ["batch", *files, "--out", str(out), "--concurrency", "4", "--no-progress",
                "--scheduler", cluster.scheduler_address]
        p = subprocess.Popen([str(SCRIPT), *args], env=env_for(srv, tmp_path), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, preexec_fn=interruptible)
        t0 = time.monotonic()
        while len(done(out)) < 4 and time.monotonic() < t0 + 60 and p.poll() is None: time.sleep(0.05)
        seen, t = len(done(out)), time.monotonic() - t0 # what the interrupt came after, if it came late
        p.send_signal(signal.SIGINT)
        so, er = p.communicate(timeout=60)
        assert p.returncode == 130 and er.count("\n") == 1 and er.startswith("borg-llm: interrupted:"), \
            (p.returncode, so, er, f"{seen} done after {t:.1f} s")
        finished = done(out)
        assert 4 <= len(finished) < 16, len(finished)
        # a project running on a worker when the caller left ends there (its answers go to the shared cache)
        quiet = lambda: srv.stats.inflight == 0 and time.monotonic() - max(r.t0 for r in srv.stats.chat) > 1.0
        deadline = time.monotonic() + 30
        while not quiet() and time.monotonic() < deadline: time.sleep(0.05)
        before = len(srv.stats.chat)
        q = subprocess.run([str(SCRIPT), *args], env=env_for(srv, tmp_path), capture_output=True, text=True,
                           timeout=120)
        assert q.returncode == 0 and q.stderr == "", q.stderr
        assert q.stdout.startswith(f"16 projects: {16 - len(finished)} ok, {len(finished)} skipped;"), q.stdout
        assert len(done(out)) == 16
        again = {re.search(r"proj-\d\d", json.dumps(r.body)).group(0) for r in srv.stats.chat[before:]}
        assert not again & finished  # no finished project asked again
        n = asked(srv)
        assert len(n) == 16 * 4 and set(n.values()) == {1}, [k for k, v in n.items() if v > 1]  # every call once


def test_result_that_is_not_json_is_named_and_redone(tmp_path, caplog):
    "A result file cut short is named in one line and analysed again; the other stays as it was."
    srcs = sample_projects(tmp_path/"facts", 2)
    run_batch(srcs, tmp_path/"out", dry_run=True, progress=False)
    cut, kept = tmp_path/"out"/"proj-00.json", tmp_path/"out"/"proj-01.json"
    before = kept.read_bytes(); cut.write_text(cut.read_text()[:100])
    with caplog.at_level("WARNING", logger="borg_llm.batch"):
        b = run_batch(srcs, tmp_path/"out", dry_run=True, progress=False)
    assert b.counts == Counter(ok=1, skipped=1) and is_done(cut, dry_run=True) and kept.read_bytes() == before
    assert [r.getMessage().startswith(f"{cut}: not valid JSON") for r in caplog.records] == [True]


def test_full_disk_stops_the_batch_in_one_line_and_keeps_what_is_done(tmp_path, monkeypatch, capsys):
    "A result that cannot be written (a full disk) stops the batch: one line naming it, exit 1, finished results kept."
    srcs = sample_projects(tmp_path/"facts", 2)
    run_batch(srcs[:1], tmp_path/"out", dry_run=True, progress=False)
    done = (tmp_path/"out"/"proj-00.json").read_bytes()
    def full(path, obj): raise OSError(28, "No space left on device", str(path))
    monkeypatch.setattr(batch_module, "write_json", full)
    code = main(["batch", *srcs, "--out", str(tmp_path/"out"), "--dry-run", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and err == (f"borg-llm: {tmp_path/'out'/'proj-01.json'}: No space left on device; finished results "
                                 f"are kept in {tmp_path/'out'}: free some space, then run the same command again\n")
    assert (tmp_path/"out"/"proj-00.json").read_bytes() == done and not list((tmp_path/"out").glob(".*.tmp"))
    FileLock(tmp_path/"out"/".batch.lock").acquire(timeout=0)  # the batch let go of its folder
