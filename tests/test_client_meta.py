"A call's metadata is what `dataclasses.asdict` gives without the answer and logprobs, and a snapshot the call cannot change."
from dataclasses import asdict
from borg_llm.client import Call, lenient_json

def test_meta_is_asdict_without_the_answer():
    c = Call("business", "m", project="p", answer={"a": [1, {"b": 2}]}, fallbacks_tried=["x/y"], attempts=2,
             quota={"what": "daily", "resets_at": None}, logprobs=[["{", -0.1, {}]])
    big = ("answer", "logprobs") # kept on the call, not in the metadata and the call log
    assert c.meta() == {k: v for k, v in asdict(c).items() if k not in big}
    assert list(c.meta()) == [k for k in asdict(c) if k not in big]  # the same order: the call log's columns

def test_meta_is_a_snapshot():
    c = Call("business", "m", fallbacks_tried=["x/y"], quota={"what": "daily"})
    m = c.meta()
    c.fallbacks_tried.append("z/w"); c.quota["what"] = "weekly"; c.attempts = 3
    assert (m["fallbacks_tried"], m["quota"], m["attempts"]) == (["x/y"], {"what": "daily"}, 0)

def test_lenient_json_touches_only_text_with_control_characters():
    assert lenient_json('{"a": "b"}') == '{"a": "b"}'
    assert lenient_json('{"a": "tab\there"}') == '{"a": "tab\\there"}'
    assert lenient_json('{"a": "\x1f"}') == '{"a": "\\u001f"}'

async def test_calls_in_flight_keep_their_own_accounts(srv, settings):
    "Calls at the same time through one panel's instructor clients: each call's attempts and re-asks are its own."
    import asyncio
    from borg_llm.client import Panel
    from borg_llm.testing import Fault
    srv.configure(faults=[Fault("schema_violation", schema="ArchitectAnalysis", times=1)], latency_s=0.05)
    msgs = [{"role": "user", "content": "Rate tinyhttp, a small HTTP library."}]
    async with Panel(settings(srv), cache="off") as p:
        calls = await asyncio.gather(*[p.ask(r, msgs) for r in ("architect", "deployment", "business", "architect")])
    seen = [(c.role, c.status, c.attempts, c.reasks, c.http_requests) for c in calls]
    assert sorted(seen) == sorted([("architect", "ok", 2, 1, 2), ("deployment", "ok", 1, 0, 1), ("business", "ok", 1, 0, 1),
                                   ("architect", "ok", 1, 0, 1)]), seen  # one architect call met the bad answer
    assert all(c.prompt_tokens > 0 and c.model_answered == p.roster[c.role].model for c in calls)

async def test_no_echo_goes_in_the_request_body_only_when_set(srv, settings):
    "A role's `no_echo` is sent as a field of its request (the local server reads it); 0 sends nothing."
    from borg_llm.client import Panel
    from borg_llm.config import load_roster
    roster = load_roster()
    roster = roster.model_copy(update={"architect": roster.architect.model_copy(update={"no_echo": 5})})
    msgs = [{"role": "user", "content": "Rate tinyhttp, a small HTTP library."}]
    async with Panel(settings(srv), roster, cache="off") as p:
        await p.ask("architect", msgs); await p.ask("deployment", msgs)
    bodies = [r.body for r in srv.stats.chat]
    assert [b.get("no_echo") for b in bodies] == [5, None], bodies
