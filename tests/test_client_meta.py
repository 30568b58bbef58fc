"A call's metadata is what `dataclasses.asdict` gives without the answer, and a snapshot the call cannot change."
from dataclasses import asdict
from borg_llm.client import Call, lenient_json

def test_meta_is_asdict_without_the_answer():
    c = Call("business", "m", project="p", answer={"a": [1, {"b": 2}]}, fallbacks_tried=["x/y"], attempts=2,
             quota={"what": "daily", "resets_at": None})
    assert c.meta() == {k: v for k, v in asdict(c).items() if k != "answer"}
    assert list(c.meta()) == [k for k in asdict(c) if k != "answer"]  # the same order: the call log's columns

def test_meta_is_a_snapshot():
    c = Call("business", "m", fallbacks_tried=["x/y"], quota={"what": "daily"})
    m = c.meta()
    c.fallbacks_tried.append("z/w"); c.quota["what"] = "weekly"; c.attempts = 3
    assert (m["fallbacks_tried"], m["quota"], m["attempts"]) == (["x/y"], {"what": "daily"}, 0)

def test_lenient_json_touches_only_text_with_control_characters():
    assert lenient_json('{"a": "b"}') == '{"a": "b"}'
    assert lenient_json('{"a": "tab\there"}') == '{"a": "tab\\there"}'
    assert lenient_json('{"a": "\x1f"}') == '{"a": "\\u001f"}'
