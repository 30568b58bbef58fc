"""One quota for every process: 429s and rate use when several `borg-llm batch` processes share one key.

Run: python bench/bench_quota.py [--rpm 60] [--window 10] [--storages memory,file,redis]
A stand-in on 127.0.0.1 allows `rpm` requests per sliding `window` seconds and answers in 50 ms; the batches are
real `borg-llm batch` processes with the same limit, each window storage in turn:
  1. interrupt and resume: 30 projects, Ctrl-C (SIGINT) after 8 results, the same command again at once: 429s,
     summed over `--repeat` runs (how many the server still counts when the new process starts varies)
  2. four processes x 10 projects, with one key, at once: 429s
  3. rate use of each: requests sent / requests the server's window allows over the run, N x (span + W) / W, where
     span is the time from the first request to the last (100 %: every window full)
`redis` needs `redis-server` on the PATH (started here on a free port) and the redis package. Numbers only.
"""
import argparse, os, shutil, signal, socket, subprocess, sys, tempfile, time
from pathlib import Path
from borg_llm.batch import is_done
from borg_llm.testing import StandIn, sample_projects

SCRIPT = Path(sys.executable).parent/"borg-llm"

def done(out:Path) -> int: return sum(1 for p in out.glob("*.json") if is_done(p))

def default_sigint():
    "Ctrl-C must reach the batch even when this script runs in the background (`&` ignores SIGINT in its children)."
    signal.signal(signal.SIGINT, signal.SIG_DFL)

def batch(files, out:Path, env:dict) -> subprocess.Popen:
    err = open(out.parent/f"{out.name}.{time.monotonic_ns()}.err", "w")  # kept for `check`
    p = subprocess.Popen([str(SCRIPT), "batch", *files, "--out", str(out), "--no-progress"], env=env,
                         stdout=subprocess.DEVNULL, stderr=err, preexec_fn=default_sigint)
    p.err = err.name; err.close()
    return p

def check(p:subprocess.Popen, *codes:int):
    "Say so on stderr if a batch ended otherwise than expected: its numbers would mean something else."
    if p.returncode not in codes:
        print(f"batch exited {p.returncode}: {Path(p.err).read_text().strip()[-300:]}", file=sys.stderr)

def use(srv, rpm:int, window:float) -> float:
    "Requests sent / requests the window allows from the first to the last."
    ts = sorted(r.t0 for r in srv.stats.chat)
    return len(ts) / (rpm * (ts[-1] - ts[0] + window) / window) if ts else 0.0

def interrupt_and_resume(srv, env:dict, tmp:Path, rpm:int, window:float) -> tuple[int, float, float, int]:
    "429s, rate use, seconds, and how many of the first run's requests the server still counted at the restart."
    files, out = sample_projects(tmp/"in", 30, "ir"), tmp/"out"
    t0, p = time.monotonic(), batch(files, out, env)
    while done(out) < 8 and p.poll() is None: time.sleep(0.02)
    p.send_signal(signal.SIGINT); p.wait(60); check(p, 130)
    first = sorted(r.t0 for r in srv.stats.chat)
    q = batch(files, out, env); q.wait(600); check(q, 0)  # at once
    later = sorted(r.t0 for r in srv.stats.chat)[len(first):]
    carried = sum(1 for t in first if later and t > later[0] - window)
    return srv.stats.n_429, use(srv, rpm, window), time.monotonic() - t0, carried

def four_processes(srv, env:dict, tmp:Path, rpm:int, window:float) -> tuple[int, float, float]:
    t0 = time.monotonic()
    ps = [batch(sample_projects(tmp/f"in{i}", 10, f"fp{i}"), tmp/f"out{i}", env) for i in range(4)]
    for p in ps: p.wait(600); check(p, 0)
    return srv.stats.n_429, use(srv, rpm, window), time.monotonic() - t0, 0

def free_port() -> int:
    with socket.socket() as s: s.bind(("127.0.0.1", 0)); return s.getsockname()[1]

def start_redis():
    "A throwaway redis-server on a free loopback port, or None if it is not installed."
    if shutil.which("redis-server") is None: return None, None
    import redis
    port = free_port()
    cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    for _ in range(200):
        try: redis.Redis(port=port).ping(); break
        except redis.ConnectionError: time.sleep(0.05)
    return proc, f"redis://127.0.0.1:{port}/0"

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rpm", type=int, default=60); ap.add_argument("--window", type=float, default=10.0)
    ap.add_argument("--storages", default="memory,file,redis"); ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    redis_proc, redis_url = start_redis() if "redis" in a.storages else (None, None)
    uris = dict(memory="memory://", file="file://", redis=redis_url)
    print(f"{a.rpm} requests per sliding {a.window:g} s at the server and in each process; 50 ms per answer\n")
    print(f"| storage | interrupt + resume: 429s in {a.repeat} runs | old requests counted at restart | rate use "
          "| s per run | 4 processes x 10: 429s | rate use | s |")
    print("|---|---|---|---|---|---|---|---|")
    try:
        for name in a.storages.split(","):
            if uris.get(name) is None: print(f"| {name} | not run: redis-server not installed | | | | | | |"); continue
            row = []
            for scenario in [interrupt_and_resume]*a.repeat + [four_processes]:
                with tempfile.TemporaryDirectory() as d, StandIn(latency_s=0.05, rate_limit=(a.rpm, a.window)) as srv:
                    env = {k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY" and "BORG_LLM_" not in k}
                    env.update(BORG_LLM_BASE_URL=srv.base_url, BORG_LLM_CACHE_DIR=str(Path(d)/"cache"),
                               BORG_LLM_RPM=str(a.rpm), BORG_LLM_RATE_WINDOW_S=str(a.window),
                               BORG_LLM_RATE_STORAGE=uris[name])
                    row.append(scenario(srv, env, Path(d), a.rpm, a.window))
            ir, fp = row[:-1], row[-1]
            cells = [f"{sum(r[0] for r in ir)} ({', '.join(str(r[0]) for r in ir)})",
                     ", ".join(str(r[3]) for r in ir),
                     f"{min(r[1] for r in ir):.0%}-{max(r[1] for r in ir):.0%}", f"{sum(r[2] for r in ir)/len(ir):.1f}",
                     str(fp[0]), f"{fp[1]:.0%}", f"{fp[2]:.1f}"]
            print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    finally:
        if redis_proc is not None: redis_proc.terminate(); redis_proc.wait(10)

if __name__ == "__main__": main()
