"Tests of borg_llm.local: the model catalogue, assembly and verification, servers (start, reuse, lifetime), routing."
import hashlib, importlib.metadata, json, os, signal, subprocess, sys, textwrap, time
from pathlib import Path

import pytest
from aiohttp import web

from borg_llm import catalogue, local, serving
from borg_llm.catalogue import (DEFAULT_MODEL, MODELS, SMALLEST_MODEL, LocalUnavailable, ModelChecksumError, Part,
                                get_model, model_file)
from borg_llm.client import Panel
from borg_llm.config import ROLES, load_roster, prompts_dir
from borg_llm.grammar import answer_chars, grammar_bounds, grammar_schema
from borg_llm.local import (LocalServer, LocalServerError, ensure_server, local_servers, read_state, release_server,
                            shared_server)
from borg_llm.schemas import ROLE_SCHEMAS
from borg_llm.serving import LoopServer, Router, served_models

# The server tests need one installed model: SmolLM2 (the quickest to start), else the default model.
TEST_MODEL = next((n for n in (SMALLEST_MODEL, DEFAULT_MODEL) if catalogue.installed(n)), None)
needs_model = pytest.mark.skipif(TEST_MODEL is None, reason='no local model installed (pip install -e ".[local]")')


def gone(pid, timeout=10.0) -> bool:
    "True once `pid` is dead (or a zombie) within `timeout` seconds."
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not local._alive(pid): return True
        time.sleep(0.1)
    return False


def child(code: str, *args, **kw) -> subprocess.Popen:
    "A python child running `code` with `args` as argv[1:]."
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *map(str, args)], text=True,
                            stdout=subprocess.PIPE, stdin=subprocess.PIPE, **kw)


@needs_model
def test_start_stop(tmp_path):
    with LocalServer(TEST_MODEL, state_dir=tmp_path) as srv:
        assert srv.base_url == f"http://127.0.0.1:{srv.port}/v1"
        assert served_models(srv.base_url) == [TEST_MODEL]
        pid = srv.pid
        assert srv.log_path.parent == tmp_path and srv.log_path.stat().st_size > 0
    assert not srv.running and gone(pid, 1)
    assert served_models(srv.base_url) is None
    assert pid not in local._owned


@needs_model
def test_given_port(tmp_path):
    port = serving.free_port()
    with LocalServer(TEST_MODEL, port=port, state_dir=tmp_path) as srv:
        assert served_models(f"http://127.0.0.1:{port}/v1") == [TEST_MODEL]
        cmd = srv.proc.args
    assert cmd[cmd.index("--chat_format") + 1] == MODELS[TEST_MODEL].chat_format
    assert cmd[cmd.index("--n_threads") + 1] == cmd[cmd.index("--n_threads_batch") + 1] == str(os.cpu_count())


@needs_model
def test_dead_server_reports_log(tmp_path, monkeypatch):
    bad = tmp_path/"bad.gguf"; bad.write_bytes(b"not a gguf")
    monkeypatch.setattr(local, "model_file", lambda name: bad)
    with pytest.raises(LocalServerError, match="exited with code"): LocalServer(TEST_MODEL, state_dir=tmp_path).start()


@needs_model
def test_reuse_via_state_file(tmp_path):
    url1, started1 = ensure_server(tmp_path, TEST_MODEL)
    pid = read_state(tmp_path, TEST_MODEL)["pid"]
    url2, started2 = ensure_server(tmp_path, TEST_MODEL)
    try:
        assert (started1, started2) == (True, False) and url1 == url2
        st = read_state(tmp_path, TEST_MODEL)
        assert st["pid"] == pid and st["started_by"] == "analysis" and st["clients"] == [os.getpid()]
        assert st["gguf"] == str(model_file(TEST_MODEL)) and st["alias"] == TEST_MODEL
    finally: release_server(url1, local._owned[pid], tmp_path)
    assert gone(pid, 5) and read_state(tmp_path, TEST_MODEL) is None


@needs_model
def test_stale_state_is_replaced(tmp_path):
    stale = dict(pid=2**22 + 7, alias=TEST_MODEL, base_url=f"http://127.0.0.1:{serving.free_port()}/v1")
    (tmp_path/f"server-{TEST_MODEL}.json").write_text(json.dumps(stale))
    with shared_server(tmp_path, TEST_MODEL) as url:
        assert served_models(url) == [TEST_MODEL] and read_state(tmp_path, TEST_MODEL)["base_url"] == url


@needs_model
def test_shared_server_stops_on_exception(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with shared_server(tmp_path, TEST_MODEL):
            pid = read_state(tmp_path, TEST_MODEL)["pid"]
            raise KeyboardInterrupt
    assert gone(pid, 5)


@needs_model
def test_concurrent_analyses_share_one_server(tmp_path):
    code = """
        import sys
        from borg_llm.local import ensure_server, read_state
        url, started = ensure_server(sys.argv[1], sys.argv[2])
        print(url, started, read_state(sys.argv[1], sys.argv[2])["pid"], flush=True)
        sys.stdin.read()
    """
    kids = [child(code, tmp_path, TEST_MODEL) for _ in range(2)]
    try:
        lines = [k.stdout.readline().split() for k in kids]
        assert len({l[0] for l in lines}) == 1 and len({l[2] for l in lines}) == 1
        assert sorted(l[1] for l in lines) == ["False", "True"]
    finally:
        for k in kids: k.stdin.close(); k.wait(20)
    assert gone(int(lines[0][2]), 5)


@needs_model
def test_server_dies_with_sigkilled_parent(tmp_path):
    code = """
        import sys
        from borg_llm.local import ensure_server, read_state
        ensure_server(sys.argv[1], sys.argv[2])
        print(read_state(sys.argv[1], sys.argv[2])["pid"], flush=True)
        sys.stdin.read()
    """
    k = child(code, tmp_path, TEST_MODEL)
    pid = int(k.stdout.readline())
    assert local._alive(pid)
    k.kill(); k.wait()  # SIGKILL: no atexit, no finally; only PR_SET_PDEATHSIG can stop the server
    assert gone(pid, 10), "server outlived its SIGKILLed parent"


@needs_model
def test_sigterm_stops_server_and_clears_state(tmp_path):
    code = """
        import sys
        from borg_llm.local import read_state, shared_server
        with shared_server(sys.argv[1], sys.argv[2]):
            print(read_state(sys.argv[1], sys.argv[2])["pid"], flush=True)
            sys.stdin.read()
    """
    k = child(code, tmp_path, TEST_MODEL)
    pid = int(k.stdout.readline())
    k.send_signal(signal.SIGTERM)
    assert k.wait(20) == 128 + signal.SIGTERM
    assert gone(pid, 5) and read_state(tmp_path, TEST_MODEL) is None


@needs_model
def test_serve_local_is_reused_and_not_stopped_by_analyses(tmp_path):
    k = child("import sys; from borg_llm.local import serve_local\nserve_local(state_dir=sys.argv[1], model=sys.argv[2])",
              tmp_path, TEST_MODEL)
    try:
        url = k.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        st = read_state(tmp_path, TEST_MODEL)
        assert st["started_by"] == "serve-local" and st["base_url"] == url
        with shared_server(tmp_path, TEST_MODEL) as url2:
            assert url2 == url
        assert served_models(url) == [TEST_MODEL]  # an analysis never stops a serve-local server
        with pytest.raises(LocalServerError, match="already running"):
            local.serve_local(state_dir=tmp_path, model=TEST_MODEL)
    finally:
        k.send_signal(signal.SIGTERM); rc = k.wait(20)
    assert rc == 0 and gone(st["pid"], 5) and read_state(tmp_path, TEST_MODEL) is None


# --- the catalogue: finding, assembling and verifying model files --------------------------------------------------

@pytest.fixture
def fake(tmp_path, monkeypatch):
    "A catalogue model 'fake' made of three small part files, and the folder its assembled file goes to."
    chunks = [b"GGUF" + bytes(range(256)) * 40, b"second part " * 500, b"end"]
    parts = []
    for i, b in enumerate(chunks): (p := tmp_path/f"part{i:02d}.bin").write_bytes(b); parts.append(p)
    whole = b"".join(chunks)
    m = MODELS[SMALLEST_MODEL].model_copy(update=dict(name="fake", extra="local-fake", size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(), parts=[Part(dist="fake", version="0", file=p.name) for p in parts]))
    monkeypatch.setitem(MODELS, "fake", m)
    real = catalogue.part_paths
    monkeypatch.setattr(catalogue, "part_paths", lambda model: parts if model.name == "fake" else real(model))
    return m, parts, whole, tmp_path/"models"


def hashes(monkeypatch) -> list:
    "Record every file `sha256_file` hashes."
    seen, real = [], catalogue.sha256_file
    monkeypatch.setattr(catalogue, "sha256_file", lambda p: seen.append(Path(p)) or real(p))
    return seen


def test_catalogue():
    assert DEFAULT_MODEL in MODELS and SMALLEST_MODEL == "smollm2-135m"
    for n, m in MODELS.items():
        assert m.name == n and len(m.sha256) == 64 and m.chat_format == "chatml" and m.license == "Apache-2.0"
        assert all(p.version.count(".") == 2 for p in m.parts)  # pinned
        r = load_roster(prompts_dir()/m.roster)
        assert {r[role].model for role in ROLES} == {n}
    assert len(MODELS["qwen2.5-coder-1.5b"].parts) == 22
    assert MODELS["qwen2.5-coder-0.5b"].parts[5].file.endswith("part06.bin")
    with pytest.raises(LocalUnavailable, match="choose one of smollm2-135m"): get_model("gpt-9")


def test_one_default_model():
    "Library calls that name no model use the CLI's default, the one README and `Settings.local_model` document."
    assert get_model().name == LocalServer().model == shared_server().model == DEFAULT_MODEL == "qwen2.5-coder-1.5b"


@pytest.mark.skipif(not catalogue.installed(DEFAULT_MODEL), reason="the default local model is not installed")
def test_missing_wheel_names_the_extra(monkeypatch):
    m = MODELS[DEFAULT_MODEL]
    real = importlib.metadata.distribution
    def dist(name):
        if name == m.parts[3].dist: raise importlib.metadata.PackageNotFoundError(name)
        return real(name)
    monkeypatch.setattr(importlib.metadata, "distribution", dist)
    with pytest.raises(LocalUnavailable) as e: catalogue.part_paths(m)
    msg = str(e.value)
    for s in ('pip install -e ".[local]"', f'".[{m.extra}]"', "OPENROUTER_API_KEY", "--dry-run", f"1 of its {len(m.parts)}"):
        assert s in msg
    assert "\n" not in msg and not catalogue.installed(m.name)


@pytest.mark.parametrize("hidden", ["llama_cpp", "uvicorn"])
def test_missing_server_is_one_line(monkeypatch, hidden):
    monkeypatch.setitem(sys.modules, hidden, None)  # importlib.util.find_spec returns None for it
    with pytest.raises(LocalUnavailable, match=r'llama-cpp-python\[server\]\) is not installed') as e:
        model_file(SMALLEST_MODEL)
    assert "\n" not in str(e.value) and not catalogue.installed(SMALLEST_MODEL)


def test_assembly_is_verified_and_atomic(fake, monkeypatch):
    m, parts, whole, d = fake
    seen = hashes(monkeypatch)
    out = model_file("fake", d)
    assert out == d/"fake.gguf" and out.read_bytes() == whole
    assert sorted(p.name for p in d.iterdir()) == ["fake.gguf", "fake.lock", "verified.json"]  # no temp file left
    assert json.loads((d/"verified.json").read_text())[str(out)]["sha256"] == m.sha256
    assert catalogue.install_status("fake", d) == dict(wheels=True, file=out, verified=True)
    n = len(seen)
    assert model_file("fake", d) == out and len(seen) == n  # verified by size and mtime: not hashed again
    os.utime(out, ns=(time.time_ns(), time.time_ns() + 10**9))  # touched: hashed again before it is loaded
    assert model_file("fake", d) == out and seen[n:] == [out]


def test_truncated_or_corrupted_file_is_assembled_again(fake, capsys):
    m, parts, whole, d = fake
    out = model_file("fake", d)
    for damage in (lambda f: f.truncate(100), lambda f: (f.seek(50), f.write(b"X"), f.seek(0, 2), f.write(b"!"))):
        with open(out, "r+b") as f: damage(f)
        assert catalogue.install_status("fake", d)["verified"] is False
        assert model_file("fake", d).read_bytes() == whole
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"expected {m.sha256}: assembling fake again" in err, err


def test_wrong_parts_are_never_loaded(fake):
    m, parts, whole, d = fake
    parts[1].write_bytes(parts[1].read_bytes()[:-1] + b"?")
    with pytest.raises(ModelChecksumError) as e: model_file("fake", d)
    msg = str(e.value)
    assert msg.startswith("local model fake: ") and f"expected {m.sha256}" in msg and "\n" not in msg
    assert 'pip install --force-reinstall -e ".[local-fake]"' in msg
    assert sorted(p.name for p in d.iterdir()) == ["fake.lock"]  # no file that could pass for the model


def test_interrupted_assembly_leaves_no_model(fake, monkeypatch):
    m, parts, whole, d = fake
    d.mkdir()
    (d/".fake.abc123.tmp").write_bytes(whole[:10])  # what a SIGKILLed assembly leaves behind
    def killed(fd): raise KeyboardInterrupt
    monkeypatch.setattr(catalogue.os, "fsync", killed)
    with pytest.raises(KeyboardInterrupt): model_file("fake", d)
    assert sorted(p.name for p in d.iterdir()) == ["fake.lock"]
    monkeypatch.undo()


def test_single_file_model_is_verified_in_place(fake, monkeypatch):
    m, parts, whole, d = fake
    sha = hashlib.sha256(parts[0].read_bytes()).hexdigest()
    one = m.model_copy(update=dict(name="one", parts=m.parts[:1], sha256=sha))
    monkeypatch.setitem(MODELS, "one", one)
    monkeypatch.setattr(catalogue, "part_paths", lambda model: parts[:1])
    assert model_file("one", d) == parts[0] and not (d/"one.gguf").exists()
    parts[0].write_bytes(b"GGUF corrupted")
    with pytest.raises(ModelChecksumError, match=f"local model one: {parts[0]} has SHA-256 .*, expected {one.sha256}"):
        model_file("one", d)


@pytest.mark.skipif(not catalogue.installed(DEFAULT_MODEL), reason="the default model's wheels are not installed")
def test_default_model_assembles_to_its_digest(tmp_path):
    "The real wheels of the default model, joined into a throwaway folder, give the pinned SHA-256."
    m = MODELS[DEFAULT_MODEL]
    out = model_file(DEFAULT_MODEL, tmp_path)
    assert out.stat().st_size == m.size and catalogue.sha256_file(out) == m.sha256
    assert not any(p.dist.replace("-", "_") in sys.modules for p in m.parts)  # found, never imported


# --- a mixed panel: one URL, one server per model ----------------------------------------------------------------

class Echo(Router):
    "A stand-in server answering every POST with its own name."
    def __init__(self, name): super().__init__({}); self.name = name
    async def _post(self, request):
        return web.json_response(dict(served_by=self.name, asked=(await request.json())["model"]))


def _post(url, model):
    import urllib.request
    req = urllib.request.Request(f"{url}/chat/completions", data=json.dumps(dict(model=model)).encode(),
                                 headers={"Content-Type": "application/json"})
    return json.load(serving._opener.open(req))


def test_local_servers_route_by_model(monkeypatch, tmp_path):
    echoes = {n: Echo(n).start() for n in ("smollm2-135m", "qwen2.5-coder-0.5b")}
    started = []
    class fake_server:
        def __init__(self, state_dir, model, **kw): self.model = model
        def __enter__(self): started.append(self.model); return echoes[self.model].base_url
        def __exit__(self, *exc): started.append(f"-{self.model}")
    monkeypatch.setattr(local, "shared_server", fake_server)
    try:
        with local_servers(["smollm2-135m"], tmp_path) as url: assert url == echoes["smollm2-135m"].base_url
        with local_servers(["smollm2-135m", "qwen2.5-coder-0.5b", "smollm2-135m"], tmp_path) as url:
            assert served_models(url) == ["smollm2-135m", "qwen2.5-coder-0.5b"]
            assert _post(url, "qwen2.5-coder-0.5b") == dict(served_by="qwen2.5-coder-0.5b", asked="qwen2.5-coder-0.5b")
            assert _post(url, "smollm2-135m")["served_by"] == "smollm2-135m"
            with pytest.raises(OSError, match="404"): _post(url, "meta-llama/llama-4-scout:free")
        assert served_models(url) is None  # the router stopped
        assert started == ["smollm2-135m", "-smollm2-135m", "smollm2-135m", "qwen2.5-coder-0.5b",
                           "-qwen2.5-coder-0.5b", "-smollm2-135m"]
        with pytest.raises(LocalUnavailable, match="unknown local model"): local_servers(["x"], tmp_path).__enter__()
    finally:
        for e in echoes.values(): e.stop()


async def test_router_serves_from_the_running_loop():
    "A Router is a LoopServer: `async with` serves it on the caller's event loop, and closes its session after."
    import aiohttp
    assert issubclass(Router, LoopServer)
    async with Router({"m": "http://127.0.0.1:9/v1"}) as r:
        async with aiohttp.ClientSession() as c, c.get(f"{r.base_url}/models") as resp:
            ids = [m["id"] for m in (await resp.json())["data"]]
        assert r.session is not None and not r.session.closed
    assert ids == ["m"] and r.session is None


# --- every answer complete: grammar bounds that fit max_tokens, tokens of a cut answer kept ------------------------

@pytest.mark.parametrize("budget", [200, 400, 600, 1500])
def test_grammar_bounds_fit_max_tokens(budget):
    for role, schema in ROLE_SCHEMAS.items():
        js = schema.model_json_schema()
        c, i = grammar_bounds(js, budget)
        assert answer_chars(grammar_schema(js, c, i)) <= budget * 3 or (c, i) == (30, 1), (role, budget, c, i)
    assert grammar_bounds(ROLE_SCHEMAS["business"].model_json_schema(), 1500) == (200, 4)


def test_grammar_bounds_follow_the_schema_not_its_names():
    leaf = {"type": "object", "properties": {"w": {"type": "string"}, "n": {"type": "integer", "maximum": 10}}}
    arr = {"type": "array", "items": {"$ref": "#/$defs/L"}}
    one = {"type": "object", "properties": {"a": arr}, "$defs": {"L": leaf}}
    two = {**one, "properties": {**one["properties"], "b": {"type": "array", "items": {"$ref": "#/$defs/L"}}}}
    assert answer_chars(grammar_schema(one, 200, 4)) < answer_chars(grammar_schema(two, 200, 4))
    assert grammar_bounds(two, 300) < grammar_bounds(one, 300)  # a grown schema gets tighter bounds


class Cut(Router):
    "A server whose every answer is cut at max_tokens (finish_reason 'length'), with its usage."
    def __init__(self): super().__init__({}); self.bodies = []
    async def _post(self, request):
        b = await request.json(); self.bodies.append(b)
        return web.json_response(dict(id="x", object="chat.completion", created=0, model=b["model"], choices=[dict(
            index=0, finish_reason="length", message=dict(role="assistant", content='{"architecture_assessment": "A'))],
            usage=dict(prompt_tokens=100, completion_tokens=b["max_tokens"], total_tokens=100 + b["max_tokens"])))


async def test_cut_answer_keeps_its_tokens_and_is_asked_again_with_more_room(settings, fresh_limiter):
    roster = load_roster(prompts_dir()/"roster.local.toml")
    with Cut() as srv:
        async with Panel(settings(srv), roster, cache="off") as p:
            c = await p.ask("architect", [{"role": "user", "content": "Review it."}])
    assert c.status == "failed" and "IncompleteOutputException" in c.error
    assert [b["max_tokens"] for b in srv.bodies] == [400, 800]
    assert (c.prompt_tokens, c.completion_tokens, c.attempts) == (200, 1200, 2)


def test_bounded_integers_become_enums():
    "llama-cpp-python's grammar ignores minimum/maximum: a 0-10 score is sent as an enum, so 11 cannot be generated."
    g = grammar_schema(ROLE_SCHEMAS["business"].model_json_schema())
    assert g["properties"]["market_viability"]["enum"] == list(range(11))
    assert "enum" not in grammar_schema({"type": "integer", "minimum": 0})  # unbounded: left alone


def test_model_replaced_with_same_size_and_time_is_hashed_again(fake, monkeypatch):
    "A verified file replaced by one of the same size, its modification time set back: its change time gives it away."
    m, parts, whole, d = fake
    out = model_file("fake", d)
    st = out.stat()
    out.write_bytes(bytes(255 - c for c in whole)); os.utime(out, ns=(st.st_atime_ns, st.st_mtime_ns))
    seen = hashes(monkeypatch)
    assert model_file("fake", d).read_bytes() == whole and out in seen  # hashed, found wrong, assembled again


def test_taken_port_is_one_line_before_the_model_is_read(tmp_path, monkeypatch):
    import socket
    monkeypatch.setattr(local, "model_file", lambda name: pytest.fail("the model was read"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); s.listen()
        with pytest.raises(LocalServerError, match=rf"^port {s.getsockname()[1]} on 127.0.0.1 is in use: choose another"):
            LocalServer(SMALLEST_MODEL, port=s.getsockname()[1], state_dir=tmp_path).spawn()


def test_server_gone_during_the_run_is_one_line(tmp_path):
    "A reused server that stops while the block runs: the block ends with a `LocalServerError` (an `OSError`)."
    srv = child("import time; time.sleep(60)")
    async def models(request): return web.json_response(dict(data=[dict(id=SMALLEST_MODEL)]))
    class Fake(LoopServer):
        def app(self):
            a = web.Application(); a.router.add_get("/v1/models", models)
            return a
    with Fake() as f:
        st = dict(pid=srv.pid, alias=SMALLEST_MODEL, base_url=f"http://127.0.0.1:{f.port}/v1", started_by="analysis",
                  clients=[])
        (tmp_path/f"server-{SMALLEST_MODEL}.json").write_text(json.dumps(st))
        with pytest.raises(LocalServerError, match="stopped during the run: run the same command again") as e:
            with shared_server(tmp_path, SMALLEST_MODEL): srv.kill(); srv.wait()
    assert isinstance(e.value, OSError) and "\n" not in str(e.value)
