"Scores as sums of named criteria: the breakdown gives every score back, cites facts that exist, moves with the facts."
import copy, json
from datetime import datetime, timezone
from pathlib import Path
import pytest

from borg_llm.config import PROJECT_ROOT, ConfigError
from borg_llm.criteria import (CRITERIA, SCORED, breakdown, evidence_ok, failed_actions, load_criteria, readings,
                               round_half_up, score_answers, to_score, weighted)
from borg_llm.pipeline import _plain, analyze, headline
from borg_llm.verify import check_answers

SAMPLES = sorted((PROJECT_ROOT/"data"/"samples").glob("*.json"))
DAY = datetime(2026, 12, 1, tzinfo=timezone.utc)
D = load_criteria()


def facts(name): return json.loads((PROJECT_ROOT/"data"/"samples"/f"{name}.json").read_text())

def values(b, score): return {c["criterion"]: c["value"] for c in b[score]["criteria"]}


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_the_breakdown_reproduces_every_score(path):
    b = breakdown(json.loads(path.read_text()), today=DAY)
    assert set(b) == set(SCORED)
    for s, e in b.items():
        got = [c for c in e["criteria"] if c["value"] is not None]
        mean = sum(c["weight"] * c["value"] for c in got) / sum(c["weight"] for c in got)
        if s == "technical_debt_priority":
            assert e["score"] == [l for t, l in sorted(D["scores"][s]["levels"]) if mean >= t - 1e-9][-1]
        else:
            lo, hi = D["scores"][s]["scale"]
            assert e["score"] == int(lo + (hi - lo) * mean + 0.5 + 1e-9) # halves up
        assert all(0 <= c["value"] <= 1 for c in got) and e["version"] == D["version"]


def test_rounding_sends_halves_up():
    assert [round_half_up(x) for x in (0.5, 1.5, 6.5, 7.5, 6.49)] == [1, 2, 7, 8, 6]
    assert to_score(0.65, dict(scale=[0, 10])) == 7 # 6.5: Python's round would give 6
    crit = [dict(weight=1, value=0.6), dict(weight=1, value=0.7)]
    assert to_score(weighted(crit), dict(scale=[0, 10])) == 7


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_every_counted_fact_criterion_cites_evidence_in_the_facts(path):
    f = json.loads(path.read_text())
    for e in breakdown(f, today=DAY).values():
        for c in e["criteria"]:
            if c["source"] == "fact" and c["value"] is not None:
                assert evidence_ok(f, c["evidence"]), (path.stem, c)


def test_evidence_check_rejects_what_the_facts_do_not_hold():
    f = facts("ledgerd")
    assert evidence_ok(f, "internal/api/handlers_test.go") and evidence_ok(f, "checks.ci")
    assert not evidence_ok(f, "tests/test_missing.py") and not evidence_ok(f, "git.last_commit") and not evidence_ok(f, None)


def test_tests_and_ci_move_the_right_criteria():
    f = facts("tinyhttp-py")
    bare = copy.deepcopy(f)
    bare["checks"]["tests"] = dict(value=False, path=None)
    bare["checks"]["ci"] = dict(value=False, path=None)
    a, b = breakdown(f, today=DAY), breakdown(bare, today=DAY)
    for s in ("vibecodibility_score", "borg_tools_fit", "technical_debt_priority"):
        va, vb = values(a, s), values(b, s)
        assert va["tests"] == 1.0 and vb["tests"] == 0.0 and va["ci"] == 1.0 and vb["ci"] == 0.0
        assert {k for k in va if va[k] != vb[k]} == {"tests", "ci"}
    assert b["vibecodibility_score"]["score"] < a["vibecodibility_score"]["score"]
    assert b["borg_tools_fit"]["score"] < a["borg_tools_fit"]["score"]
    assert values(b, "market_viability")["tests"] == 0.0 and "ci" not in values(a, "market_viability")


def test_criteria_the_facts_cannot_decide_are_left_out():
    f = facts("ledgerd") # no git history in this sample
    b = breakdown(f, today=DAY)["borg_tools_fit"]
    alive = next(c for c in b["criteria"] if c["criterion"] == "alive")
    assert alive["value"] is None and alive["reason"].startswith("not decidable (left out of the sum)")
    asked = [c for c in b["criteria"] if c["source"] == "model"]
    assert asked and all(c["value"] is None and c["reason"].startswith("not asked") for c in asked)
    dormant = {**f, "git": {"last_commit": "2019-01-01T00:00:00Z"}} # decided: it now counts, and pulls the score down
    d = breakdown(dormant, today=DAY)["borg_tools_fit"]
    assert values({"x": d}, "x")["alive"] == 0.0 and weighted(d["criteria"]) < weighted(b["criteria"])
    assert breakdown({"name": "empty"}, today=DAY)["market_viability"]["score"] is None


def test_score_answers_sets_the_fields_and_keeps_the_model_number():
    ans = dict(architect=dict(technical_debt_priority="high"), deployment={}, business=dict(market_viability=1),
               aggregator=None)
    out, b = score_answers(ans, facts("slugkit"), today=DAY, how="criteria")
    assert out["business"]["market_viability"] == b["market_viability"]["score"] != 1
    assert b["market_viability"]["holistic"] == 1 and out["aggregator"] is None and ans["business"]["market_viability"] == 1
    assert isinstance(out["business"]["market_viability"], int)


def test_dry_runs_carry_the_breakdown_and_the_criteria_scores():
    a = analyze(facts("snake-toy"), dry_run=True)
    b = a.meta["breakdown"]
    assert a.r["aggregated_insights"]["borg_tools_fit"] == b["borg_tools_fit"]["score"]
    assert a.r["architect_analysis"]["technical_debt_priority"] == b["technical_debt_priority"]["score"]
    assert b["borg_tools_fit"]["holistic"] is not None


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace('rule = "tests", weight = 3', 'rule = "tests", weight = -1', 1), "weight must be > 0"),
    (lambda t: t.replace('rule = "ci", weight = 2', 'rule = "cl", weight = 2', 1), "unknown rule 'cl'"),
    (lambda t: t.replace('model = "audience"', 'model = "crowd"', 1), "unknown model question 'crowd'"),
    (lambda t: t.replace("web-service = 0.7", "webservice = 0.7", 1), "unknown kind 'webservice'"),
    (lambda t: t.replace('default = "criteria"', 'default = "votes"', 1), "default must be"),
    (lambda t: t.replace('[0.4, "medium"]', '[0.4, "mid"]', 1), "levels must name"),
    (lambda t: t + "\n[[", "not valid TOML"),
    (lambda t: t.replace('[actions]', '[actions]\nlicence = { do = "x" }', 1), "actions.licence: unknown rule"),
    (lambda t: t.replace('blocker = "high"', 'blocker = "urgent"', 1), "actions.tests: needs"),
    (lambda t: t.replace("scale = [0.0, 7.1]", "scale = [-1, 7.1]", 1), "scale must be [lo, hi], each within 0..10"),
])
def test_data_file_errors_are_one_line(tmp_path, edit, message):
    p = tmp_path/"criteria.toml"
    p.write_text(edit(CRITERIA.read_text()))
    with pytest.raises(ConfigError) as e: load_criteria(p)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_a_missing_data_file_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match="criteria file .*nope.toml"): load_criteria(tmp_path/"nope.toml")

def test_criteria_file_is_parsed_once_and_each_caller_gets_a_copy(tmp_path):
    "Changing what `load_criteria` returned does not change scoring; an edited file is read again."
    f = json.loads(SAMPLES[0].read_text())
    before = breakdown(f, today=DAY)
    mine = load_criteria()
    mine["scores"]["market_viability"]["scale"] = [0, 0]
    assert breakdown(f, today=DAY) == before and before["market_viability"]["score"] != 0
    p = tmp_path/"criteria.toml"
    p.write_text(CRITERIA.read_text())
    assert load_criteria(p)["version"] == D["version"]
    p.write_text(CRITERIA.read_text().replace(f'version = "{D["version"]}"', 'version = "edited, longer"', 1))
    assert load_criteria(p)["version"] == "edited, longer"

def test_reading_criteria_are_unverifiable_where_the_text_addresses_reviewers():
    "quickpoll writes to its reviewer: its model criteria are marked unverifiable; a clean project's are only not asked."
    def reasons(a): return {c["reason"].split(" (")[0] for e in a.meta["breakdown"].values() for c in e["criteria"]
                            if c["source"] == "model"}
    poll, clean = analyze(facts("quickpoll"), dry_run=True), analyze(facts("tinyhttp-py"), dry_run=True)
    assert poll.meta["security"] and reasons(poll) == {"unverifiable"}
    assert not clean.meta["security"] and reasons(clean) == {"not asked"}
    steered = breakdown(facts("quickpoll"), today=DAY, steered=True)
    assert {s: e["score"] for s, e in steered.items()} == {s: e["score"] for s, e in breakdown(facts("quickpoll"), today=DAY).items()}


READ = dict(demo_or_product="product", audience="businesses", developer_tool="no", established_alternative="none",
            way_to_earn="stated")

@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_every_criterion_answered_by_the_reading_cites_evidence_in_the_facts(path):
    f = json.loads(path.read_text())
    model = [c for e in breakdown(f, today=DAY, reading=readings(READ)).values() for c in e["criteria"]
             if c["source"] == "model"]
    assert model and all(c["value"] is not None and evidence_ok(f, c["evidence"]) for c in model), path.stem


def test_the_reading_moves_only_the_scores_that_count_it():
    f = facts("slugkit")
    low = readings(dict(READ, demo_or_product="demo", audience="nobody", way_to_earn="none", established_alternative="many"))
    hi, lo = breakdown(f, today=DAY, reading=readings(READ)), breakdown(f, today=DAY, reading=low)
    assert hi["market_viability"]["score"] > lo["market_viability"]["score"]
    assert hi["vibecodibility_score"] == lo["vibecodibility_score"] # no model criterion counts there


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_actions_are_only_for_what_the_facts_show_failed(path):
    "An action is never asked of a project whose facts pass its rule: a publishing project is not told to publish."
    f = json.loads(path.read_text())
    b = breakdown(f, today=DAY)
    passed = {c["criterion"] for e in b.values() for c in e["criteria"] if c["source"] == "fact" and (c["value"] or 0) >= 0.5}
    rule = {c["name"]: c.get("rule") for t in D["scores"].values() for c in t["criteria"]}
    assert not {a["rule"] for a in failed_actions(b, f)} & {rule[n] for n in passed}, path.stem


def test_a_published_library_is_not_asked_for_what_it_has():
    "slugkit publishes from CI and has tests, CI and a manifest: the model's requests for those are dropped."
    f = facts("slugkit")
    model = {"aggregator": {"overall_assessment": "A slug library.", "top_priorities": [
                 "Create a manifest file for crates.io", "Configure a publish workflow in .github/workflows",
                 "Add unit tests", "Add a CI pipeline"]},
             "deployment": {"deployment_blockers": [{"issue": "No CI pipeline", "evidence": "key_files.ci", "severity": "high"}]}}
    checked = check_answers(model, f)
    out = headline(checked.answers, f, breakdown(f, today=DAY), [_plain(x) for x in checked.findings])
    said = " ".join(out["aggregator"]["top_priorities"]).lower()
    assert not any(w in said for w in ("manifest", "publish", "unit tests", "ci pipeline")), said
    assert out["deployment"]["deployment_blockers"] == []
    assert out["aggregator"]["overall_assessment"].startswith("Stack: Rust; unicode-normalization, serde")
