"""Benchmark `borg_llm.report.report` on a folder of 1,000 results.

Run: python bench/bench_report.py [--projects 1000] [--seed 0]
The results are made from the dry-run result of one sample project, varied per project: name, kind, the three
scores, technical debt, status (some degraded or failed), blockers and priorities, a contradicted finding, a
security finding, the date of the last commit, and each role's model, seconds and tokens; a few files are torn.
Prints the page's size and the seconds `report` takes (reading, plots, page), then the same with `since` (a second
folder, a tenth of the projects changed). Targets: under 5 MB and under 10 s on 2 cores. It prints numbers; it
asserts nothing about time.
"""
import argparse, copy, json, random, shutil, tempfile, time
from pathlib import Path
from borg_llm.batch import run_batch
from borg_llm.config import ROLES
from borg_llm.report import report

KINDS = ("library", "cli", "web-service", "web-app", "docs", "template", "monorepo", "other")
MODELS = ("meta-llama/llama-4-scout:free", "qwen/qwen3-14b:free", "mistralai/mistral-small-3.2-24b-instruct:free")
BLOCKERS = ("No automated tests", "No CI configuration", "No Dockerfile or other deployment descriptor",
            "Secrets committed in config/settings.py", "No health endpoint", "Database migrations are manual")


def vary(base:dict, i:int, rnd:random.Random) -> dict:
    "A copy of the result `base` for project number `i`."
    a = copy.deepcopy(base)
    r, m = a["llm_results"], a["llm_results"]["metadata"]
    name = f"project-{i:04d}"
    r["business_analysis"]["market_viability"] = rnd.randint(0, 10)
    r["aggregated_insights"].update(vibecodibility_score=rnd.randint(0, 10), borg_tools_fit=rnd.randint(0, 10),
                                    overall_assessment=f"{name}: " + r["aggregated_insights"]["overall_assessment"])
    r["architect_analysis"]["technical_debt_priority"] = rnd.choice(("low", "medium", "high"))
    blockers = rnd.sample(BLOCKERS, rnd.randint(0, 4))
    r["deployment_analysis"]["deployment_blockers"] = [dict(issue=b, evidence="key_files.ci", severity="medium")
                                                       for b in blockers]
    r["aggregated_insights"]["top_priorities"] = [b.replace("No ", "Add ") for b in blockers] or ["Tag a release"]
    status = rnd.choices(("ok", "degraded", "failed"), (90, 8, 2))[0]
    roles = {k: dict(role=k, status="ok", model_answered=rnd.choice(MODELS), latency_s=round(rnd.uniform(1, 30), 2),
                     prompt_tokens=rnd.randint(1500, 6000), completion_tokens=rnd.randint(200, 900),
                     cost_usd=0.0) for k in ROLES}
    if status != "ok":
        for k in (["business"] if status == "degraded" else ROLES):
            roles[k].update(status="failed", error="HTTP 503: no healthy upstream", completion_tokens=0)
    m.update(project=name, kind=rnd.choice(KINDS), status=status, roles=roles, dry_run=False,
             models_used=[x["model_answered"] for x in roles.values()],
             prompt_tokens=sum(x["prompt_tokens"] for x in roles.values()),
             completion_tokens=sum(x["completion_tokens"] for x in roles.values()),
             last_commit=f"20{rnd.randint(19, 25)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}T12:00:00Z")
    if i % 7 == 0:
        m["contradicted"] = [dict(role="deployment", field="deployment_blockers[0]", text="No CI configuration",
                                  status="contradicted", evidence='key_files.ci = [".github/workflows/ci.yml"]',
                                  reason="the facts show it")]
    if i % 50 == 0: m["security"] = [{"kind": "prompt injection", "where": "README.md"}]
    return a


def build(d:Path, base:dict, n:int, seed:int, changed:float=0.0) -> None:
    "Write `n` varied results into `d` (a few torn); with `changed`, that share of them with other scores."
    rnd = random.Random(seed)
    d.mkdir(parents=True)
    for i in range(n):
        a = vary(base, i, rnd)
        if random.Random(i).random() < changed: a["llm_results"]["business_analysis"]["market_viability"] = 0
        (d/f"project-{i:04d}.json").write_text(json.dumps(a, indent=1) if i % 250 else '{"llm_results": {')


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp())
    try:
        sample = Path(__file__).resolve().parent.parent/"data/samples/quickpoll.json"
        run_batch([sample], work/"one", dry_run=True, progress=False)
        base = json.loads((work/"one/quickpoll.json").read_text())
        build(work/"old", base, args.projects, args.seed)
        build(work/"new", base, args.projects, args.seed, changed=0.1)
        for label, since in (("report", None), ("report --since", work/"old")):
            t0 = time.perf_counter()
            r = report(work/"new", out=work/"report.html", since=since)
            secs = time.perf_counter() - t0
            print(f"{label:<16}{len(r.rows)} projects: {r.path.stat().st_size / 1e6:.2f} MB in {secs:.2f} s")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
