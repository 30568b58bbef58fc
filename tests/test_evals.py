"""Tests of the evaluations (`borg_llm.evals`, `eval_metrics`, `eval_labels`): the metrics on hand-made rows, the
grid's loud failure on a missing recording, and one reading of absence shared with the verifier."""
import json, shutil

import pandas as pd
import pytest

from borg_llm.config import prompts_dir
from borg_llm.evals import DEFAULT_VARIANT, GRIDS, ReplayMiss, run_grid
from borg_llm.eval_metrics import (ASPECT_OF, agreement, claims, copied_fields, example_answers, reliability, stability,
                                   strings)
from borg_llm.verify import check_answers, missing_subjects


def row(**kw):
    base = dict(grid="g", variant="v", model="m", project="demo", repeat=1, seed=1, role="business", status="ok",
                error=None, first_valid=True, reasks=0, attempts=1, latency_s=1.0, prompt_tokens=100,
                completion_tokens=10, cost_usd=0.0,
                prompt="business", prompt_sha="abc", model_id="m-1", answer="{}",
                market_viability=None, vibecodibility_score=None, borg_tools_fit=None)
    return {**base, **kw}


def test_claims_are_extracted_from_nested_answers():
    a = {"deployment_blockers": [{"issue": "No automated tests", "severity": "high"},
                                 {"issue": "Missing LICENSE", "severity": "low"}],
         "deployment_strategy": "Build the Dockerfile and run app.py under Kubernetes.",
         "mvp_roadmap": ["Add a GitHub Actions workflow"]}
    cs = claims(a)
    assert ("file", "Dockerfile") in cs and ("file", "app.py") in cs and ("tech", "kubernetes") in cs
    assert ("missing", "tests") in cs and ("missing", "license") in cs and ("tech", "github actions") in cs
    assert claims(None) == [] and claims({"market_viability": 4, "portfolio_suitable": True}) == []
    assert ("file", "example.com") not in claims({"x": "See https://example.com for more."})


# --- one reading of absence, shared by the verifier and the benchmark ------------------------------------------------

ABSENCE = ["No CI configuration", "There are no tests or CI.", "The lack of tests makes changes risky.",
           "No automated tests", "no integration tests", "No tests for the parser", "No need for a Dockerfile",
           "No test coverage for this project.", "No Kubernetes manifests", "missing publish workflow", "missing_license",
           "The LICENSE is missing", "It does not have a README", "No README badges", "Tests pass; CI is green.",
           "It is not missing tests", "Add a Dockerfile"]


@pytest.mark.parametrize("text", ABSENCE)
def test_the_benchmark_counts_what_the_verifier_judges_missing(text):
    "A text calls an aspect missing for the benchmark exactly when the verifier reads an unqualified claim of it."
    verifier = [ASPECT_OF[s] for s in missing_subjects(text) if s in ASPECT_OF]
    assert [v for k, v in claims([text]) if k == "missing"] == verifier
    # and on a project that has every such aspect, the blocker the verifier contradicts is the one the labels reject
    lab, facts = load_labels("ledgerd"), load_facts("ledgerd")
    said_missing = [h for h in must_not_hits(text, lab) if h.startswith("missing:")]
    blocker = dict(deployment=dict(deployment_blockers=[dict(issue=text, evidence="", severity="high")]))
    contradicted = check_answers(blocker, facts).counts["contradicted"] == 1
    assert bool(said_missing) == contradicted, (said_missing, check_answers(blocker, facts).findings)
    assert said_missing == [f"missing:{a}" for a in verifier if a in lab["present"]]


def test_the_absence_texts_cover_both_answers():
    "The table above holds texts the verifier reads as missing and texts it does not, for several aspects."
    found = {a for t in ABSENCE for k, a in claims([t]) if k == "missing"}
    assert {"ci", "tests", "k8s", "release", "license", "readme"} <= found
    assert sum(not missing_subjects(t) for t in ABSENCE) >= 5


def test_strings_walks_values_and_optionally_keys():
    a = {"x": ["No CI", {"issue": "No tests", "n": 3}], "Cargo.toml": ("rayon",)}
    assert list(strings(a)) == ["No CI", "No tests", "rayon"]
    assert list(strings(a, keys=True)) == ["x", "No CI", "issue", "No tests", "n", "Cargo.toml", "rayon"]
    assert list(strings(None)) == [] and list(strings("text")) == ["text"]


def test_reliability():
    t = pd.DataFrame([row(latency_s=1.0), row(latency_s=2.0),
                      row(latency_s=3.0, first_valid=False, reasks=2, attempts=3),
                      row(variant="w", status="failed", first_valid=False, latency_s=9.0, cost_usd=0.25)])
    r = reliability(t)
    assert r.loc["v", "calls"] == 3 and r.loc["v", "first_valid"] == round(2/3, 3) and r.loc["v", "reasks"] == 2
    assert r.loc["v", "latency_p50"] == 2.0 and r.loc["v", "latency_p95"] == 2.9 and r.loc["v", "failures"] == 0
    assert r.loc["w", "failures"] == 1 and r.loc["w", "cost_usd"] == 0.25


def test_stability_is_the_mean_range_over_repeats():
    t = pd.DataFrame([row(market_viability=2), row(repeat=2, market_viability=6),
                      row(project="q", market_viability=5), row(project="q", repeat=2, market_viability=5),
                      row(role="aggregator", vibecodibility_score=7),
                      row(role="aggregator", repeat=2, vibecodibility_score=7)])
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
    mine = {"architecture_assessment": "demo is a Flask app.", "design_patterns": ["MVC"],
            "scalability_notes": "One process.",
            "technical_debt_priority": ex[0]["technical_debt_priority"]}
    assert copied_fields(mine, ex) == []  # an equal enum value is not a copy


from borg_llm.evals import RECORDINGS, prune
from borg_llm.testing.replay import Recordings


def test_replay_miss_names_the_record_command(tmp_path):
    d = tmp_path/"prompts"; shutil.copytree(prompts_dir(), d)
    (d/"business.toml").write_text((d/"business.toml").read_text().replace("candid", "blunt"))
    g = GRIDS["prompts"].subset(projects=("snake-toy",), repeats=1, variants={"seed": {"business": "business"}})
    with pytest.raises(ReplayMiss, match="python -m borg_llm.evals record prompts"):
        run_grid(g, directory=d, recordings=tmp_path)


def test_checked_in_recordings_hold_only_what_a_grid_asks_for(tmp_path):
    "Every grid replays from the checked-in file, and pruning a copy of it drops nothing."
    shutil.copytree(RECORDINGS, tmp_path, dirs_exist_ok=True)
    assert prune(tmp_path) == {g.recordings: (len(Recordings(RECORDINGS/g.recordings)), 0) for g in GRIDS.values()}


def test_prune_keeps_what_is_asked_and_drops_nothing_when_a_grid_misses(tmp_path):
    shutil.copytree(RECORDINGS, tmp_path, dirs_exist_ok=True)
    f, before = tmp_path/GRIDS["benchmark"].recordings, (tmp_path/GRIDS["benchmark"].recordings).read_text()
    snake = GRIDS["benchmark"].subset(projects=("snake-toy",), repeats=1)
    hotter = snake.subset(models={"hotter": {"temperature": 0.99}})  # requests nobody recorded
    with pytest.raises(ReplayMiss): prune(tmp_path, {"snake": snake, "hotter": hotter})
    assert f.read_text() == before
    assert prune(tmp_path, {"snake": snake}) == {f.name: (4, len(Recordings(RECORDINGS/f.name)) - 4)}
    assert len(run_grid(snake, recordings=tmp_path)) == 4


# --- labels and the label-based metrics ---------------------------------------------------------------------------

import tomllib

from borg_llm.config import PROJECT_ROOT, ConfigError, load_roster
from borg_llm.facts import KINDS
from borg_llm.evals import LABELS, SAMPLES, SCORE_COLS, SCORES, grid_models, labelled, load_facts, record, _finding_counts
from borg_llm.eval_metrics import copied_words, example_words
from borg_llm.eval_labels import (ASPECTS, LABEL_KEYS, benchmark, in_bands, load_labels, must_not_hits, named, scorecard,
                                  valid_blocker)

REPOS = sorted(p.name for p in (PROJECT_ROOT/"data"/"repos").iterdir() if p.is_dir())
KEY_FILES = dict(ci="ci", tests="tests", docker="docker", license="license", readme="readme", k8s="deploy")
CHECKS = dict(ci="ci", tests="tests", license="license", release="publish_workflow")


def test_every_repository_has_labels_a_sample_and_a_benchmark_cell():
    assert len(REPOS) >= 11
    for name in REPOS:
        assert (LABELS/f"{name}.toml").is_file(), f"no labels for {name}"
        assert load_facts(name)["name"] == name
        assert not (PROJECT_ROOT/"data"/"repos"/name/".git").exists()
    assert labelled() == tuple(REPOS) and set(GRIDS["benchmark"].projects) <= set(REPOS)


@pytest.mark.parametrize("name", REPOS)
def test_labels_parse_name_known_keys_and_agree_with_the_facts(name):
    d = tomllib.loads((LABELS/f"{name}.toml").read_text())
    assert set(d) <= set(LABEL_KEYS) and {"kind", "purpose", "stack", "bands", "blockers"} <= set(d)
    assert set(d.get("present", [])) | set(d.get("missing", [])) <= set(ASPECTS)
    assert not set(d.get("present", [])) & set(d.get("missing", []))
    assert set(d["bands"]) == set(SCORE_COLS)
    for b in d["bands"].values():
        lo, hi = b["range"]
        assert 3 <= hi - lo + 1 <= 5 and b["why"].strip()
    assert load_labels(name) == d
    facts = load_facts(name)
    assert d["kind"] in KINDS
    for aspect, key in KEY_FILES.items():
        if aspect in d.get("present", []): assert facts["key_files"].get(key), f"{name}: {aspect} labelled present"
        if aspect in d.get("missing", []): assert not facts["key_files"].get(key), f"{name}: {aspect} labelled missing"
    for aspect, check in CHECKS.items():  # the scanner's yes/no checks agree too
        if aspect in d.get("present", []) + d.get("missing", []):
            assert facts["checks"][check]["value"] == (aspect in d.get("present", [])), f"{name}: {aspect}"


def test_load_labels_rejects_unknown_keys_and_bad_bands(tmp_path):
    (tmp_path/"x.toml").write_text('kind = "cli"\nscore = 3\n')
    with pytest.raises(ConfigError, match="unknown key 'score'"): load_labels("x", tmp_path)
    (tmp_path/"y.toml").write_text('kind = "cli"\n[bands.market_viability]\nrange = [6, 11]\nwhy = "x"\n')
    with pytest.raises(ConfigError, match="bands.market_viability.range"): load_labels("y", tmp_path)
    (tmp_path/"z.toml").write_text('kind = "cli"\nmust_not = ["(unclosed"]\n')
    with pytest.raises(ConfigError, match="bad pattern"): load_labels("z", tmp_path)
    with pytest.raises(ConfigError, match="no labels"): load_labels("missing", tmp_path)


def test_named_matches_whole_words_plurals_and_prefixes():
    assert named("Moves money between LEDGERS", [["ledger"]]) == 1.0
    assert named("a gopher", [["go"]]) == 0.0 and named("in Go.", [["go"]]) == 1.0
    assert named("scaffolding", [["scaffold*"]]) == 1.0 and named("scaffolding", [["scaffold"]]) == 0.0
    assert named("React and Express", [["react"], ["express", "node"], ["postgres"]]) == pytest.approx(2/3)


def test_must_not_and_blocker_validity():
    lab = load_labels("ledgerd")
    assert must_not_hits("Add a GitHub Actions workflow: there is no CI.", lab) == ["missing:ci"]
    hits = must_not_hits("A Python service with no tests.", lab)
    assert hits == ["(python|node|javascript) (app|service)", "missing:tests"]
    assert must_not_hits("ledgerd ships with CI, tests and k8s manifests.", lab) == []
    assert valid_blocker("No migration job in k8s/", lab) and valid_blocker("Image tag pinned in the Deployment", lab)
    assert not valid_blocker("No automated tests", lab)  # it has tests: wrong, though "tests" is a pattern
    assert not valid_blocker("Rewrite the UI in Svelte", lab)
    assert valid_blocker("No LICENSE file", dict(missing=["license"], blockers=[]))  # a missing aspect is valid
    assert not valid_blocker("No LICENSE file", dict(missing=["ci"], blockers=[]))
    assert valid_blocker("Dependencies have no versions", dict(blockers=["version"]))  # patterns take plurals


def test_in_bands():
    lab = load_labels("quickpoll")
    assert in_bands(dict(market_viability=2, vibecodibility_score=4, borg_tools_fit=1), lab) == 1.0
    assert in_bands(dict(market_viability=10, vibecodibility_score=10, borg_tools_fit=10), lab) == 0.0
    assert in_bands(dict(market_viability=4, vibecodibility_score=None, borg_tools_fit=None), lab) == 1.0
    assert in_bands(dict(market_viability=1, borg_tools_fit=3), lab) == 1.0  # both ends inclusive
    assert in_bands({}, lab) is None


def test_example_words_leave_out_instructions_and_keys(tmp_path):
    d = tmp_path/"prompts"; shutil.copytree(prompts_dir(), d)
    data = '{"name": "zorblax", "tree": ["widget.c"], "readme_excerpt": "a widget for the grumble bus"}'
    answer = '{"architecture_assessment": "zorblax is a widget in widget.c: the name of the grumble bus."}'
    (d/"t.toml").write_text('system = "You review widgets."\nuser = "Review the widget.\\n\\n{{ data }}"\n'
                            f"[[examples]]\ndata = '{data}'\nanswer = '{answer}'\n")
    assert example_words("t", d) == {"zorblax", "widget.c", "grumble", "bus"}


def test_copied_example_words():
    ew = example_words("architect")
    assert {"pixel-forge", "rayon", "rust"} <= ew and not {"the", "and", "technical"} & ew
    facts = load_facts("slugkit")
    a = {"architecture_assessment": "slugkit uses rayon like pixel-forge; src/options.rs holds Options."}
    assert copied_words(a, ew, facts) == ["pixel-forge", "rayon"]
    assert copied_words({"architecture_assessment": "slugkit: Rust, src/options.rs and tests/."}, ew, facts) == []
    assert copied_words({"x": "rayon"}, ew, {"name": "r", "key_files": {"manifests": {"Cargo.toml": ["rayon"]}}}) == []
    review = {"overall_assessment": "Add tests and a license before the first release of this command line tool."}
    assert copied_words(review, example_words("aggregator") | ew, load_facts("quickpoll")) == []  # generic words


def test_finding_counts_are_none_when_absent():
    assert _finding_counts({}) == dict(confirmed=None, contradicted=None, unverifiable=None)
    counts = _finding_counts({"checks": {"contradicted": 0, "confirmed": 4}})
    assert counts == dict(confirmed=4, contradicted=0, unverifiable=None)
    assert _finding_counts({"checks": {"contradicted": [{"claim": "no CI"}, {"claim": "no tests"}]}})["contradicted"] == 2


def analysis(project, texts, blockers, repeat=1, model="m", contradicted=None, prompt=True, **scores):
    "The four rows of one hand-made analysis of `project`, as `run_grid` returns them."
    ans = dict(architect={"architecture_assessment": texts[0]},
               deployment={"deployment_blockers": [{"issue": b, "severity": "high"} for b in blockers]},
               business={"problem_solved": texts[1]}, aggregator={"overall_assessment": texts[2]})
    extra = {} if contradicted == "absent" else dict(contradicted=contradicted)
    return [row(project=project, model=model, repeat=repeat, role=r, prompt=r if prompt else None, answer=json.dumps(a),
                **extra, **{s: scores.get(s) for s in SCORES.get(r, ())}) for r, a in ans.items()]


GOOD = analysis("quickpoll", ["quickpoll is one Python Flask file, app.py, on SQLite.",
                              "Quick polls: create one and share the vote link.",
                              "A weekend prototype; the README's request for 10/10 is a prompt injection to ignore."],
                ["Hard-coded SECRET_KEY", "No automated tests", "Anyone can vote many times"],
                contradicted=0, market_viability=2, vibecodibility_score=4, borg_tools_fit=1)
BAD = analysis("quickpoll", ["pixel-forge applies photo filters with rayon.",
                             "It is production-ready; it is fully tested.",
                             "Ships as a Rust binary."], ["No README", "Add Kubernetes"], repeat=2, contradicted=2,
               market_viability=10, vibecodibility_score=10, borg_tools_fit=10)


def test_scorecard_tells_a_correct_analysis_from_a_bad_one():
    sc = scorecard(pd.DataFrame(GOOD + BAD)).set_index("repeat")
    g, b = sc.loc[1], sc.loc[2]
    assert (g.contradicted, g.copied_words, g.purpose_named, g.stack_named, g.must_not) == (0, [], True, 1.0, [])
    assert (g.blockers, g.valid_blockers, g.in_bands) == (3, 3, 1.0)
    assert b.contradicted == 2 and {"pixel-forge", "rayon", "rust"} <= set(b.copied_words)
    assert (g.still_contradicted, b.still_contradicted) == (0, 1)  # the final answers still say "No README"
    assert not b.purpose_named and b.stack_named == 0.0 and b.in_bands == 0.0
    assert {"(is|looks|seems) production[- ]ready", "(is|are) fully tested", "missing:readme"} <= set(b.must_not)
    assert (b.blockers, b.valid_blockers) == (2, 0)


def test_purpose_needs_every_group():
    half = analysis("mdlinkcheck", ["Checks links concurrently.", "b", "c"], [])
    full = analysis("mdlinkcheck", ["Checks links in Markdown files.", "b", "c"], [], repeat=2)
    sc = scorecard(pd.DataFrame(half + full))
    assert sc.purpose_named.tolist() == [False, True]


def test_scorecard_without_checks_or_prompts():
    sc = scorecard(pd.DataFrame(analysis("quickpoll", ["a", "b", "c"], [], contradicted="absent", prompt=False)))
    assert sc.contradicted[0] is None and sc.copied_words[0] == [] and sc.blockers[0] == 0 and sc.in_bands[0] is None
    assert sc.echoed_runs[0] is None  # no messages kept: not measured, not 0


def test_benchmark_table_and_spread_over_seeds():
    other = analysis("quickpoll", ["Flask polls", "votes", "x"], ["No CI"], model="n", market_viability=3)
    bm = benchmark(pd.DataFrame(GOOD + BAD + other))
    m, n = bm.loc[("m", "v")], bm.loc[("n", "v")]
    assert m.analyses == 2 and m.contradicted == 1.0 and m.purpose_named == 0.5 and m.blocker_precision == 0.6
    assert m.in_bands == 0.5 and m.must_not > 1 and m.copied_words >= 1.5
    assert m.score_spread == pytest.approx((8 + 6 + 9) / 3, abs=0.01)  # 2→10, 4→10, 1→10 over the two seeds
    assert pd.isna(n.contradicted) and n.blocker_precision == 1.0 and pd.isna(n.score_spread)
    assert list(bm.columns) == ["analyses", "contradicted", "still_contradicted", "copied_words", "echoed_runs",
                                "purpose_named", "stack_named", "must_not", "blocker_precision", "in_bands",
                                "score_spread"]


def test_stability_by_several_columns():
    t = pd.DataFrame([row(model="A", market_viability=2), row(model="A", repeat=2, market_viability=6),
                      row(model="B", market_viability=5), row(model="B", repeat=2, market_viability=5)])
    s = stability(t, ["model", "variant"])
    assert s.loc[("A", "v"), "market_viability_spread"] == 4.0 and s.loc[("B", "v"), "market_viability_spread"] == 0.0


def test_benchmark_grid_records_replays_and_scores(tmp_path):
    from borg_llm.testing import StandIn
    g = GRIDS["benchmark"].subset(projects=("quickpoll", "slugkit"), repeats=1)
    with StandIn(models=grid_models(g)) as up:
        rec = run_grid(g, mode="record", base_url=up.base_url, recordings=tmp_path)
    rep = run_grid(g, recordings=tmp_path)
    assert len(rep) == 8 and set(rep.status) == {"ok"} and rep.answer.tolist() == rec.answer.tolist()
    assert {"confirmed", "contradicted", "unverifiable"} <= set(rep.columns)  # the verifier's counts, None if absent
    bm = benchmark(rep)
    assert bm.index.tolist() == [(*g.models, DEFAULT_VARIANT)] and bm.analyses.iloc[0] == 2
    with pytest.raises(ConfigError, match="unknown grid 'nope'"): record("nope")


# --- one analysis' metadata becomes rows ---------------------------------------------------------------------------

from types import SimpleNamespace
from borg_llm.evals import _rows


def _analysis(**roles):
    "A stand-in `Analysis`: metadata for the four roles, the given fields overriding an answered first attempt."
    base = dict(status="ok", attempts=1, reasks=0, model_answered="m", latency_s=1.0)
    meta = dict(roles={r: {**base, **roles.get(r, {})} for r in ("architect", "deployment", "business", "aggregator")})
    return SimpleNamespace(meta=meta, r={})


@pytest.mark.parametrize("role_meta, valid", [({}, True), ({"reasks": 1, "attempts": 2}, False),
                                              ({"attempts": 2}, False), ({"status": "failed"}, False)])
def test_first_valid_means_answered_at_the_first_attempt(role_meta, valid):
    rows = _rows(_analysis(business=role_meta), dict(project="p"), {})
    assert [r["first_valid"] for r in rows] == [True, True, valid, True]


def test_first_valid_follows_the_calls_accounts():
    "A live cell against the stand-in: the re-asked role is the one row not valid at the first attempt."
    from borg_llm.testing import Fault, StandIn
    g = GRIDS["benchmark"].subset(projects=("quickpoll",), repeats=1)
    with StandIn(models=grid_models(g), faults=[Fault("schema_violation", schema="BusinessAnalysis", times=1)]) as up:
        df = run_grid(g, mode="live", base_url=up.base_url)
    got = df[["role", "status", "first_valid", "attempts", "reasks"]].values.tolist()
    assert got == [["architect", "ok", True, 1, 0], ["deployment", "ok", True, 1, 0], ["business", "ok", False, 2, 1],
                   ["aggregator", "ok", True, 1, 0]]


def test_each_repeat_sends_its_seed():
    "Every request of a repeat carries the repeat's seed, in place of the roster's, where the roster would put it."
    from borg_llm.testing import StandIn
    g = GRIDS["benchmark"].subset(projects=("quickpoll",), repeats=2)
    assert {load_roster(prompts_dir()/g.roster)[r].seed for r in ("architect", "aggregator")} == {1}
    with StandIn(models=grid_models(g)) as up:
        run_grid(g, mode="live", base_url=up.base_url)
        bodies = [r.body for r in up.stats.chat]
    assert [b["seed"] for b in bodies] == [1] * 4 + [2] * 4 and "extra_body" not in bodies[0]


def test_replay_latency_adds_up_per_role():
    from borg_llm.client import Call
    from borg_llm.evals import replay_latency
    lat = {}
    add = replay_latency(lat)
    for s in (1.25, 2.5): add(Call("architect", "m"), SimpleNamespace(model_extra={"borg_replay": {"latency_s": s}}))
    add(Call("business", "m"), SimpleNamespace(model_extra=None))
    assert lat == {"architect": 3.75}


# --- instructions echoed ----------------------------------------------------------------------------------------------

from borg_llm.eval_metrics import echoed_runs, prompt_parts

RUBRIC = [{"role": "system", "content": "You review one repository. Claim only what the data shows, and name the "
                                        "evidence of every blocker. Reason briefly first, then score."},
          {"role": "user", "content": 'Judge it.\n\n<project_data>\n{"readme": "Reason briefly first, then score the '
                                      'widgets."}\n</project_data>'}]


def test_echoed_runs_count_copied_instruction_runs():
    "A copied sentence is one run whatever its length; words of the data, or four in a row, are none."
    twelve = "Claim only what the data shows, and name the evidence of every blocker."
    assert echoed_runs({"a": twelve}, RUBRIC) == 1 and echoed_runs({"a": [twelve, twelve]}, RUBRIC) == 1
    two = "Claim only what the data shows today; also name the evidence of every blocker."
    assert echoed_runs({"a": two}, RUBRIC) == 2
    assert echoed_runs(json.dumps({"a": "Claim only what the data shows."}), json.dumps(RUBRIC)) == 1  # rows hold JSON
    assert echoed_runs({"a": "Claim only what the facts show."}, RUBRIC) == 0  # four words of the rubric
    assert echoed_runs({"a": "Reason briefly first, then score."}, RUBRIC) == 0  # the data says it too
    assert echoed_runs({"a": twelve}, None) is None
    instructions, data = prompt_parts(RUBRIC)
    assert "Judge it." in instructions and "readme" not in instructions and data.startswith('{"readme"')


def test_recorded_answers_echo_their_instructions():
    "A replayed analysis keeps the messages each role was asked, and the 1.5B's recorded answers echo them."
    g = GRIDS["benchmark"].subset(projects=("tinyhttp-py",), repeats=1)
    df = run_grid(g)
    sent = [json.loads(m) for m in df.messages]
    assert [m[0]["role"] for m in sent] == ["system"] * 4 and len({m[0]["content"] for m in sent}) == 1
    assert all("<project_data>" in m[-1]["content"] for m in sent)
    per_role = [echoed_runs(a, m) for a, m in zip(df.answer, df.messages)]
    assert sum(per_role) == 5 and scorecard(df).echoed_runs.tolist() == [5]
    assert benchmark(df).echoed_runs.tolist() == [5.0]
