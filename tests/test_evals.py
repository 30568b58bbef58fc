"Tests of borg_llm.evals: the metrics on hand-made rows, and the grid's loud failure on a missing recording."
import json, shutil

import pandas as pd
import pytest

from borg_llm import evals
from borg_llm.config import prompts_dir
from borg_llm.evals import (GRIDS, ReplayMiss, agreement, claims, content, copied_fields, example_answers, fact_index,
                            grounded, grounded_share, groundedness, reliability, report, run_grid, save, stability)

FACTS = dict(name="demo", languages={"Python": {"files": 2, "lines": 80}}, tree=["src/ (1 file)", "  app.py", "Dockerfile", "README.md"],
             key_files={"readme": "README.md", "license": None, "docker": ["Dockerfile"], "ci": [], "tests": [], "docs": [],
                        "manifests": {"requirements.txt": ["flask", "redis"]}},
             readme_excerpt="demo serves recipes over HTTP.")


def row(**kw):
    base = dict(grid="g", variant="v", model="m", project="demo", repeat=1, seed=1, role="business", status="ok", error=None,
                first_valid=True, reasks=0, attempts=1, latency_s=1.0, prompt_tokens=100, completion_tokens=10, cost_usd=0.0,
                prompt="business", prompt_sha="abc", model_id="m-1", answer="{}",
                market_viability=None, vibecodibility_score=None, borg_tools_fit=None)
    return {**base, **kw}


def test_file_that_does_not_exist_is_ungrounded():
    idx = fact_index(FACTS)
    assert grounded(("file", "app.py"), idx) and grounded(("file", "src/app.py"), idx) and grounded(("file", "Dockerfile"), idx)
    assert not grounded(("file", "Cargo.toml"), idx) and not grounded(("file", "main.go"), idx)


def test_technology_and_missing_claims():
    idx = fact_index(FACTS)
    assert grounded(("tech", "flask"), idx) and grounded(("tech", "redis"), idx) and grounded(("tech", "python"), idx)
    assert not grounded(("tech", "django"), idx) and not grounded(("tech", "rust"), idx)
    assert grounded(("missing", "ci"), idx) and grounded(("missing", "tests"), idx) and grounded(("missing", "license"), idx)
    assert not grounded(("missing", "docker"), idx) and not grounded(("missing", "readme"), idx)


def test_claims_are_extracted_from_nested_answers():
    a = {"deployment_blockers": [{"issue": "No automated tests", "severity": "high"}, {"issue": "Missing LICENSE", "severity": "low"}],
         "deployment_strategy": "Build the Dockerfile and run app.py under Kubernetes.", "mvp_roadmap": ["Add a GitHub Actions workflow"]}
    cs = claims(a)
    assert ("file", "Dockerfile") in cs and ("file", "app.py") in cs and ("tech", "kubernetes") in cs
    assert ("missing", "tests") in cs and ("missing", "license") in cs and ("tech", "github actions") in cs
    assert claims(None) == [] and claims({"market_viability": 4, "portfolio_suitable": True}) == []
    assert ("file", "example.com") not in claims({"x": "See https://example.com for more."})


def test_groundedness_lists_the_unmatched():
    a = json.dumps({"architecture_assessment": "demo is a Flask app in app.py; main.go starts a Django admin."})
    g = groundedness(pd.DataFrame([row(answer=a)]), {"demo": FACTS})
    assert (g.claims[0], g.grounded[0]) == (4, 2)
    assert sorted(g.ungrounded[0]) == ["file:main.go", "tech:django"]
    s = grounded_share(g)
    assert s.loc["v", "grounded_share"] == 0.5 and "file:main.go ×1" in s.loc["v", "ungrounded"]


def test_reliability():
    t = pd.DataFrame([row(latency_s=1.0), row(latency_s=2.0), row(latency_s=3.0, first_valid=False, reasks=2, attempts=3),
                      row(variant="w", status="failed", first_valid=False, latency_s=9.0, cost_usd=0.25)])
    r = reliability(t)
    assert r.loc["v", "calls"] == 3 and r.loc["v", "first_valid"] == round(2/3, 3) and r.loc["v", "reasks"] == 2
    assert r.loc["v", "latency_p50"] == 2.0 and r.loc["v", "latency_p95"] == 2.9 and r.loc["v", "failures"] == 0
    assert r.loc["w", "failures"] == 1 and r.loc["w", "cost_usd"] == 0.25


def test_stability_is_the_mean_range_over_repeats():
    t = pd.DataFrame([row(market_viability=2), row(repeat=2, market_viability=6),
                      row(project="q", market_viability=5), row(project="q", repeat=2, market_viability=5),
                      row(role="aggregator", vibecodibility_score=7), row(role="aggregator", repeat=2, vibecodibility_score=7)])
    s = stability(t)
    assert s.loc["v", "market_viability_spread"] == 2.0 and s.loc["v", "vibecodibility_score_spread"] == 0.0


def test_agreement_between_models():
    t = pd.DataFrame([row(model="A", market_viability=4), row(model="A", repeat=2, market_viability=6),
                      row(model="B", market_viability=8), row(model="C", market_viability=5)])
    a = agreement(t).set_index(["a", "b"])
    assert a.loc[("A", "B"), "mean_abs_diff"] == 3.0 and a.loc[("A", "C"), "mean_abs_diff"] == 0.0
    assert a.loc[("B", "C"), "n"] == 1


def test_copies_of_examples():
    ex = example_answers("architect")
    assert ex and copied_fields(ex[0], ex) == [k for k in ex[0] if k != "technical_debt_priority"]
    mine = {"architecture_assessment": "demo is a Flask app.", "design_patterns": ["MVC"], "scalability_notes": "One process.",
            "technical_debt_priority": ex[0]["technical_debt_priority"]}
    assert copied_fields(mine, ex) == []  # an equal enum value is not a copy


def test_content_table():
    ex = example_answers("architect")[0]
    t = pd.DataFrame([row(role="architect", prompt="architect", answer=json.dumps(ex)),
                      row(role="architect", prompt="architect-zeroshot", variant="w", answer=json.dumps({"a": "demo: fine", "b": " "}))])
    c = content(t)
    assert c.loc["v"].tolist() == [0.0, 0.0, 1.0, 0.0] and c.loc["w"].tolist() == [1.0, 1.0, 0.0, 0.0]


def test_report_and_save_are_deterministic(tmp_path):
    t = pd.DataFrame([row(market_viability=3, answer=json.dumps({"p": "demo uses Flask"})), row(repeat=2, market_viability=5)])
    s1 = save(t, "demo", out=tmp_path, facts={"demo": FACTS}); b1 = (tmp_path/"demo.json").read_bytes()
    s2 = save(t, "demo", out=tmp_path, facts={"demo": FACTS})
    assert s1 == s2 and (tmp_path/"demo.json").read_bytes() == b1 and (tmp_path/"demo.csv").exists()
    assert s1["prompts"] == ["business@abc"] and s1["models"] == ["m-1"]
    assert {"first_valid", "grounded_share", "market_viability_spread", "copies_example"} <= set(report(t, facts={"demo": FACTS}).columns)


def test_replay_miss_names_the_record_command(tmp_path):
    d = tmp_path/"prompts"; shutil.copytree(prompts_dir(), d)
    (d/"business.toml").write_text((d/"business.toml").read_text().replace("candid", "blunt"))
    g = GRIDS["prompts"].subset(projects=("snake-toy",), repeats=1, variants={"zero-shot": {}})
    with pytest.raises(ReplayMiss, match="python -m borg_llm.evals record prompts"):
        run_grid(g, directory=d, recordings=tmp_path)
