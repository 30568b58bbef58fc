"""Seconds per analysis of each local model, on the sample projects, as `borg-llm analyze data/repos/<name>` runs them.

Run: python bench/bench_local.py [MODEL ...] [--projects NAME ...] [--server current|plain|no-reading|no-echo|both ...] [--json FILE]
For each installed catalogue model (default: all of them): start its server (start-up timed apart), then analyse the
projects (default: the eleven of the recorded benchmark), one after another, cache off, with the model's local
roster, as the CLI does. Prints one markdown table: seconds per analysis (median, range); its compute floor, the
sum of llama.cpp's own prompt-evaluation and generation times for the analysis's calls (read from the server log);
wall time ÷ floor (median over projects); seconds per call; llama.cpp's prompt and completion speeds (tokens/s).
`--server both` runs each model twice, side by side: `current`, the server as borg_llm starts it (the shortlist
sampler, no logits kept for prompt tokens), and `plain`, llama-cpp-python's own defaults (its sampler chain, the
logits of every prompt token kept), which is how borg_llm ran it before. `--server current no-reading` times the analysis with and without the roster's
reading (the closed questions of the model criteria), each on a server of its own; `--server current no-echo` with
and without `no_echo = 5` in every role (no answer repeating five words of its instructions). Numbers only, no assertions. The medians are what `borg_llm.catalogue.MODELS[...].secs_per_analysis`
records (see `borg-llm models`).
"""
import argparse, asyncio, contextlib, hashlib, json, os, re, statistics, sys, tempfile, time
from pathlib import Path
from borg_llm import catalogue, local
from borg_llm.facts import load_project
from borg_llm.client import Panel
from borg_llm.config import PROJECT_ROOT, ROLES, Settings, load_roster, prompts_dir
from borg_llm.pipeline import analyze_with_llm
from borg_llm.evals import RECORDED

SAMPLES = tuple(RECORDED)  # the eleven projects of the recorded benchmark
_PERF = re.compile(r"^(?:llama_perf_context_print:\s+)?(prompt eval|eval) time =\s+([\d.]+) ms /\s+(\d+) (?:tokens|runs)",
                   re.M)

def floor_s(log:str) -> float:
    "Seconds of prompt evaluation and generation that llama.cpp reports in `log`: what the calls cost the model."
    return sum(float(ms) for _, ms, _ in _PERF.findall(log)) / 1000

def speeds(log:str) -> dict:
    "Prompt and completion tokens/s summed over every request in a llama.cpp server log."
    tot = {"prompt eval": [0.0, 0], "eval": [0.0, 0]}
    for kind, ms, n in _PERF.findall(log): tot[kind][0] += float(ms); tot[kind][1] += int(n)
    rate = lambda k: round(tot[k][1] / (tot[k][0] / 1000), 1) if tot[k][0] else None
    return dict(prompt_tps=rate("prompt eval"), completion_tps=rate("eval"))

async def analyse(url:str, m:catalogue.LocalModel, path:Path, cache:Path, reading:bool=True, no_echo:int=0) -> dict:
    """One analysis of `path` against the server at `url` (without the roster's reading if not `reading`; each role with
    `no_echo`): wall seconds and the per-call metadata."""
    s = Settings(base_url=url, cache_dir=cache, timeout=1800, max_retries=0)  # a slow answer is measured, not re-sent
    roster = load_roster(prompts_dir(s)/m.roster)
    t0 = time.monotonic()
    if no_echo: roster = roster.model_copy(update={r: roster[r].model_copy(update=dict(no_echo=no_echo)) for r in ROLES})
    async with Panel(s, roster if reading else roster.model_copy(update=dict(reading=None)), cache="off") as p:
        a = await analyze_with_llm(load_project(path), panel=p)
    answers = json.dumps({k: v for k, v in a.r.items() if k != "metadata"}, sort_keys=True)
    calls = {**a.meta["roles"], **({"reading": a.meta["reading"]} if a.meta.get("reading") else {})}
    return dict(project=path.name, secs=round(time.monotonic() - t0, 2), status=a.meta["status"], roles=calls,
                answers_sha=hashlib.sha256(answers.encode()).hexdigest()[:12])

SERVERS = {"current": {}, "plain": dict(sampler="chain", logprobs=True), "no-reading": {}, "no-echo": {}}  # `LocalServer` settings compared
READS = {"no-reading": False}  # settings whose analyses leave the roster's reading out
ECHO = {"no-echo": 5}  # settings whose roles ask `no_echo`: no run of this many words of their instructions

class _Server:
    "One server of the comparison: its URL, its log, and how much of the log is read."
    def __init__(self, d:Path, name:str, setting:str): self.d, self.name, self.setting, self.read = d, name, setting, 0
    def log(self) -> str: return "".join(f.read_text(errors="replace") for f in self.d.glob(f"server-{self.name}-*.log"))
    def new_floor(self) -> float:
        "Compute floor of the requests logged since the last call."
        log = self.log(); out = floor_s(log[self.read:]); self.read = len(log); return round(out, 2)

def bench(name:str, projects:list[Path], servers:list[str]) -> list[dict]:
    "Start one server of `name` per setting, analyse each project on each in turn (interleaved), stop them; the numbers."
    m, tmp = catalogue.get_model(name), Path(tempfile.mkdtemp(prefix="bench_local_"))
    runs, startup = {s: [] for s in servers}, {}
    with contextlib.ExitStack() as stack:
        srv = {}
        for s in servers:
            t0 = time.monotonic()
            url = stack.enter_context(local.shared_server(tmp/s, name, **SERVERS[s]))
            startup[s], srv[s] = time.monotonic() - t0, (url, _Server(tmp/s, name, s))
        for p in projects:
            for s, (url, log) in srv.items():
                runs[s].append(r := asyncio.run(analyse(url, m, p, tmp/"cache", READS.get(s, True), ECHO.get(s, 0))))
                r["floor_s"] = log.new_floor()
                print(f"{name} ({s}) {r['project']}: {r['secs']:.1f} s, floor {r['floor_s']:.1f} s, {r['status']} "
                      f"(load average {os.getloadavg()[0]:.1f})", flush=True)
        logs = {s: log.log() for s, (_, log) in srv.items()}
    rows = [summary(name, s, runs[s], startup[s], logs[s]) for s in servers]
    for r in rows:  # the same result text as the first setting's, project by project
        r["same"] = sum(a["answers_sha"] == b["answers_sha"] for a, b in zip(r["runs"], rows[0]["runs"]))
    return rows

def summary(name:str, server:str, runs:list[dict], startup:float, log:str) -> dict:
    "One row of numbers for `name` on `server`."
    calls = [r for run in runs for r in run["roles"].values()]
    secs = [r["secs"] for r in runs]
    return dict(model=name, server=server, load_avg=round(os.getloadavg()[0], 1), startup_s=round(startup, 1),
                secs=secs, median_s=statistics.median(secs),
                floor_s=statistics.median(r["floor_s"] for r in runs),
                ratio=statistics.median(r["secs"] / r["floor_s"] for r in runs if r["floor_s"]),
                call_s=statistics.median(c["latency_s"] for c in calls), ok=sum(r["status"] == "ok" for r in runs),
                prompt_tokens=sum(c.get("prompt_tokens", 0) for c in calls),
                completion_tokens=sum(c.get("completion_tokens", 0) for c in calls), **speeds(log), runs=runs)

def table(rows:list[dict]) -> str:
    "The results as a markdown table."
    out = ["| model | server | s per analysis, median (range) | compute floor s, median | wall ÷ floor, median "
           "| s per call, median | status ok | same result as the first | prompt tok/s | completion tok/s | start-up s | load average |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['model']} | {r['server']} | {r['median_s']:.1f} ({min(r['secs']):.1f}-{max(r['secs']):.1f}) "
                   f"| {r['floor_s']:.1f} | {r['ratio']:.3f} "
                   f"| {r['call_s']:.1f} | {r['ok']}/{len(r['secs'])} | {r['same']}/{len(r['secs'])} | {r['prompt_tps']} | {r['completion_tps']} "
                   f"| {r['startup_s']} | {r['load_avg']} |")
    return "\n".join(out)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", help="catalogue names (default: every installed model)")
    ap.add_argument("--projects", metavar="NAME", nargs="+", default=list(SAMPLES),
                    help="sample projects (default: the eleven of the recorded benchmark)")
    ap.add_argument("--server", choices=[*SERVERS, "both"], default=["current"], nargs="+",
                    help="settings side by side: current (default), plain (llama-cpp-python's defaults), no-reading "
                         "(current without the reading); both: current and plain")
    ap.add_argument("--json", metavar="FILE", help="also write every number, per project and role, to FILE")
    a = ap.parse_args(argv)
    names = a.models or [n for n in catalogue.MODELS if catalogue.installed(n)]
    projects = [PROJECT_ROOT/"data"/"repos"/n for n in a.projects]
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; projects: {', '.join(a.projects)}",
          flush=True)
    rows = []
    servers = list(dict.fromkeys(x for s in a.server for x in (["current", "plain"] if s == "both" else [s])))
    for n in names: rows += bench(n, projects, servers)
    print(table(rows))
    for r in rows:  # generated tokens per role: what each role's answer costs
        per = {role: statistics.median(run["roles"][role].get("completion_tokens", 0) for run in r["runs"] if role in run["roles"])
               for role in r["runs"][0]["roles"]}
        print(f"{r['model']} ({r['server']}): completion tokens per call, median: "
              + ", ".join(f"{k} {v:g}" for k, v in per.items()))
    for cur, base in zip(rows[::2], rows[1::2]) if len(servers) == 2 else []:
        print(f"{cur['model']}: median analysis {cur['server']} ÷ {base['server']} = {cur['median_s'] / base['median_s']:.2f}; "
              f"median of per-project ratios {statistics.median(a['secs'] / b['secs'] for a, b in zip(cur['runs'], base['runs'])):.2f}")
    if a.json: Path(a.json).write_text(json.dumps(rows, indent=1))

if __name__ == "__main__": main()
