"""Benchmark `borg_llm.facts.collect_facts` on a generated ~200 MB tree with thousands of files.

Run: python bench/bench_facts.py [--mb 200] [--files 4000] [--repeat 3] [--commits 50000]
Prints the tree's size and the seconds per run (first run right after writing: the files are in the page cache), then
the seconds `git_facts` takes on a generated history of `--commits` commits (0 to skip), which is longer than the
5,000 commits it reads one by one, so the counts come from `git rev-list`.
Target: under 10 s on 2 cores. This is a benchmark that prints numbers, not a test.
"""
import argparse, os, random, shutil, statistics, subprocess, tempfile, time
from pathlib import Path
from borg_llm.facts import collect_facts, git_facts

LINE = {".py": "    result = compute(value, factor=2)  # keep the pipeline simple\n",
        ".js": "  const total = items.reduce((sum, x) => sum + x.price, 0);\n",
        ".go": "\tif err := store.Save(ctx, entry); err != nil { return err }\n",
        ".md": "Some documentation prose that explains how the module is used.\n"}

def build(root:Path, mb:int, files:int, seed:int=0) -> tuple[int, int]:
    "Write a project of about `mb` MB in `files` files (text, binaries, a large file, ignored and skipped dirs)."
    rnd, total = random.Random(seed), 0
    per_file = mb * 1_000_000 // files
    (root/".gitignore").write_text("*.log\ngenerated/\n")
    (root/"README.md").write_text("# bench\n\nA generated project.\n")
    for i in range(files):
        pkg = root/f"pkg{i % 40:02d}"/f"mod{i % 7}"
        pkg.mkdir(parents=True, exist_ok=True)
        if i % 10 == 9:  # about a tenth binaries, similar size
            data = rnd.randbytes(per_file); (pkg/f"asset{i}.bin").write_bytes(b"\0" + data)
        else:
            ext = rnd.choice(list(LINE))
            data = (LINE[ext] * (per_file // len(LINE[ext]) + 1))[:per_file].encode()
            (pkg/f"file{i}{ext}").write_bytes(data)
        total += len(data)
    for d in ["node_modules/left-pad", ".git/objects", "generated", ".venv/lib"]:  # pruned without reading
        (root/d).mkdir(parents=True, exist_ok=True)
        for j in range(200): (root/d/f"x{j}.js").write_text("x\n" * 1000)
    (root/"big.sql").write_bytes(b"INSERT INTO t VALUES (1);\n" * 200_000)  # 5 MB: over the 1 MB read limit
    return files + 1, total

def history(root:Path, commits:int, seed:int=0) -> None:
    "A git repository of `commits` commits by 200 authors over ten years, one tag per 500 commits (git fast-import)."
    rnd, t, lines = random.Random(seed), 1_400_000_000, []
    for i in range(commits):
        t, who, msg = t + rnd.randint(60, 12_000), f"dev{rnd.randrange(200)}", f"change {i}"
        lines += ["commit refs/heads/main", f"mark :{i+1}", f"committer {who} <{who}@example.com> {t} +0000",
                  f"data {len(msg)}", msg, ""]
        if i % 500 == 499: lines += [f"reset refs/tags/v{i // 500}", f"from :{i+1}", ""]
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "fast-import", "--quiet"], input="\n".join(lines).encode(), check=True)

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=200); ap.add_argument("--files", type=int, default=4000)
    ap.add_argument("--repeat", type=int, default=3); ap.add_argument("--commits", type=int, default=50_000)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_facts_"))
    try:
        root = tmp/"project"; root.mkdir()
        t = time.perf_counter(); n, total = build(root, a.mb, a.files)
        print(f"built {n} files, {total/1e6:.0f} MB in {time.perf_counter()-t:.1f} s ({os.cpu_count()} cpus)")
        times = []
        for _ in range(a.repeat):
            t = time.perf_counter(); facts = collect_facts(root, time_budget=60); times.append(time.perf_counter() - t)
        print(f"collect_facts: {', '.join(f'{x:.2f}' for x in times)} s (median {statistics.median(times):.2f} s)")
        print(f"file_count={facts['file_count']} total_bytes={facts['total_bytes']/1e6:.0f} MB "
              f"truncated={facts['truncated']} skipped={facts['skipped']}")
        print("languages:", {k: v for k, v in facts["languages"].items()})
        if a.commits and shutil.which("git"):
            t = time.perf_counter(); history(tmp/"history", a.commits)
            print(f"built a git history of {a.commits} commits in {time.perf_counter()-t:.1f} s")
            times = []
            for _ in range(a.repeat):
                t = time.perf_counter(); g = git_facts(str(tmp/"history")); times.append(time.perf_counter() - t)
            print(f"git_facts: {', '.join(f'{x:.2f}' for x in times)} s (median {statistics.median(times):.2f} s)")
            print("git:", g)
    finally: shutil.rmtree(tmp)

if __name__ == "__main__": main()
