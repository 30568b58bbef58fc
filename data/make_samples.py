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
        "code_analysis": {"quality_score": 7.8, "complexity": {"average": 2.6, "max": 9, "hotspots": ["src/tinyhttp/_client.py"]},
                          "test_coverage": 71.0, "lint_issues": 2, "type_hints": "full"},
        "deployment_analysis": {"readiness_percent": 55, "files": [".github/workflows/ci.yml", "pyproject.toml"],
                                "has_ci": True, "has_container": False, "publishes_to": "PyPI",
                                "notes": ["no release workflow: publishing to PyPI is manual"]},
        "doc_analysis": {"quality_percent": 80, "readme_sections": ["Install", "Usage", "Features", "Development", "License"],
                         "has_docs_site": True, "docstring_coverage": 64.0},
    },
    "recipe-board": {
        "code_analysis": {"quality_score": 6.1, "complexity": {"average": 3.4, "max": 11, "hotspots": ["client/src/components/WeekPlanner.jsx"]},
                          "test_coverage": 18.0, "lint_issues": 14, "type_hints": "none"},
        "deployment_analysis": {"readiness_percent": 60, "files": ["Dockerfile", "docker-compose.yml"],
                                "has_ci": False, "has_container": True,
                                "notes": ["no CI", "no health endpoint", "session secret from the environment"]},
        "doc_analysis": {"quality_percent": 45, "readme_sections": ["Quick start", "Scripts", "Roadmap"],
                         "has_docs_site": False, "docstring_coverage": 0.0},
    },
    "ledgerd": {
        "code_analysis": {"quality_score": 7.2, "complexity": {"average": 3.1, "max": 8, "hotspots": ["internal/api/handlers.go"]},
                          "test_coverage": 58.0, "lint_issues": 1, "type_hints": "static"},
        "deployment_analysis": {"readiness_percent": 85,
                                "files": ["Dockerfile", "k8s/deployment.yaml", "k8s/service.yaml", "k8s/configmap.yaml",
                                          ".github/workflows/ci.yml", ".github/workflows/release.yml"],
                                "has_ci": True, "has_container": True, "orchestration": "kubernetes",
                                "notes": ["no migration job in k8s/", "image tag pinned in the Deployment"]},
        "doc_analysis": {"quality_percent": 60, "readme_sections": ["API", "Running", "Deploying", "License"],
                         "has_docs_site": False, "docstring_coverage": 35.0},
    },
    "team-handbook": {
        "code_analysis": {"quality_score": None, "complexity": None, "test_coverage": None,
                          "notes": ["no source code: Markdown only"]},
        "deployment_analysis": {"readiness_percent": 0, "files": [], "has_ci": False, "has_container": False,
                                "notes": ["nothing to deploy; could be published as a static site"]},
        "doc_analysis": {"quality_percent": 85, "readme_sections": ["Contents", "Writing style"], "has_docs_site": False,
                         "pages": 8},
    },
    "snake-toy": {
        "code_analysis": {"quality_score": 4.2, "complexity": {"average": 6.5, "max": 14, "hotspots": ["snake.py"]},
                          "test_coverage": None, "lint_issues": 3, "type_hints": "none"},
        "deployment_analysis": {"readiness_percent": 0, "files": [], "has_ci": False, "has_container": False,
                                "notes": ["desktop game run from source; no packaging"]},
        "doc_analysis": {"quality_percent": 10, "readme_sections": [], "has_docs_site": False, "docstring_coverage": 0.0},
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
