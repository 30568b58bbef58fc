"""Seconds per analysis of each local model, on the sample projects, as `borg-llm analyze data/repos/<name>` runs them.

Run: python bench/bench_local.py [MODEL ...] [--projects NAME ...] [--json FILE]
For each installed catalogue model (default: all of them): start its server (start-up timed apart), then analyse the
projects of data/repos that have a facts file in data/samples, one after another, cache off, with the model's local
roster, as the CLI does. Prints one markdown table: seconds per analysis (median, range), per call, and llama.cpp's
own prompt and completion speeds (tokens/s, read from the server log). Numbers only, no assertions. The medians are
what `borg_llm.catalogue.MODELS[...].secs_per_analysis` records (see `borg-llm models`).
"""
import argparse, asyncio, json, os, re, statistics, sys, tempfile, time
from pathlib import Path
from borg_llm import catalogue, local
from borg_llm.facts import load_project
from borg_llm.client import Panel
from borg_llm.config import PROJECT_ROOT, Settings, load_roster, prompts_dir
from borg_llm.pipeline import analyze_with_llm

SAMPLES = ("ledgerd", "recipe-board", "snake-toy", "team-handbook", "tinyhttp-py")  # the five original sample projects
PROJECTS = [PROJECT_ROOT/"data"/"repos"/n for n in SAMPLES]
_PERF = re.compile(r"^(?:llama_perf_context_print:\s+)?(prompt eval|eval) time =\s+([\d.]+) ms /\s+(\d+) (?:tokens|runs)",
                   re.M)

def speeds(log:str) -> dict:
    "Prompt and completion tokens/s summed over every request in a llama.cpp server log."
    tot = {"prompt eval": [0.0, 0], "eval": [0.0, 0]}
    for kind, ms, n in _PERF.findall(log): tot[kind][0] += float(ms); tot[kind][1] += int(n)
    rate = lambda k: round(tot[k][1] / (tot[k][0] / 1000), 1) if tot[k][0] else None
    return dict(prompt_tps=rate("prompt eval"), completion_tps=rate("eval"))

async def analyse(url:str, m:catalogue.LocalModel, path:Path, cache:Path) -> dict:
    "One analysis of `path` against the server at `url`: wall seconds and the per-role metadata."
    s = Settings(base_url=url, cache_dir=cache, timeout=1800, max_retries=0)  # a slow answer is measured, not re-sent
    t0 = time.monotonic()
    async with Panel(s, load_roster(prompts_dir(s)/m.roster), cache="off") as p:
        a = await analyze_with_llm(load_project(path), panel=p)
    return dict(project=path.name, secs=round(time.monotonic() - t0, 2), status=a.meta["status"], roles=a.meta["roles"])

def bench(name:str, projects:list[Path]) -> dict:
    "Start `name`'s server in a fresh state dir, analyse `projects`, stop it; the numbers."
    m, tmp = catalogue.get_model(name), Path(tempfile.mkdtemp(prefix="bench_local_"))
    t0 = time.monotonic()
    with local.shared_server(tmp/"state", name) as url:
        startup = time.monotonic() - t0
        runs = []
        for p in projects:
            runs.append(r := asyncio.run(analyse(url, m, p, tmp/"cache")))
            print(f"{name} {r['project']}: {r['secs']:.1f} s, {r['status']} (load average {os.getloadavg()[0]:.1f})",
                  flush=True)
        log = "".join(f.read_text(errors="replace") for f in (tmp/"state").glob(f"server-{name}-*.log"))
    calls = [r for run in runs for r in run["roles"].values()]
    secs = [r["secs"] for r in runs]
    return dict(model=name, load_avg=round(os.getloadavg()[0], 1), startup_s=round(startup, 1), secs=secs,
                median_s=statistics.median(secs),
                call_s=statistics.median(c["latency_s"] for c in calls), ok=sum(r["status"] == "ok" for r in runs),
                prompt_tokens=sum(c.get("prompt_tokens", 0) for c in calls),
                completion_tokens=sum(c.get("completion_tokens", 0) for c in calls), **speeds(log), runs=runs)

def table(rows:list[dict]) -> str:
    "The results as a markdown table."
    out = ["| model | s per analysis, median (range) | s per call, median | status ok | prompt tok/s "
           "| completion tok/s "
           "| start-up s | load average |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['model']} | {r['median_s']:.1f} ({min(r['secs']):.1f}-{max(r['secs']):.1f}) "
                   f"| {r['call_s']:.1f} | {r['ok']}/{len(r['secs'])} | {r['prompt_tps']} | {r['completion_tps']} "
                   f"| {r['startup_s']} | {r['load_avg']} |")
    return "\n".join(out)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", help="catalogue names (default: every installed model)")
    ap.add_argument("--projects", metavar="NAME", nargs="+", default=list(SAMPLES),
                    help="sample projects (default: all five)")
    ap.add_argument("--json", metavar="FILE", help="also write every number, per project and role, to FILE")
    a = ap.parse_args(argv)
    names = a.models or [n for n in catalogue.MODELS if catalogue.installed(n)]
    projects = [PROJECT_ROOT/"data"/"repos"/n for n in a.projects]
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; projects: {', '.join(a.projects)}",
          flush=True)
    rows = []
    for n in names:
        rows.append(bench(n, projects))
    print(table(rows))
    if a.json: Path(a.json).write_text(json.dumps(rows, indent=1))

if __name__ == "__main__": main()
