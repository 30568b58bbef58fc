"Tests of borg_llm.testing.replay beyond `nbs/36_replay.ipynb`: the file's order, misses, upstream errors, bad modes."
import json

import pytest
from openai import NotFoundError, OpenAI

from borg_llm.testing.replay import MISS, Recordings, ReplayServer


def ask(url, seed=1, content="hi"):
    return OpenAI(base_url=url, api_key="none", max_retries=0).chat.completions.create(
        model="meta-llama/llama-3.3-70b-instruct:free", seed=seed, messages=[{"role": "user", "content": content}])


def test_file_is_sorted_and_round_trips(tmp_path):
    recs = Recordings(tmp_path/"r.jsonl")
    for i in range(5): recs.add("/v1/chat/completions", json.dumps({"model": "m", "seed": i}).encode(), {"id": str(i)}, 0.5)
    recs.save()
    lines = (tmp_path/"r.jsonl").read_text().splitlines()
    keys = [json.loads(l)["key"] for l in lines]
    assert keys == sorted(keys) and len(keys) == 5
    assert all(l == json.dumps(json.loads(l), sort_keys=True, ensure_ascii=False) for l in lines)
    assert Recordings(tmp_path/"r.jsonl") == recs


def test_miss_names_the_command(tmp_path):
    with ReplayServer(tmp_path/"none.jsonl", record_cmd="python -m borg_llm.evals record prompts") as rs:
        with pytest.raises(NotFoundError) as e: ask(rs.base_url)
    assert MISS in str(e.value) and "python -m borg_llm.evals record prompts" in str(e.value)
    assert len(rs.misses) == 1 and not (tmp_path/"none.jsonl").exists()


def test_upstream_errors_are_passed_back_not_stored(srv, tmp_path):
    with ReplayServer(tmp_path/"r.jsonl", "record", upstream=srv.base_url) as rs:
        with pytest.raises(Exception): OpenAI(base_url=rs.base_url, api_key="none", max_retries=0).chat.completions.create(
            model="no/such-model", messages=[{"role": "user", "content": "x"}])
    assert len(Recordings(tmp_path/"r.jsonl")) == 0


def test_bad_mode():
    with pytest.raises(ValueError): ReplayServer("x.jsonl", "live")
    with pytest.raises(ValueError): ReplayServer("x.jsonl", "record")
