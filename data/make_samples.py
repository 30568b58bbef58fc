"""Rebuild data/samples/*.json from the synthetic repositories in data/repos/.

Each sample is `collect_facts(data/repos/<name>)` with `path` made relative to the project root, merged with the
hand-written scanner facts below (what the scanner's static analyzers would report). Run from anywhere:

    python data/make_samples.py

The output is deterministic: re-running it without changing data/repos/ gives the same files.
"""
import json
from pathlib import Path
from borg_llm.facts import collect_facts, merge_facts

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
}

def sample(name:str) -> dict:
    "The sample facts of one synthetic repository."
    facts = collect_facts(DATA/"repos"/name)
    facts["path"] = (DATA/"repos"/name).relative_to(ROOT).as_posix()
    return merge_facts(facts, SCANNER[name])

def main():
    out = DATA/"samples"; out.mkdir(exist_ok=True)
    for name in SCANNER:
        (out/f"{name}.json").write_text(json.dumps(sample(name), indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {(out/name).relative_to(ROOT)}.json")

if __name__ == "__main__": main()
