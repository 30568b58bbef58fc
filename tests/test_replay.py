"Tests of borg_llm.testing.replay: request keys, the recordings file, record and replay through the OpenAI SDK."
import json

import pytest
from openai import NotFoundError, OpenAI

from borg_llm.testing.replay import MISS, Recordings, ReplayServer, canonical_body, request_key, stable
from borg_llm.testing import StandIn


def ask(url, seed=1, content="hi"):
    return OpenAI(base_url=url, api_key="none", max_retries=0).chat.completions.create(
        model="meta-llama/llama-3.3-70b-instruct:free", seed=seed, messages=[{"role": "user", "content": content}])


def test_key_ignores_field_order_and_whitespace():
    a = request_key("/v1/chat/completions", b'{"model": "m", "messages": [1, 2]}')
    assert a == request_key("/v1/chat/completions", {"messages": [1, 2], "model": "m"})
    assert a != request_key("/v1/chat/completions", {"messages": [2, 1], "model": "m"})
    assert a != request_key("/v1/models", {"messages": [1, 2], "model": "m"})
    assert canonical_body(b"") == "" and len(a) == 16


def test_stable_drops_volatile_fields():
    r = stable({"id": "chatcmpl-1", "created": 1, "system_fingerprint": "x", "timings": {}, "usage": {"prompt_tokens": 3}}, "k")
    assert r == {"id": "replay-k", "usage": {"prompt_tokens": 3}}


def test_file_is_sorted_and_round_trips(tmp_path):
    recs = Recordings(tmp_path/"r.jsonl")
    for i in range(5): recs.add("/v1/chat/completions", json.dumps({"model": "m", "seed": i}).encode(), {"id": str(i)}, 0.5)
    recs.save()
    lines = (tmp_path/"r.jsonl").read_text().splitlines()
    keys = [json.loads(l)["key"] for l in lines]
    assert keys == sorted(keys) and len(keys) == 5
    assert all(l == json.dumps(json.loads(l), sort_keys=True, ensure_ascii=False) for l in lines)
    assert Recordings(tmp_path/"r.jsonl") == recs


def test_record_then_replay_offline(tmp_path):
    f = tmp_path/"r.jsonl"
    with StandIn() as up, ReplayServer(f, "record", upstream=up.base_url) as rs:
        first = ask(rs.base_url, 1)
        ask(rs.base_url, 1)
        assert up.stats.total == 1  # the second, identical request was replayed, not forwarded
    with ReplayServer(f) as rs:  # no upstream at all
        again = ask(rs.base_url, 1)
    assert again.choices[0].message.content == first.choices[0].message.content
    assert again.model_extra["borg_replay"]["latency_s"] >= 0
    before = f.read_text()
    with StandIn() as up, ReplayServer(f, "record", upstream=up.base_url) as rs: ask(rs.base_url, 1)
    assert f.read_text() == before  # re-recording changes nothing


def test_miss_names_the_command(tmp_path):
    with ReplayServer(tmp_path/"none.jsonl", record_cmd="python -m borg_llm.evals record prompts") as rs:
        with pytest.raises(NotFoundError) as e: ask(rs.base_url)
    assert MISS in str(e.value) and "python -m borg_llm.evals record prompts" in str(e.value)
    assert len(rs.misses) == 1 and not (tmp_path/"none.jsonl").exists()


def test_upstream_errors_are_passed_back_not_stored(tmp_path):
    with StandIn() as up, ReplayServer(tmp_path/"r.jsonl", "record", upstream=up.base_url) as rs:
        with pytest.raises(Exception): OpenAI(base_url=rs.base_url, api_key="none", max_retries=0).chat.completions.create(
            model="no/such-model", messages=[{"role": "user", "content": "x"}])
    assert len(Recordings(tmp_path/"r.jsonl")) == 0


def test_bad_mode():
    with pytest.raises(ValueError): ReplayServer("x.jsonl", "live")
    with pytest.raises(ValueError): ReplayServer("x.jsonl", "record")
