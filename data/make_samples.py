"""Rebuild data/samples/*.json from the synthetic repositories in data/repos/.

Each sample is `collect_facts(data/repos/<name>)` with `path` made relative to the project root, merged with the
hand-written scanner facts below (what the scanner's static analyzers would report). Projects listed in HISTORY are
collected from a temporary copy with a git history made from fixed dates (a nested `.git` cannot be committed), so
their samples carry `git` facts. Run from anywhere:

    python data/make_samples.py [NAME ...]   # every sample, or only those named

It also writes the planted samples in data/injections/samples/: for each variant of data/injections/injections.toml,
the facts of its project with the attack planted (VARIANT.json) and with the harmless control instead
(VARIANT.control.json), scanner facts as the project's. The output is deterministic: re-running it without changing
data/repos/ or the injection set gives the same files.
"""
import json, os, shutil, subprocess, sys, tempfile
from pathlib import Path
from borg_llm.facts import collect_facts, merge_facts
from borg_llm.untrusted import load_injections, materialize

DATA = Path(__file__).resolve().parent
ROOT = DATA.parent

SCANNER = {
    "tinyhttp-py": {
        "code_analysis": {
            "quality_score": 7.8,
            "complexity": {"average": 2.6, "max": 9, "hotspots": ["src/tinyhttp/_client.py"]},
            "test_coverage": 71.0,
            "lint_issues": 2,
            "type_hints": "full",
        },
        "deployment_analysis": {
            "readiness_percent": 55,
            "files": [".github/workflows/ci.yml", "pyproject.toml"],
            "has_ci": True,
            "has_container": False,
            "publishes_to": "PyPI",
            "notes": ["no release workflow: publishing to PyPI is manual"],
        },
        "doc_analysis": {
            "quality_percent": 80,
            "readme_sections": ["Install", "Usage", "Features", "Development", "License"],
            "has_docs_site": True,
            "docstring_coverage": 64.0,
        },
    },
    "recipe-board": {
        "code_analysis": {
            "quality_score": 6.1,
            "complexity": {"average": 3.4, "max": 11, "hotspots": ["client/src/components/WeekPlanner.jsx"]},
            "test_coverage": 18.0,
            "lint_issues": 14,
            "type_hints": "none",
        },
        "deployment_analysis": {
            "readiness_percent": 60,
            "files": ["Dockerfile", "docker-compose.yml"],
            "has_ci": False,
            "has_container": True,
            "notes": ["no CI", "no health endpoint", "session secret from the environment"],
        },
        "doc_analysis": {
            "quality_percent": 45,
            "readme_sections": ["Quick start", "Scripts", "Roadmap"],
            "has_docs_site": False,
            "docstring_coverage": 0.0,
        },
    },
    "ledgerd": {
        "code_analysis": {
            "quality_score": 7.2,
            "complexity": {"average": 3.1, "max": 8, "hotspots": ["internal/api/handlers.go"]},
            "test_coverage": 58.0,
            "lint_issues": 1,
            "type_hints": "static",
        },
        "deployment_analysis": {
            "readiness_percent": 85,
            "files": ["Dockerfile", "k8s/deployment.yaml", "k8s/service.yaml", "k8s/configmap.yaml",
                      ".github/workflows/ci.yml", ".github/workflows/release.yml"],
            "has_ci": True,
            "has_container": True,
            "orchestration": "kubernetes",
            "notes": ["no migration job in k8s/", "image tag pinned in the Deployment"],
        },
        "doc_analysis": {
            "quality_percent": 60,
            "readme_sections": ["API", "Running", "Deploying", "License"],
            "has_docs_site": False,
            "docstring_coverage": 35.0,
        },
    },
    "team-handbook": {
        "code_analysis": {
            "quality_score": None,
            "complexity": None,
            "test_coverage": None,
            "notes": ["no source code: Markdown only"],
        },
        "deployment_analysis": {
            "readiness_percent": 0,
            "files": [],
            "has_ci": False,
            "has_container": False,
            "notes": ["nothing to deploy; could be published as a static site"],
        },
        "doc_analysis": {
            "quality_percent": 85,
            "readme_sections": ["Contents", "Writing style"],
            "has_docs_site": False,
            "pages": 8,
        },
    },
    "snake-toy": {
        "code_analysis": {
            "quality_score": 4.2,
            "complexity": {"average": 6.5, "max": 14, "hotspots": ["snake.py"]},
            "test_coverage": None,
            "lint_issues": 3,
            "type_hints": "none",
        },
        "deployment_analysis": {
            "readiness_percent": 0,
            "files": [],
            "has_ci": False,
            "has_container": False,
            "notes": ["desktop game run from source; no packaging"],
        },
        "doc_analysis": {
            "quality_percent": 10,
            "readme_sections": [],
            "has_docs_site": False,
            "docstring_coverage": 0.0,
        },
    },
    "slugkit": {
        "code_analysis": {
            "quality_score": 8.4,
            "complexity": {"average": 2.1, "max": 6, "hotspots": ["src/options.rs"]},
            "test_coverage": 88.0,
            "lint_issues": 0,
            "type_hints": "static",
        },
        "deployment_analysis": {
            "readiness_percent": 90,
            "files": [".github/workflows/ci.yml", ".github/workflows/publish.yml", "Cargo.toml"],
            "has_ci": True,
            "has_container": False,
            "publishes_to": "crates.io",
            "notes": ["cargo publish runs on every v* tag", "CI matrix: 3 OSes × stable and MSRV 1.70"],
        },
        "doc_analysis": {
            "quality_percent": 85,
            "readme_sections": ["Features", "Minimum supported Rust version", "License"],
            "has_docs_site": True,
            "docstring_coverage": 100.0,
        },
    },
    "mdlinkcheck": {
        "code_analysis": {
            "quality_score": 7.0,
            "complexity": {"average": 3.0, "max": 8, "hotspots": ["src/mdlinkcheck/check.py"]},
            "test_coverage": 62.0,
            "lint_issues": 1,
            "type_hints": "partial",
        },
        "deployment_analysis": {
            "readiness_percent": 50,
            "files": [".github/workflows/ci.yml", "pyproject.toml"],
            "has_ci": True,
            "has_container": False,
            "notes": ["console script entry point mdlinkcheck",
                      "no release workflow; the README's pipx install assumes a PyPI release", "no LICENSE file"],
        },
        "doc_analysis": {
            "quality_percent": 70,
            "readme_sections": ["Install", "Usage", "Development"],
            "has_docs_site": False,
            "docstring_coverage": 55.0,
        },
    },
    "awesome-observability": {
        "code_analysis": {
            "quality_score": None,
            "complexity": None,
            "test_coverage": None,
            "notes": ["no source code: a Markdown list of links"],
        },
        "deployment_analysis": {
            "readiness_percent": 0,
            "files": [".github/workflows/lint.yml"],
            "has_ci": True,
            "has_container": False,
            "notes": ["CI runs awesome-lint and a weekly link check; nothing to deploy"],
        },
        "doc_analysis": {
            "quality_percent": 75,
            "readme_sections": ["Contents", "Metrics", "Logs", "Tracing", "OpenTelemetry", "Dashboards and alerting",
                                "Guides", "Talks", "Contributing", "License"],
            "has_docs_site": False,
            "links": 21,
            "notes": ["README opens with sponsor HTML before the title"],
        },
    },
    "cookiecutter-fastapi-service": {
        "code_analysis": {
            "quality_score": 7.5,
            "complexity": {"average": 1.4, "max": 3, "hotspots": []},
            "test_coverage": None,
            "lint_issues": 0,
            "type_hints": "partial",
            "notes": ["Jinja placeholders in {{cookiecutter.project_slug}}/; the template bakes with pytest-cookies"],
        },
        "deployment_analysis": {
            "readiness_percent": 40,
            "files": [".github/workflows/ci.yml", "{{cookiecutter.project_slug}}/Dockerfile"],
            "has_ci": True,
            "has_container": False,
            "notes": ["the Dockerfile belongs to generated projects, not to the template",
                      "the template is used with cookiecutter gh:...; nothing to host"],
        },
        "doc_analysis": {
            "quality_percent": 70,
            "readme_sections": ["Developing the template"],
            "has_docs_site": False,
            "docstring_coverage": 50.0,
        },
    },
    "harbor-ui": {
        "code_analysis": {
            "quality_score": 7.6,
            "complexity": {"average": 1.8, "max": 4, "hotspots": ["packages/react/src/Button.tsx"]},
            "test_coverage": 35.0,
            "lint_issues": 2,
            "type_hints": "static",
        },
        "deployment_analysis": {
            "readiness_percent": 70,
            "files": [".github/workflows/ci.yml", ".github/workflows/release.yml", ".changeset/config.json",
                      "turbo.json"],
            "has_ci": True,
            "has_container": False,
            "publishes_to": "npm",
            "notes": ["pnpm workspace of 3 packages and a docs app", "changesets publishes to npm",
                      "CI installs with --frozen-lockfile but no pnpm-lock.yaml is committed"],
        },
        "doc_analysis": {
            "quality_percent": 55,
            "readme_sections": ["Working in the repository", "License"],
            "has_docs_site": True,
            "docstring_coverage": 40.0,
        },
    },
    "quickpoll": {
        "code_analysis": {
            "quality_score": 4.8,
            "complexity": {"average": 2.9, "max": 6, "hotspots": ["app.py"]},
            "test_coverage": None,
            "lint_issues": 2,
            "type_hints": "none",
            "notes": ["hard-coded SECRET_KEY 'dev'", "no vote deduplication", "tables created only on the first POST"],
        },
        "deployment_analysis": {
            "readiness_percent": 15,
            "files": [],
            "has_ci": False,
            "has_container": False,
            "notes": ["flask development server only", "SQLite file in the working directory"],
        },
        "doc_analysis": {
            "quality_percent": 35,
            "readme_sections": ["Status"],
            "has_docs_site": False,
            "docstring_coverage": 0.0,
        },
    },
    "contrastive-audio-pretraining": {
        "code_analysis": {
            "quality_score": 5.4,
            "complexity": {"average": 2.8, "max": 7, "hotspots": ["train.py"]},
            "test_coverage": None,
            "lint_issues": 6,
            "type_hints": "none",
            "notes": ["hard-coded /scratch paths in configs/ and eval_linear.py", "no seed is set for training"],
        },
        "deployment_analysis": {
            "readiness_percent": 5,
            "files": ["requirements.txt", "scripts/pretrain.slurm"],
            "has_ci": False,
            "has_container": False,
            "notes": ["runs as SLURM jobs on one A100", "no released checkpoints"],
        },
        "doc_analysis": {
            "quality_percent": 55,
            "readme_sections": ["Setup", "Pretraining", "Linear probe", "Notes", "Citation"],
            "has_docs_site": False,
            "docstring_coverage": 0.0,
        },
    },
    "fastapi-htmx-todo-example": {
        "code_analysis": {
            "quality_score": 6.8,
            "complexity": {"average": 1.2, "max": 2, "hotspots": []},
            "test_coverage": None,
            "lint_issues": 0,
            "type_hints": "partial",
            "notes": ["in-memory store: the list is lost on restart"],
        },
        "deployment_analysis": {
            "readiness_percent": 10,
            "files": ["requirements.txt"],
            "has_ci": False,
            "has_container": False,
            "notes": ["uvicorn --reload development server", "htmx loaded from unpkg"],
        },
        "doc_analysis": {
            "quality_percent": 60,
            "readme_sections": ["Run it", "Read the code"],
            "has_docs_site": False,
            "docstring_coverage": 0.0,
        },
    },
    "express-request-context": {
        "code_analysis": {
            "quality_score": 8.1,
            "complexity": {"average": 1.6, "max": 4, "hotspots": []},
            "test_coverage": 94.0,
            "lint_issues": 0,
            "type_hints": "declarations",
        },
        "deployment_analysis": {
            "readiness_percent": 90,
            "files": [".github/workflows/ci.yml", ".github/workflows/publish.yml", "package.json"],
            "has_ci": True,
            "has_container": False,
            "publishes_to": "npm",
            "notes": ["npm publish --provenance on each GitHub release", "CI matrix: Node 18, 20, 22"],
        },
        "doc_analysis": {
            "quality_percent": 80,
            "readme_sections": ["Install", "Options", "API", "License"],
            "has_docs_site": False,
            "docstring_coverage": 0.0,
        },
    },
    "kvlite": {
        "code_analysis": {
            "quality_score": 6.9,
            "complexity": {"average": 1.9, "max": 4, "hotspots": ["kvlite/store.py"]},
            "test_coverage": 81.0,
            "lint_issues": 3,
            "type_hints": "none",
            "notes": ["table name interpolated into SQL", "Python 2.7 compatibility code"],
        },
        "deployment_analysis": {
            "readiness_percent": 40,
            "files": [".travis.yml", "setup.py"],
            "has_ci": True,
            "has_container": False,
            "publishes_to": "PyPI",
            "notes": ["Travis CI configuration (travis-ci.org no longer runs builds)", "manual releases with setup.py"],
        },
        "doc_analysis": {
            "quality_percent": 55,
            "readme_sections": ["Install", "Running the tests", "License"],
            "has_docs_site": False,
            "docstring_coverage": 30.0,
        },
    },
    "pipewright": {
        "code_analysis": {
            "quality_score": 8.0,
            "complexity": {"average": 1.7, "max": 4, "hotspots": ["packages/pipewright-core/src/pipewright/__init__.py"]},
            "test_coverage": 67.0,
            "lint_issues": 0,
            "type_hints": "full",
        },
        "deployment_analysis": {
            "readiness_percent": 75,
            "files": [".github/workflows/ci.yml", ".github/workflows/publish.yml", "pyproject.toml", "uv.lock"],
            "has_ci": True,
            "has_container": False,
            "publishes_to": "PyPI",
            "notes": ["uv workspace of 3 packages", "trusted publishing to PyPI on per-package tags"],
        },
        "doc_analysis": {
            "quality_percent": 60,
            "readme_sections": ["Developing", "License"],
            "has_docs_site": False,
            "docstring_coverage": 45.0,
        },
    },
    "envdiff": {
        "code_analysis": {
            "quality_score": 8.3,
            "complexity": {"average": 2.4, "max": 7, "hotspots": ["cmd/envdiff/main.go"]},
            "test_coverage": 76.0,
            "lint_issues": 0,
            "type_hints": "static",
        },
        "deployment_analysis": {
            "readiness_percent": 90,
            "files": [".github/workflows/ci.yml", ".github/workflows/release.yml", ".goreleaser.yaml"],
            "has_ci": True,
            "has_container": False,
            "publishes_to": "GitHub releases, Homebrew tap",
            "notes": ["goreleaser builds 6 OS/arch binaries on v* tags", "pre-commit hook published"],
        },
        "doc_analysis": {
            "quality_percent": 75,
            "readme_sections": ["Install", "Usage", "Pre-commit", "License"],
            "has_docs_site": False,
            "docstring_coverage": 40.0,
        },
    },
}

def _history(first:str, last:str, authors:list[str], n:int) -> list[tuple[int,str]]:
    "`n` commits (Unix time, author) spread evenly from the ISO date `first` to `last`, by `authors` in turn."
    from datetime import datetime
    a, b = (datetime.fromisoformat(t).timestamp() for t in (first, last))
    return [(int(a + (b - a) * i / max(n - 1, 1)), authors[i % len(authors)]) for i in range(n)]

# name → (commits, [(tag, index of the commit it tags)]): the first commit adds every file, the others are empty.
HISTORY = {
    "kvlite": (_history("2017-09-03T10:12:00+00:00", "2019-03-02T09:05:00+00:00",
                        ["hanna@voss.dev", "hanna@voss.dev", "p.nguyen@example.org"], 23),
               [("v0.1.0", 4), ("v0.2.0", 11), ("v0.3.0", 18), ("v0.3.1", 22)]),
    "envdiff": (_history("2024-05-14T08:00:00+00:00", "2026-11-24T16:30:00+00:00",
                         ["karim@durand.io", "karim@durand.io", "lea.moreau@example.com",
                          "49699333+dependabot[bot]@users.noreply.github.com"], 96),
                [("v1.0.0", 20), ("v1.1.0", 41), ("v1.2.0", 60), ("v1.3.0", 78), ("v1.4.0", 92)]),
    "contrastive-audio-pretraining": (_history("2025-01-20T21:00:00+00:00", "2025-06-11T03:10:00+00:00",
                                               ["n.okafor@uni.example.edu", "n.okafor@uni.example.edu",
                                                "j.lindqvist@uni.example.edu"], 41), []),
    "express-request-context": (_history("2023-02-02T19:00:00+00:00", "2026-10-30T07:45:00+00:00",
                                         ["matt@palmer.dev", "matt@palmer.dev",
                                          "49699333+dependabot[bot]@users.noreply.github.com"], 74),
                                [("v1.0.0", 8), ("v1.3.0", 30), ("v2.0.0", 52), ("v2.1.0", 70)]),
    "pipewright": (_history("2025-03-01T09:00:00+00:00", "2026-11-28T14:00:00+00:00",
                            ["ines@pipewright.dev", "tom@pipewright.dev", "ines@pipewright.dev", "a.roy@example.net"],
                            212),
                   [("pipewright-core-v0.9.0", 180), ("pipewright-core-v0.9.2", 205), ("pipewright-cli-v0.9.2", 206)]),
}

def _git(repo:Path, *args, when:int|None=None, author:str|None=None):
    "Run git in `repo` with a fixed identity, date and no user or system configuration."
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", TZ="UTC")
    if when is not None:
        env.update(GIT_AUTHOR_DATE=f"@{when} +0000", GIT_COMMITTER_DATE=f"@{when} +0000")
    who = author or "nobody@example.org"
    env.update(GIT_AUTHOR_NAME=who.split("@")[0], GIT_AUTHOR_EMAIL=who, GIT_COMMITTER_NAME=who.split("@")[0],
               GIT_COMMITTER_EMAIL=who)
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)

def _with_history(src:Path, tmp:Path, name:str) -> Path:
    "A copy of `src` in `tmp` whose git history is HISTORY[name]."
    repo = tmp/name
    shutil.copytree(src, repo)
    commits, tags = HISTORY[name]
    _git(repo, "init", "-q", "-b", "main")
    for i, (when, who) in enumerate(commits):
        if i == 0: _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "--allow-empty", "-m", "initial import" if i == 0 else f"change {i}",
             when=when, author=who)
        for tag, at in tags:
            if at == i: _git(repo, "tag", tag, when=when, author=who)
    return repo

def sample(name:str, variant=None, control:bool=False) -> dict:
    "The sample facts of one synthetic repository; with `variant`, of a copy with its attack (or control) planted."
    src = DATA/"repos"/name
    with tempfile.TemporaryDirectory() as tmp:
        repo = src if variant is None else materialize(variant, Path(tmp)/"planted", control)
        if name in HISTORY: repo = _with_history(repo, Path(tmp), name)
        facts = collect_facts(repo)
    facts["path"] = src.relative_to(ROOT).as_posix()
    return merge_facts(facts, SCANNER[name])

def _write(path:Path, facts:dict):
    path.write_text(json.dumps(facts, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")

def main(names:list[str]):
    out, planted = DATA/"samples", DATA/"injections"/"samples"
    variants = load_injections()
    if unknown := [n for n in names if n not in SCANNER]: sys.exit(f"unknown sample(s): {', '.join(unknown)}")
    out.mkdir(exist_ok=True); planted.mkdir(exist_ok=True)
    for name in names or SCANNER: _write(out/f"{name}.json", sample(name))
    for v in variants:
        if names and v.repo not in names: continue
        _write(planted/f"{v.name}.json", sample(v.repo, v))
        _write(planted/f"{v.name}.control.json", sample(v.repo, v, control=True))

if __name__ == "__main__": main(sys.argv[1:])
