"""The dry run's answers follow from the facts: each deterministic rule shows in what it says."""
import json
from pathlib import Path
from borg_llm.pipeline import dry_answers

SAMPLES = Path(__file__).resolve().parent.parent/"data"/"samples"


def _blockers(facts):
    return [b["issue"] for b in dry_answers(facts)["deployment"]["deployment_blockers"]]


def test_readiness_blocker_below_half():
    "A deployment readiness under 50% is a blocker; at or above it, none."
    base = json.loads((SAMPLES/"snake-toy.json").read_text())
    for ready, expect in ((5, True), (30, True), (49, True), (50, False), (85, False)):
        facts = {**base, "deployment_analysis": {"readiness_percent": ready}}
        assert any("readiness" in b.lower() for b in _blockers(facts)) == expect, (ready, _blockers(facts))
