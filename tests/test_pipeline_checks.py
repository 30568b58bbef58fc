"The pipeline checks the specialists once: the result's checks reuse that check and equal a check from scratch."
import json
from pathlib import Path
import pytest
from borg_llm.config import PROJECT_ROOT, ROLES, SPECIALISTS
from borg_llm.pipeline import dry_answers
from borg_llm.untrusted import sanitize_facts
from borg_llm.verify import check_answers

SAMPLES = sorted((PROJECT_ROOT/"data"/"samples").glob("*.json"))

@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_check_with_earlier_equals_check_from_scratch(path):
    facts, _ = sanitize_facts(json.loads(path.read_text()))
    answers = dry_answers(facts)
    answers["deployment"]["deployment_blockers"].append(dict(issue="No CI configuration", evidence="key_files.ci",
                                                             severity="high"))
    answers["aggregator"]["top_priorities"].append("Add a README")
    first = check_answers({r: answers[r] for r in SPECIALISTS}, facts)
    assert check_answers(answers, facts, earlier=first) == check_answers(answers, facts)

def test_earlier_check_of_other_facts_or_answers_is_not_reused():
    facts, _ = sanitize_facts(json.loads(SAMPLES[0].read_text()))
    answers = dry_answers(facts)
    wrong = check_answers({"deployment": {**answers["deployment"], "deployment_blockers": []}}, facts)
    assert check_answers(answers, facts, earlier=wrong) == check_answers(answers, facts)
    other = check_answers({r: answers[r] for r in SPECIALISTS}, dict(facts))  # equal facts, another object
    assert check_answers(answers, facts, earlier=other).answers["architect"] is not other.answers["architect"]
