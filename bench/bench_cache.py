"""Benchmark a warm re-run: 200 projects given as facts files, every model call already in the cache.

Run: python bench/bench_cache.py [--projects 200] [--concurrency 8] [--repeat 3] [--profile]
Starts the local stand-in in this process, runs the projects once to fill a fresh cache, then re-runs them with a
new panel and prints the milliseconds per project (facts file read + prompts rendered + four cache look-ups +
result). Goal: 3 ms or less. This is a benchmark that prints numbers, not a test.
"""
import argparse, asyncio, json, os, shutil, statistics, sys, tempfile, time
from pathlib import Path
from borg_llm.client import Panel
from borg_llm.config import PROJECT_ROOT, Settings
from borg_llm.facts import load_scanner_facts
from borg_llm.pipeline import analyze_with_llm
from borg_llm.testing import StandIn

SAMPLES = sorted((PROJECT_ROOT/"data"/"samples").glob("*.json"))

def write_facts(folder:Path, n:int) -> list[Path]:
    "`n` facts files made from the samples, each a different project (its name differs, so do its prompts)."
    folder.mkdir(parents=True, exist_ok=True)
    base = [json.loads(p.read_text()) for p in SAMPLES]
    files = []
    for i in range(n):
        f = folder/f"proj{i:04d}.json"
        f.write_text(json.dumps({**base[i % len(base)], "name": f"proj{i:04d}"}))
        files.append(f)
    return files

async def run_all(files:list[Path], s:Settings, concurrency:int) -> list:
    "Analyse every facts file with one panel, `concurrency` at a time."
    sem = asyncio.Semaphore(concurrency)
    async with Panel(s) as p:
        async def one(f):
            async with sem: return await analyze_with_llm(load_scanner_facts(f), panel=p)
        return await asyncio.gather(*[one(f) for f in files])

def warm_cache(projects:int=200, concurrency:int=8, repeat:int=3, base_url:str|None=None, profile:bool=False) -> dict:
    "Fill a fresh cache with `projects` facts files, then time warm re-runs; ms per project and the checks."
    tmp = Path(tempfile.mkdtemp(prefix="bench_cache_"))
    try:
        files = write_facts(tmp/"facts", projects)
        with StandIn() if base_url is None else _nothing() as srv:
            url = base_url or srv.base_url
            s = Settings(base_url=url, cache_dir=tmp/"cache", rpm=100_000, rate_window_s=1)
            t = time.perf_counter(); cold = asyncio.run(run_all(files, s, concurrency)); cold_s = time.perf_counter() - t
            times, cpus, warm = [], [], None
            for _ in range(repeat):
                t, c = time.perf_counter(), time.process_time()
                warm = asyncio.run(run_all(files, s, concurrency))
                times.append(time.perf_counter() - t); cpus.append(time.process_time() - c)
            prof = None
            if profile:
                import cProfile, io, pstats
                pr = cProfile.Profile(); pr.enable(); asyncio.run(run_all(files, s, concurrency)); pr.disable()
                out = io.StringIO(); pstats.Stats(pr, stream=out).sort_stats("cumulative").print_stats(30); prof = out.getvalue()
        hits = sum(a.meta["cache_hits"] for a in warm); api = sum(a.meta["api_calls"] for a in warm)
        same = all({k: v for k, v in a.r.items() if k != "metadata"} == {k: v for k, v in b.r.items() if k != "metadata"}
                   for a, b in zip(cold, warm))
        return dict(projects=projects, cold_ms=cold_s/projects*1000, warm_ms=[x/projects*1000 for x in times],
                    warm_ms_median=statistics.median(times)/projects*1000,
                    warm_cpu_ms=[x/projects*1000 for x in cpus], warm_cpu_ms_median=statistics.median(cpus)/projects*1000, warm_hits=hits, warm_api_calls=api,
                    same_answers=same, profile=prof)
    finally: shutil.rmtree(tmp, ignore_errors=True)

class _nothing:
    def __enter__(self): return None
    def __exit__(self, *exc): pass

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=200); ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3); ap.add_argument("--profile", action="store_true")
    a = ap.parse_args()
    r = warm_cache(a.projects, a.concurrency, a.repeat, profile=a.profile)
    print(f"{r['projects']} projects ({os.cpu_count()} cpus): cold {r['cold_ms']:.1f} ms/project (stand-in, no latency); "
          f"warm {', '.join(f'{x:.2f}' for x in r['warm_ms'])} ms/project (median {r['warm_ms_median']:.2f}; goal ≤ 3), "
          f"CPU {r['warm_cpu_ms_median']:.2f} ms/project")
    print(f"warm run: {r['warm_hits']} cache hits, {r['warm_api_calls']} API calls, same answers: {r['same_answers']}")
    if r["profile"]: print(r["profile"])

if __name__ == "__main__": main()
