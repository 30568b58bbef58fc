"Tests of the local OpenRouter stand-in (`borg_llm.testing.server`) beyond what `nbs/30_stand_in.ipynb` and `nbs/31_stand_in_server.ipynb` show."
import asyncio, json, logging, subprocess, sys, time
from datetime import datetime, timezone
from typing import Literal

import httpx2, instructor, pytest
from instructor.core import InstructorRetryException
from openai import AsyncOpenAI, BadRequestError, RateLimitError
from pydantic import BaseModel, Field

from borg_llm.testing import (DEFAULT_MODELS, DEFAULT_PARAMS, Fault, RemoteStandIn, StandIn, find_schema, parse_rate,
                              schema_instance)
from conftest import KEY

logging.getLogger("instructor").setLevel(logging.CRITICAL)
MODEL = "meta-llama/llama-4-scout:free"


class Finding(BaseModel):
    title: str
    severity: Literal["low", "medium", "high"]
    line: int | None = None

class ArchitectAnalysis(BaseModel):
    "A nested model with the shapes the project uses."
    summary: str
    score: int = Field(ge=1, le=10)
    confidence: float = Field(ge=0, le=1)
    findings: list[Finding]
    tags: list[str] = Field(min_length=2, max_length=4)
    ready: bool
    stage: Literal["prototype", "beta", "production"]
    notes: str | None = None

class Node(BaseModel):
    "Recursive: must terminate."
    name: str
    children: list["Node"] = []

MSGS = [{"role": "system", "content": "You review software projects."}, {"role": "user", "content": "Review this project."}]


@pytest.fixture
async def client(srv):
    async with AsyncOpenAI(base_url=srv.base_url, api_key=KEY, max_retries=0, timeout=5) as c: yield c

async def post(srv, body, path="/chat/completions", timeout=5):
    "Raw POST to the stand-in, no retries."
    async with httpx2.AsyncClient(timeout=timeout) as c: return await c.post(srv.base_url + path, json=body)

def chat_body(model="standin/echo", schema=None, **kw):
    body = {"model": model, "messages": MSGS, **kw}
    if schema is not None: body["response_format"] = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    return body


# ---------- schema instances ----------
@pytest.mark.parametrize("seed", ["a", "b", "c", "d", "e"])
def test_schema_instance_validates(seed):
    ArchitectAnalysis.model_validate(schema_instance(ArchitectAnalysis.model_json_schema(), seed))
    Node.model_validate(schema_instance(Node.model_json_schema(), seed))

def test_schema_instance_deterministic_and_shapes():
    s = ArchitectAnalysis.model_json_schema()
    a, b = schema_instance(s, "x"), schema_instance(s, "x")
    assert a == b and a != schema_instance(s, "y")
    assert 1 <= len(a["findings"]) <= 3 and 2 <= len(a["tags"]) <= 4
    assert a["summary"].startswith("Summary ")
    assert schema_instance({"type": "integer", "exclusiveMinimum": 3, "exclusiveMaximum": 5}) == 4
    assert schema_instance({"type": "array", "items": {"type": "string"}, "maxItems": 0}) == []
    assert schema_instance({"type": ["null", "string"], "format": "date"}) == "2026-01-01"
    assert len(schema_instance({"type": "string", "minLength": 100})) == 100

def test_find_schema_places():
    s = ArchitectAnalysis.model_json_schema()
    assert find_schema({"tools": [{"type": "function", "function": {"name": "ArchitectAnalysis", "parameters": s}}]}).mode == "tools"
    assert find_schema(chat_body(schema=s)).title == "ArchitectAnalysis"
    assert find_schema({"response_format": {"type": "json_object", "schema": s}}).mode == "json_object"
    sys_parts = [{"role": "system", "content": [{"type": "text", "text": "Rules {x}. json_schema:\n" + json.dumps(s)}]}]
    assert find_schema({"messages": sys_parts}).title == "ArchitectAnalysis"
    assert find_schema({"messages": MSGS}).schema is None


# ---------- instructor modes ----------
async def test_tool_call_shape(srv):
    s = ArchitectAnalysis.model_json_schema()
    r = await post(srv, {"model": MODEL, "messages": MSGS, "tools": [{"type": "function", "function": {"name": "ArchitectAnalysis", "parameters": s}}]})
    ch = r.json()["choices"][0]
    assert ch["finish_reason"] == "tool_calls"
    call = ch["message"]["tool_calls"][0]
    assert call["type"] == "function" and call["function"]["name"] == "ArchitectAnalysis" and call["id"]
    ArchitectAnalysis.model_validate_json(call["function"]["arguments"])

async def test_llamacpp_json_object_and_plain(srv):
    r = await post(srv, {"model": MODEL, "messages": MSGS, "response_format": {"type": "json_object", "schema": ArchitectAnalysis.model_json_schema()}})
    ArchitectAnalysis.model_validate_json(r.json()["choices"][0]["message"]["content"])
    r = await post(srv, chat_body())
    j = r.json()
    assert j["choices"][0]["message"]["content"] == "Review this project." and j["id"].startswith("gen-")
    assert j["object"] == "chat.completion" and j["model"] == "standin/echo" and isinstance(j["created"], int)
    u = j["usage"]
    assert u["prompt_tokens"] == len(json.dumps(MSGS, separators=(",", ":"))) // 4 and u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"]

async def test_cost_and_prices(srv):
    free = (await post(srv, chat_body(MODEL))).json()["usage"]
    assert free["cost"] == 0.0
    srv.configure(prices={"standin/echo": (1e-6, 2e-6)})
    u = (await post(srv, chat_body())).json()["usage"]
    assert u["cost"] == pytest.approx(u["prompt_tokens"] * 1e-6 + u["completion_tokens"] * 2e-6)
    assert srv.stats.cost == pytest.approx(u["cost"])

async def test_answer_fn(srv, client):
    srv.configure(answer_fn=lambda body, schema: {"summary": "crafted"} if schema else None)
    r = await post(srv, chat_body(schema={"type": "object"}))
    assert json.loads(r.json()["choices"][0]["message"]["content"]) == {"summary": "crafted"}
    assert (await post(srv, chat_body())).json()["choices"][0]["message"]["content"] == "Review this project."
    async def afn(body, schema): return "plain words"
    srv.configure(answer_fn=afn)
    assert (await post(srv, chat_body())).json()["choices"][0]["message"]["content"] == "plain words"
    srv.configure(answer_fn=lambda b, s: 1 / 0)
    r = await post(srv, chat_body())
    assert r.status_code == 500 and "ZeroDivisionError" in r.json()["error"]["message"]


# ---------- faults ----------
async def test_hang_short_answers(srv):
    srv.configure(faults=[Fault("hang", hang_s=0.2)])
    t = time.monotonic()
    assert (await post(srv, chat_body())).status_code == 200 and time.monotonic() - t >= 0.2

async def test_drop_retried_by_sdk(srv):
    srv.configure(faults=[Fault("drop", times=2)])
    async with AsyncOpenAI(base_url=srv.base_url, api_key=KEY, max_retries=2, timeout=5) as c:
        r = await c.chat.completions.create(model="standin/echo", messages=MSGS)
    assert r.choices[0].message.content == "Review this project." and len(srv.stats.chat) == 3

S = ArchitectAnalysis.model_json_schema()
TOOLS_BODY = {"tools": [{"type": "function", "function": {"name": "ArchitectAnalysis", "parameters": S}}]}

async def test_invalid_json(srv):
    srv.configure(faults=[Fault("invalid_json")])
    for extra in ({"response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema": S}}}, TOOLS_BODY):
        msg = (await post(srv, {"model": MODEL, "messages": MSGS, **extra})).json()["choices"][0]["message"]
        text = msg["tool_calls"][0]["function"]["arguments"] if msg.get("tool_calls") else msg["content"]
        with pytest.raises(ValueError): json.loads(text)

@pytest.mark.parametrize("kind,requests,ok", [("error_in_200", 2, True), ("empty_choices", 1, False), ("error_body_200", 1, False),
                                              ("invalid_json", 2, True), ("schema_violation", 2, True)])
async def test_errors_through_instructor(srv, client, kind, requests, ok):
    "What the notebook says instructor 1.17 does (TOOLS, max_retries=1)."
    srv.configure(faults=[Fault(kind, times=1)])
    ic = instructor.from_openai(client, mode=instructor.Mode.TOOLS)
    call = ic.create(model=MODEL, response_model=ArchitectAnalysis, messages=MSGS, max_retries=1)
    if ok: await call
    else:
        with pytest.raises(InstructorRetryException): await call
    assert len(srv.stats.chat) == requests

@pytest.mark.parametrize("mode,think_ok,fenced_ok", [(instructor.Mode.TOOLS, True, False), (instructor.Mode.JSON_SCHEMA, False, False),
                                                     (instructor.Mode.MD_JSON, True, True)])
async def test_think_fenced_through_instructor(srv, client, mode, think_ok, fenced_ok):
    ic = instructor.from_openai(client, mode=mode)
    for kind, ok in (("think", think_ok), ("fenced", fenced_ok)):
        srv.configure(faults=[Fault(kind, times=1)]); srv.reset()
        await ic.create(model=MODEL, response_model=ArchitectAnalysis, messages=MSGS, max_retries=1)
        assert len(srv.stats.chat) == (1 if ok else 2), kind

def test_fault_validation():
    with pytest.raises(ValueError, match="unknown fault kind"): Fault("418")
    with pytest.raises(ValueError): Fault("500", probability=2)
    with pytest.raises(ValueError, match="unknown stand-in setting"): StandIn().configure(latncy_s=1)
    assert parse_rate("60/10") == (60, 10.0) and parse_rate(None) is None
    with pytest.raises(ValueError): parse_rate("sixty")

async def test_fault_filters_times_probability(srv):
    srv.configure(faults=[Fault("500", model="*:free", schema="Architect*", times=2)])
    assert (await post(srv, chat_body(MODEL))).status_code == 200  # no schema: no match
    assert (await post(srv, chat_body("standin/echo", S))).status_code == 200  # model does not match
    codes = [(await post(srv, chat_body(MODEL, S))).status_code for _ in range(3)]
    assert codes == [500, 500, 200] and srv.faults[0].hits == 2
    srv.reset(); assert srv.faults[0].hits == 0
    srv.configure(faults=[Fault("502", probability=0.5)], seed=1); srv.reset()
    a = [(await post(srv, chat_body())).status_code for _ in range(20)]
    srv.reset()
    b = [(await post(srv, chat_body())).status_code for _ in range(20)]
    assert a == b and 0 < a.count(502) < 20  # seeded: reproducible after reset


# ---------- routing ----------
async def test_routing_all_fail_and_429_not_skipped(srv):
    srv.configure(faults=[Fault("502", model="deepseek/*"), Fault("503", model="qwen/*")])
    r = await post(srv, {"messages": MSGS, "models": ["deepseek/deepseek-r1:free", "qwen/qwen3-14b:free"]})
    assert r.status_code == 503
    srv.configure(faults=[Fault("429", model="deepseek/*")])
    r = await post(srv, {"model": "deepseek/deepseek-r1:free", "messages": MSGS, "models": ["qwen/qwen3-14b:free"]})
    assert r.status_code == 429

async def test_unknown_model(srv, client):
    "An unknown id is the SDK's BadRequestError; `models` narrows what is served."
    with pytest.raises(BadRequestError): await client.chat.completions.create(model="nope", messages=MSGS)
    srv.configure(models=["only/this"])
    assert (await post(srv, chat_body(MODEL))).status_code == 400
    assert srv.models == {"only/this": list(DEFAULT_PARAMS)}

async def test_bad_requests(srv):
    async with httpx2.AsyncClient() as c:
        r = await c.post(srv.base_url + "/chat/completions", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert (await post(srv, chat_body(stream=True))).status_code == 400


# ---------- latency, limits, concurrency ----------
async def test_latency_concurrent_and_per_model(srv, client):
    srv.configure(latency_s=0.2, model_latency={"qwen/*": 0.5})
    t = time.monotonic()
    await asyncio.gather(*[client.chat.completions.create(model="standin/echo", messages=MSGS) for _ in range(50)])
    dt = time.monotonic() - t
    assert 0.2 <= dt < 3, dt
    assert (srv.stats.max_inflight, srv.stats.inflight) == (50, 0)
    t = time.monotonic(); await client.chat.completions.create(model="qwen/qwen3-14b:free", messages=MSGS)
    assert time.monotonic() - t >= 0.5

async def test_many_concurrent(srv):
    srv.configure(latency_s=0.1)
    async with httpx2.AsyncClient(timeout=30, limits=httpx2.Limits(max_connections=500)) as c:
        rs = await asyncio.gather(*[c.post(srv.base_url + "/chat/completions", json=chat_body()) for _ in range(500)])
    assert [r.status_code for r in rs] == [200] * 500 and srv.stats.max_inflight > 100

async def test_sliding_window_never_exceeded(srv):
    "A steady stream for 1.6 s against 4 per 0.5 s: no 0.5 s window ever holds more than 4 accepted requests."
    srv.configure(rate_limit="4/0.5")
    end = time.monotonic() + 1.6
    async with httpx2.AsyncClient(timeout=5) as c:
        while time.monotonic() < end:
            await c.post(srv.base_url + "/chat/completions", json=chat_body()); await asyncio.sleep(0.01)
    ts = sorted(r.ta for r in srv.stats.chat if r.ta is not None)
    assert all(sum(t <= u < t + 0.5 for u in ts) <= 4 for t in ts)
    assert len(ts) >= 12 and srv.stats.n_429 > 0  # the limit was both reached and refilled

async def test_retry_after_counts_to_oldest(srv):
    srv.configure(rate_limit="2/3")
    for _ in range(2): await post(srv, chat_body())
    r = await post(srv, chat_body())
    assert r.status_code == 429 and r.headers["retry-after"] == "3"

async def test_daily_limit(srv):
    srv.configure(daily_limit=3)
    async with AsyncOpenAI(base_url=srv.base_url, api_key=KEY, timeout=5) as c:  # SDK default retries
        for _ in range(3): await c.chat.completions.create(model=MODEL, messages=MSGS)
        t = time.monotonic()
        with pytest.raises(RateLimitError) as e: await c.chat.completions.create(model=MODEL, messages=MSGS)
    assert time.monotonic() - t < 1 and len(srv.stats.chat) == 4  # not retried
    h, now = e.value.response.headers, datetime.now(timezone.utc)
    assert "free-models-per-day" in e.value.message
    midnight_ms = int(h["x-ratelimit-reset"])
    assert abs(midnight_ms / 1000 - now.timestamp() - int(h["retry-after"])) <= 2
    assert datetime.fromtimestamp(midnight_ms / 1000, timezone.utc).strftime("%H:%M:%S") == "00:00:00"
    async with httpx2.AsyncClient() as c: key = (await c.get(srv.base_url + "/key")).json()["data"]
    assert (key["limit_remaining"], key["label"], key["is_free_tier"], key["limit"]) == (0, "stand-in", True, None)


# ---------- endpoints, stats, running ----------
async def test_models_and_v1_prefix(srv, client):
    ms = await client.models.list()
    assert [m.id for m in ms.data] == list(DEFAULT_MODELS)
    free = next(m for m in ms.data if m.id.endswith(":free"))
    assert free.pricing == {"prompt": "0", "completion": "0"} and free.context_length > 0 and "response_format" in free.supported_parameters
    async with httpx2.AsyncClient() as c:
        r = await c.post(srv.base_url.replace("/api/v1", "/v1") + "/chat/completions", json=chat_body())
        assert r.status_code == 200
        srv.configure(models={"a/b": ["tools"]})
        assert (await c.get(srv.base_url + "/models")).json()["data"][0]["supported_parameters"] == ["tools"]

async def test_stats_and_bodies(srv, client):
    await client.chat.completions.create(model=MODEL, messages=MSGS, extra_headers={"X-Title": "borg"})
    await post(srv, chat_body("no/such"))
    st = srv.stats
    assert (st.total, len(st.chat), st.by_model[MODEL], st.by_status[200], st.by_status[400]) == (2, 2, 1, 1, 1)
    rec = st.chat[0]
    assert rec.headers["authorization"] == "<redacted>" and rec.headers["x-title"] == "borg"
    assert rec.t0 <= rec.ta <= rec.t1 and rec.body["messages"] == MSGS and rec.answered == MODEL
    assert "Review this project." in st.bodies_text() and KEY not in st.bodies_text()
    s = st.summary(); json.dumps(s)
    assert s["by_status"] == {"200": 1, "400": 1}
    srv.reset(); assert (st.total, st.bodies_text()) == (0, "")

async def test_async_variant():
    async with StandIn(latency_s=0.05) as s:
        async with AsyncOpenAI(base_url=s.base_url, api_key=KEY, max_retries=0) as c:
            r = await c.chat.completions.create(model="standin/echo", messages=MSGS)
    assert r.choices[0].message.content == "Review this project." and s.stats.total == 1

def test_thread_variant_from_sync_code():
    with StandIn() as s:
        r = httpx2.post(s.base_url + "/chat/completions", json=chat_body())
        assert r.status_code == 200
    with pytest.raises(httpx2.ConnectError): httpx2.post(s.base_url + "/chat/completions", json=chat_body(), timeout=1)


# ---------- subprocess CLI and admin API ----------
def test_cli_admin_api():
    p = subprocess.Popen([sys.executable, "-m", "borg_llm.testing.server", "--port", "0", "--latency", "0.01", "--rate", "3/10"],
                         stdout=subprocess.PIPE, text=True)
    try:
        url = p.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api/v1")
        root = url[: -len("/api/v1")]
        with httpx2.Client(timeout=5) as c:
            codes = [c.post(url + "/chat/completions", json=chat_body()).status_code for _ in range(4)]
            assert codes == [200, 200, 200, 429]
            st = c.get(root + "/_admin/stats?records=1&bodies=1").json()
            assert (st["n_429"], st["chat"], st["by_status"]) == (1, 4, {"200": 3, "429": 1})
            assert len(st["records"]) == 4 and "Review this project." in st["bodies_text"]
            cfg = c.post(root + "/_admin/config", json={"rate_limit": None, "faults": [{"kind": "502", "times": 1}], "latency_s": 0}).json()
            assert cfg["rate_limit"] is None and cfg["faults"][0]["kind"] == "502"
            assert c.post(root + "/_admin/config", json={"bogus": 1}).status_code == 400
            assert c.post(root + "/_admin/config", json={"faults": ["teapot"]}).status_code == 400
            assert c.post(root + "/_admin/reset").status_code == 200
            assert [c.post(url + "/chat/completions", json=chat_body()).status_code for _ in range(2)] == [502, 200]
            assert c.get(root + "/_admin/stats").json()["by_status"] == {"502": 1, "200": 1}
    finally:
        p.terminate(); p.wait(10); p.stdout.close()

def test_cli_bad_args_one_line():
    r = subprocess.run([sys.executable, "-m", "borg_llm.testing.server", "--faults", "[{\"kind\": \"teapot\"}]"], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "unknown fault kind" in r.stderr and "Traceback" not in r.stderr

def test_remote_standin():
    with RemoteStandIn(rate_limit="2/10", faults=[Fault("500", times=1)]) as rs:
        with httpx2.Client(timeout=5) as c:
            codes = [c.post(rs.base_url + "/chat/completions", json=chat_body()).status_code for _ in range(3)]
        assert codes == [500, 200, 429] and rs.stats()["n_429"] == 1
        assert "records" in rs.stats(records=True) and "records" not in rs.stats()
        with pytest.raises(ValueError, match="unknown stand-in setting"): rs.configure(nope=1)
        assert rs.reset()["faults"][0]["hits"] == 0
