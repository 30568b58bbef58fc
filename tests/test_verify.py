"""The verifier (`borg_llm.verify`): findings checked against the facts, alone and inside the pipeline."""
import json
from pathlib import Path
import pytest
from borg_llm.config import ROLES, Settings
from borg_llm.pipeline import analyze, dry_answers, summary
from borg_llm.testing import StandIn, Fault
from borg_llm.verify import STRUCK, Claim, absence_claims, check_answers, judge_absence, tree_paths

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = {p.stem: json.loads(p.read_text()) for p in sorted((ROOT/"data"/"samples").glob("*.json"))}
TINY, SNAKE = SAMPLES["tinyhttp-py"], SAMPLES["snake-toy"]  # tinyhttp-py has .github/workflows/ci.yml, snake-toy no CI
NO_CI = dict(issue="No CI configuration", evidence="key_files.ci", severity="high")
CI_YML = '.github/workflows/ci.yml'

def blockers(*bs): return dict(deployment=dict(deployment_blockers=list(bs)))

def test_no_ci_blocker_contradicted_and_removed():
    c = check_answers(blockers(NO_CI, dict(issue="Flaky test", evidence="tests/", severity="low")), TINY)
    assert [b["issue"] for b in c.answers["deployment"]["deployment_blockers"]] == ["Flaky test"]
    f = c.findings[0]
    assert (f.role, f.field, f.status, f.evidence) == ("deployment", "deployment_blockers[0]", "contradicted",
                                                       f'key_files.ci = ["{CI_YML}"]')
    assert c.counts == {"confirmed": 1, "contradicted": 1, "unverifiable": 0}

def test_absence_the_facts_agree_with_is_confirmed():
    c = check_answers(blockers(NO_CI), SNAKE)
    assert (c.findings[0].status, c.findings[0].evidence) == ("confirmed", "key_files.ci = []")
    assert c.answers["deployment"]["deployment_blockers"] == [NO_CI]

def test_container_blocker_on_a_library_contradicted_by_kind():
    lib = {**TINY, "kind": "library", "kind_evidence": ["pyproject.toml has no [project.scripts]"]}
    no_docker = dict(issue="No Dockerfile", evidence="key_files.docker", severity="high")
    c = check_answers(blockers(no_docker), lib)
    assert c.answers["deployment"]["deployment_blockers"] == []
    assert c.findings[0].evidence.startswith('kind = "library"; kind_evidence = ')
    assert check_answers(blockers(no_docker), {**lib, "kind": "web-service"}).findings[0].status == "confirmed"

def test_cited_paths():
    found = dict(issue="The workflow skips Python 3.13", evidence=CI_YML, severity="low")
    nowhere = dict(issue="Secrets are committed", evidence="config/secrets.yml", severity="high")
    c = check_answers(blockers(found, nowhere), TINY)
    assert [(f.status, f.evidence) for f in c.findings] == [("confirmed", f"key_files.ci: {CI_YML}"),
                                                          ("unverifiable", None)]
    assert len(c.answers["deployment"]["deployment_blockers"]) == 2  # unverifiable stays
    retry = dict(issue="The retry loop never backs off", evidence="src/tinyhttp/_client.py", severity="medium")
    assert check_answers(blockers(retry), TINY).findings[0].evidence == "tree: src/tinyhttp/_client.py"

def test_free_text_loses_its_contradicted_sentences_which_are_listed():
    notes = "Growth is fine. There are no tests, though. No Kubernetes manifests yet."
    c = check_answers(dict(architect=dict(scalability_notes=notes, technical_debt_rationale="No tests at all.")), TINY)
    assert c.answers["architect"]["scalability_notes"] == "Growth is fine. No Kubernetes manifests yet."  # true: kept
    assert c.answers["architect"]["technical_debt_rationale"] == STRUCK
    assert [(f.field, f.text, f.status) for f in c.contradicted] == [
        ("scalability_notes", "There are no tests, though.", "contradicted"),
        ("technical_debt_rationale", "No tests at all.", "contradicted")]

def test_absence_claims_table():
    subj = lambda t: [c.subject for c in absence_claims(t)]
    assert subj("No tests or CI; lacks a LICENSE and has no README") == ["tests", "ci", "license", "readme"]
    assert subj("missing Dependabot config, without a security policy") == ["dependency_updates", "security_policy"]
    assert subj("No Kubernetes manifests and no documentation") == ["deploy", "docs"]
    assert subj("No need for a Dockerfile. Tests pass.") == []
    assert absence_claims("no integration tests")[0].qualified
    assert judge_absence(Claim("tests", "no integration tests", True), TINY).status == "unverifiable"  # some tests exist

def test_a_truncated_tree_never_proves_absence():
    paths, cut = tree_paths(TINY["tree"])
    assert cut and "src/tinyhttp/_api.py" in paths and ".github/workflows/ci.yml" in paths
    c = check_answers(blockers(dict(issue="No py.typed marker file", evidence="src/tinyhttp/py.typed", severity="low")),
                      TINY)
    assert c.findings[0].status == "unverifiable"
    assert judge_absence(absence_claims("there is no pyproject.toml")[0], TINY).status == "contradicted"

def test_docs_project_code_patterns_contradicted():
    hb = {**SAMPLES["team-handbook"], "kind": "docs"}
    c = check_answers(dict(architect=dict(design_patterns=["MVC", "one Markdown page per topic"])), hb)
    assert c.answers["architect"]["design_patterns"] == ["one Markdown page per topic"]
    assert c.contradicted[0].evidence.startswith('kind = "docs"')

def test_priority_repeating_a_contradicted_blocker_goes():
    bad = dict(issue="Deploy it with Kubernetes", evidence="k8s/", severity="high")
    c = check_answers({**blockers(bad), "aggregator": dict(top_priorities=["Deploy it with Kubernetes", "Tag 1.0"])},
                      {**TINY, "kind": "cli"})
    assert c.answers["aggregator"]["top_priorities"] == ["Tag 1.0"]

def test_old_and_bare_facts_do_not_break_it():
    c = check_answers({"architect": None, **blockers(NO_CI)}, {"name": "bare", "key_files": None, "tree": None})
    assert c.answers["architect"] is None and c.findings[0].status == "unverifiable"

@pytest.mark.parametrize("name", sorted(SAMPLES))
@pytest.mark.parametrize("kind", [None, "library", "cli", "template", "docs", "web-service", "web-app"])
def test_dry_answers_pass_their_verifier(name, kind):
    facts = {**SAMPLES[name], "kind": kind}
    c = check_answers(dry_answers(facts), facts)
    assert c.counts["contradicted"] == 0, c.contradicted
    b = dry_answers(facts)["deployment"]["deployment_blockers"]
    assert all(x["evidence"] for x in b)

def test_dry_run_metadata():
    m = analyze(SNAKE, dry_run=True)["llm_results"]["metadata"]
    assert m["models_used"] == ["dry-run"] * 4
    assert m["checks"]["contradicted"] == 0 and m["checks"]["confirmed"] > 0 and m["contradicted"] == []

# ---------- inside the pipeline, against the stand-in ----------
def planted(body, schema):
    "The stand-in's answers with a 'no CI' finding planted in the deployment and aggregator answers."
    props = schema.get("properties", {})
    if "deployment_blockers" in props:
        return dict(deployment_strategy="Publish to PyPI.", infrastructure_recommendations="Keep GitHub Actions.",
                    mvp_roadmap=["Tag 1.0"], deployment_blockers=[NO_CI, dict(issue="The workflow skips Python 3.13",
                                                                           evidence=CI_YML, severity="low")])
    if "top_priorities" in props:
        return dict(overall_assessment="Solid.", top_priorities=["Add a CI configuration: there is no CI", "Tag 1.0"],
                    vibecodibility_rationale="Typed, tested.", vibecodibility_score=8,
                    borg_tools_fit_rationale="A developer tool.", borg_tools_fit=7)

@pytest.fixture
def run(tmp_path):
    with StandIn(latency_s=0.0, answer_fn=planted) as srv:
        s = Settings(base_url=srv.base_url, api_key="sk-test-not-a-real-key", cache_dir=tmp_path, rpm=1000,
                     rate_window_s=1)
        yield srv, analyze(TINY, settings=s, cache="off")

def test_pipeline_headline_is_the_checked_one(run):
    _, a = run
    r, m = a["llm_results"], a["llm_results"]["metadata"]
    assert [b["issue"] for b in r["deployment_analysis"]["deployment_blockers"]] == ["The workflow skips Python 3.13"]
    top = r["aggregated_insights"]["top_priorities"] # the failed criteria's actions; "Tag 1.0" nothing in the facts backs
    assert [t.split(" (")[0] for t in top] == ["Publish versioned releases from CI",
                                               "Configure automated dependency updates"], top
    assert [(f["role"], f["field"], f["evidence"]) for f in m["contradicted"]] == [
        ("deployment", "deployment_blockers[0]", f'key_files.ci = ["{CI_YML}"]'),
        ("aggregator", "top_priorities[0]", f'key_files.ci = ["{CI_YML}"]')]
    assert m["checks"]["contradicted"] == 2 and sum(m["checks"].values()) == len(m["findings"])
    assert "Checks: " in summary(a) and "2 contradicted" in summary(a)

def test_pipeline_aggregator_sees_checked_findings(run):
    srv, _ = run
    asks = lambda q: json.dumps(q.body.get("response_format") or q.body.get("tools"))
    agg = [q.body for q in srv.stats.chat if "top_priorities" in asks(q)]
    text = agg[0]["messages"][-1]["content"]
    assert "The workflow skips Python 3.13" in text and "No CI configuration" not in text
    assert '"fact_check": {"contradicted_findings_removed": 1}' in text

def test_models_used_is_a_list_in_role_order(tmp_path):
    with StandIn(latency_s=0.0, faults=[Fault("503", schema="DeploymentAnalysis")]) as srv:
        s = Settings(base_url=srv.base_url, api_key="sk-test-not-a-real-key", cache_dir=tmp_path, max_retries=0)
        m = analyze(TINY, settings=s, cache="off")["llm_results"]["metadata"]
    assert isinstance(m["models_used"], list) and len(m["models_used"]) == 4 and m["models_used"][1] is None
    assert m["models_used"] == [m["roles"][r]["model_answered"] for r in ROLES]
