"""One batch over a Dask cluster: one Redis window for all workers, a worker lost mid-batch, facts read by workers.

Run: python bench/bench_cluster.py [--rpm 60] [--window 10] [--repos 40] [--files 5000] [--only window,kill,facts]
Each scenario starts a `LocalCluster` of worker processes on this machine and runs `Batch(..., scheduler=...)`:
  1. window: 2 workers (10 threads each), one Redis window, a stand-in allowing `rpm` requests per sliding `window`
     seconds and answering in 50 ms; `3 x rpm / 4` projects, so whole windows: 429s (goal 0) and rate use (goal
     >= 0.9) = requests sent / what the window allows from the first request to the last, rpm x (span + W) / W
  2. kill: the same, one worker killed (SIGKILL) after a quarter of the results: the batch still completes; result
     lines per project (goal 1), projects finished before the kill asked again (goal 0), (project, role) calls asked
     twice (at most the calls in flight on the lost worker), 429s, rate use
  3. facts: `--repos` generated repositories of `--files` files each, no rate limit, an instant stand-in, answers
     not cached; 1 worker, then 2 (one thread each): seconds and the ratio (goal >= 1.6 on 2 cores). Each worker
     reads its projects' facts itself, so reading spreads over the workers' cores
Needs the cluster extra (dask.distributed, redis) and, for 1-2, `redis-server` on the PATH (started here on a free
port). Numbers only: a benchmark, not a test.
"""
import argparse, asyncio, json, os, re, signal, sys, tempfile, time
from collections import Counter
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_quota import start_redis, use
from borg_llm.batch import Batch
from borg_llm.config import Settings
from borg_llm.testing import StandIn, find_schema, sample_projects

LINE = {".py": "    result = compute(value, factor=2)  # keep the pipeline simple\n",
        ".js": "  const total = items.reduce((sum, x) => sum + x.price, 0);\n",
        ".go": "\tif err := store.Save(ctx, entry); err != nil { return err }\n",
        ".md": "Some documentation prose that explains how the module is used.\n"}

def cluster(workers:int, threads:int):
    from distributed import LocalCluster
    return LocalCluster(n_workers=workers, threads_per_worker=threads, processes=True, dashboard_address=None)

def _imports():
    import borg_llm.facts, borg_llm.pipeline  # noqa: F401

def warm(c):
    "Import what a worker needs before the clock starts (about 2 s a process)."
    from distributed import Client
    with Client(c) as client: client.run(_imports)

def asked(srv) -> Counter:
    "How often each (project, role schema) was asked at the stand-in."
    name = lambda r: re.search(r"proj-\d+", json.dumps(r.body)).group(0)
    return Counter((name(r), find_schema(r.body).title) for r in srv.stats.chat)

async def kill_busiest(address:str) -> int:
    "SIGKILL the worker process with the most tasks; how many it had."
    from distributed import Client
    async with Client(address, asynchronous=True) as c:
        busy = await c.processing()
        w = max(busy, key=lambda a: len(busy[a]))
        pid = (await c.run(os.getpid, workers=[w]))[w]
        os.kill(pid, signal.SIGKILL)
        return len(busy[w])

def window(a, redis_url:str, tmp:Path, kill:bool=False) -> dict:
    "A batch over 2 workers against a sliding-window stand-in; with `kill`, one worker is lost after a quarter."
    n = 3 * a.rpm // 4
    with StandIn(latency_s=0.05, rate_limit=(a.rpm, a.window)) as srv, cluster(2, 10) as c:
        warm(c)
        s = Settings(base_url=srv.base_url, cache_dir=tmp/"cache", rpm=a.rpm, rate_window_s=a.window,
                     rate_storage=redis_url)
        files, out, at_kill = sample_projects(tmp/"in", n), tmp/"out", {}
        b = Batch(files, out, settings=s, scheduler=c.scheduler_address, concurrency=20, progress=False)
        keys = lambda: [json.loads(l)["key"] for l in b.summary_path.read_text().splitlines()]
        async def on_result(o):
            if kill and not at_kill and b.counts["ok"] >= n // 4:
                at_kill.update(done=set(keys()), asked=len(srv.stats.chat))
                at_kill["tasks"] = await kill_busiest(c.scheduler_address)
        t0 = time.monotonic(); asyncio.run(b.run(on_result)); secs = time.monotonic() - t0
        lines, calls = Counter(keys()), asked(srv)
        later = {re.search(r"proj-\d+", json.dumps(r.body)).group(0) for r in srv.stats.chat[at_kill.get("asked", 0):]}
        return dict(projects=n, ok=b.counts["ok"], requests=len(srv.stats.chat), n429=srv.stats.n_429,
                    use=use(srv, a.rpm, a.window), secs=secs, lines=max(lines.values()), missing=n - len(lines),
                    again=len(later & at_kill.get("done", set())), twice=sum(v > 1 for v in calls.values()),
                    lost_tasks=at_kill.get("tasks"))

def repos(root:Path, n:int, files:int) -> list[str]:
    "`n` generated repositories of `files` small source files each, with a README and a manifest."
    exts, out = list(LINE), []
    for r in range(n):
        d = root/f"proj-{r:02d}"
        for i in range(files):
            sub = d/f"pkg{i % 20:02d}"/f"mod{i % 5}"; sub.mkdir(parents=True, exist_ok=True)
            e = exts[i % 4]; (sub/f"f{i}{e}").write_text(LINE[e] * (20 + i % 80))
        (d/"README.md").write_text(f"# proj-{r:02d}\n\nA generated project for the benchmark.\n")
        (d/"pyproject.toml").write_text(f'[project]\nname = "proj-{r:02d}"\ndependencies = ["requests"]\n')
        out.append(str(d))
    return out

def facts(a, tmp:Path) -> dict:
    "The same batch of generated repositories on 1 worker and on 2: seconds each."
    t0 = time.monotonic(); src = repos(tmp/"repos", a.repos, a.files); built = time.monotonic() - t0
    secs, slowest = {}, {}
    with StandIn() as srv:
        s = Settings(base_url=srv.base_url, cache_dir=tmp/"cache", rpm=1_000_000, rate_window_s=1, timeout=30)
        for workers in (1, 2):
            with cluster(workers, 1) as c:
                warm(c)  # and a first small batch on every worker: its panel, templates and schemas
                w = Batch(sample_projects(tmp/f"warm{workers}", 4*workers), tmp/f"warm{workers}"/"out", settings=s,
                          scheduler=c.scheduler_address, concurrency=2*workers, cache="off", progress=False)
                asyncio.run(w.run())
                b = Batch(src, tmp/f"out{workers}", settings=s, scheduler=c.scheduler_address, concurrency=2*workers,
                          cache="off", progress=False)
                t0 = time.monotonic(); asyncio.run(b.run()); secs[workers] = time.monotonic() - t0
                if b.counts["ok"] != a.repos: print(f"{workers} worker(s): {b.report()}", file=sys.stderr)
                slowest[workers] = max(json.loads(l)["seconds"] for l in b.summary_path.read_text().splitlines())
    return dict(built=built, one=secs[1], two=secs[2], ratio=secs[1] / secs[2], slowest=slowest)

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rpm", type=int, default=60); ap.add_argument("--window", type=float, default=10.0)
    ap.add_argument("--repos", type=int, default=40); ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--only", default="window,kill,facts")
    a = ap.parse_args()
    only = a.only.split(",")
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start\n")
    if {"window", "kill"} & set(only):
        proc, url = start_redis()
        if proc is None: print("window, kill: not run: redis-server is not installed\n")
        try:
            for kill in [k for k, name in ((False, "window"), (True, "kill")) if name in only and proc is not None]:
                with tempfile.TemporaryDirectory() as d: r = window(a, url, Path(d), kill)
                what = "one worker killed after a quarter" if kill else "2 workers"
                print(f"{what}: {r['projects']} projects, {r['ok']} ok, {r['requests']} requests at {a.rpm} per "
                      f"{a.window:g} s: {r['n429']} x 429, rate use {r['use']:.0%}, {r['secs']:.1f} s")
                if kill:
                    print(f"  result lines per project: at most {r['lines']}, {r['missing']} missing; finished before "
                          f"the kill and asked again: {r['again']}; (project, role) asked twice: {r['twice']} "
                          f"(the lost worker had {r['lost_tasks']} project(s) in hand)")
                print(flush=True)
        finally:
            if proc is not None: proc.terminate(); proc.wait(10)
    if "facts" in only:
        with tempfile.TemporaryDirectory() as d: r = facts(a, Path(d))
        print(f"facts read by the workers: {a.repos} repositories x {a.files} files (written in {r['built']:.1f} s), "
              f"no rate limit, instant answers: 1 worker {r['one']:.1f} s, 2 workers {r['two']:.1f} s, "
              f"ratio {r['ratio']:.2f} (slowest project {r['slowest'][1]:.1f} s, {r['slowest'][2]:.1f} s)")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")

if __name__ == "__main__": main()
