"The `borg-llm` command line: output, exit statuses, bad input, backends, secrets."
import json, os, re, signal, subprocess, sys, time
from pathlib import Path
import psutil
import pytest
from borg_llm import catalogue, local
from borg_llm.cli import main, local_notice
from borg_llm.config import Settings
from conftest import KEY

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT/"data"/"samples").glob("*.json"))
REPOS = ROOT/"data"/"repos"
SCRIPT = Path(sys.executable).parent/"borg-llm"
pytestmark = pytest.mark.usefixtures("fresh_limiter")


@pytest.fixture
def env(srv, tmp_path, monkeypatch):
    "The stand-in as the endpoint, a throwaway cache, no key."
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    for k, v in dict(BORG_LLM_BASE_URL=srv.base_url, BORG_LLM_CACHE_DIR=str(tmp_path/"cache"), BORG_LLM_RPM="1000",
                     BORG_LLM_RATE_WINDOW_S="1").items(): monkeypatch.setenv(k, v)
    return srv

def cli(capsys, *argv):
    "Run main in-process: (exit status, stdout, stderr)."
    code = main([str(a) for a in argv])
    o = capsys.readouterr()
    return code, o.out, o.err

def run(*argv, env=None, timeout=60, **kw):
    "Run a command in a subprocess with `env` added to the environment."
    e = {k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY"}
    return subprocess.run([str(a) for a in argv], env={**e, **(env or {})}, capture_output=True, text=True, timeout=timeout, **kw)

def one_line_error(er:str):
    assert er.endswith("\n") and er.count("\n") == 1, repr(er)
    assert "Traceback" not in er


# --- output and exit statuses ---------------------------------------------------------------------------------

def test_analyze_prints_summary_and_writes_json(env, tmp_path, capsys):
    out = tmp_path/"r.json"
    code, so, er = cli(capsys, "analyze", REPOS/"tinyhttp-py", "--out", out)
    assert (code, er) == (0, "")
    a = json.loads(out.read_text())
    assert set(a["llm_results"]) == {"architect_analysis", "deployment_analysis", "business_analysis", "aggregated_insights", "metadata"}
    m = a["llm_results"]["metadata"]
    assert m["status"] == "ok" and m["project"] == "tinyhttp-py" and m["api_calls"] == 4
    assert so.startswith("tinyhttp-py\nVerdict: ") and so.endswith(f"Result: {out}\n")
    for s in ("Scores: market viability", "Roles:", "meta-llama/llama-4-scout:free", "Time ", "tokens ", "cost $", "status ok"): assert s in so
    if a["llm_results"]["deployment_analysis"]["deployment_blockers"]: assert "Blockers:\n  [" in so

def test_default_out_and_stdout(env, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, so, _ = cli(capsys, "analyze", SAMPLES[0], "--dry-run")
    name = json.loads(SAMPLES[0].read_text())["name"]
    assert code == 0 and (tmp_path/f"{name}.borg.json").is_file() and so.endswith(f"Result: {name}.borg.json\n")
    code, so, er = cli(capsys, "analyze", SAMPLES[0], "--dry-run", "--out", "-")
    assert code == 0 and json.loads(so)["llm_results"]["metadata"]["dry_run"] and er.startswith(name)

def test_facts_merged(env, tmp_path, capsys):
    (tmp_path/"f.json").write_text(json.dumps({"code_analysis": {"quality_score": 9.5}}))
    code, _, _ = cli(capsys, "analyze", REPOS/"snake-toy", "--facts", tmp_path/"f.json", "--out", tmp_path/"r.json", "--dry-run")
    a = json.loads((tmp_path/"r.json").read_text())
    assert code == 0 and "9.5/10" in a["llm_results"]["architect_analysis"]["architecture_assessment"]

def test_prompt_and_model_overrides(env, tmp_path, capsys):
    code, _, _ = cli(capsys, "analyze", SAMPLES[0], "--out", tmp_path/"r.json", "--prompt", "architect=architect-zeroshot",
                     "--model", "business=qwen/qwen3-14b:free", "--no-cache")
    m = json.loads((tmp_path/"r.json").read_text())["llm_results"]["metadata"]
    assert code == 0 and m["roles"]["architect"]["prompt"] == "architect-zeroshot"
    assert m["roles"]["business"]["model_answered"] == "qwen/qwen3-14b:free"  # models_used: a list, in role order

def test_cache_refresh_no_cache(env, tmp_path, capsys):
    args = ["analyze", SAMPLES[2], "--out", tmp_path/"r.json"]
    assert cli(capsys, *args)[0] == 0 and len(env.stats.chat) == 4
    assert cli(capsys, *args)[0] == 0 and len(env.stats.chat) == 4  # all four from the cache
    assert json.loads((tmp_path/"r.json").read_text())["llm_results"]["metadata"]["cache_hits"] == 4
    assert cli(capsys, *args, "--refresh")[0] == 0 and len(env.stats.chat) == 8
    assert cli(capsys, *args, "--no-cache")[0] == 0 and len(env.stats.chat) == 12

def test_call_log_and_key(srv, tmp_path, capsys, monkeypatch):
    "--log writes one line per call; prompts only with --log-prompts; the key is never written or printed."
    monkeypatch.setenv("BORG_LLM_BASE_URL", srv.base_url); monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    monkeypatch.setenv("BORG_LLM_CACHE_DIR", str(tmp_path/"cache"))
    code, so, er = cli(capsys, "analyze", SAMPLES[0], "--out", tmp_path/"r.json", "--log", tmp_path/"calls.jsonl", "--no-cache")
    recs = [json.loads(l) for l in (tmp_path/"calls.jsonl").read_text().splitlines()]
    assert code == 0 and len(recs) == 4 and not any("messages" in r for r in recs)
    assert {r["role"] for r in recs} == {"architect", "deployment", "business", "aggregator"}
    code, so2, er2 = cli(capsys, "analyze", SAMPLES[0], "--out", tmp_path/"r.json", "--log", tmp_path/"p.jsonl", "--log-prompts")
    assert all(r["messages"] for r in map(json.loads, (tmp_path/"p.jsonl").read_text().splitlines()))
    assert KEY not in so + er + so2 + er2
    for f in tmp_path.rglob("*"):
        if f.is_file(): assert KEY.encode() not in f.read_bytes(), f
    assert all(r.headers["authorization"] == "<redacted>" for r in srv.stats.chat)  # it was sent, to the server only


# --- bad input: one line, exit 2 ------------------------------------------------------------------------------

def _bad_inputs(tmp:Path) -> dict:
    "name -> argv, each bad input in its own way."
    (tmp/"file.txt").write_text("not a project")
    (tmp/"empty").mkdir()
    (tmp/"onlyignored").mkdir(); (tmp/"onlyignored"/".env").write_text("A=1")
    (tmp/"malformed.json").write_text('{"name": "x", ')
    (tmp/"list.json").write_text("[1, 2]")
    (tmp/"binary.json").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    (tmp/"latin1.json").write_bytes('{"name": "caf\xe9"}'.encode("latin-1"))
    (tmp/"loop").symlink_to(tmp/"loop")
    (tmp/"a").symlink_to(tmp/"b"); (tmp/"b").symlink_to(tmp/"a")
    (tmp/"roster-bad.toml").write_text("[architect\nmodel = 1")
    (tmp/"roster-wrong.toml").write_text('[architect]\nmodel = "x"\ncolour = "red"\n')
    ok = str(SAMPLES[0])
    return {"missing path": ["analyze", tmp/"nowhere"], "file not directory": ["analyze", tmp/"file.txt"],
            "empty directory": ["analyze", tmp/"empty"], "only secret files": ["analyze", tmp/"onlyignored"],
            "malformed facts": ["analyze", tmp/"malformed.json"], "facts not an object": ["analyze", tmp/"list.json"],
            "binary facts": ["analyze", tmp/"binary.json"], "non-UTF-8 facts": ["analyze", tmp/"latin1.json"],
            "malformed --facts": ["analyze", REPOS/"snake-toy", "--facts", tmp/"malformed.json"],
            "missing --facts": ["analyze", REPOS/"snake-toy", "--facts", tmp/"nope.json"],
            "symlink loop": ["analyze", tmp/"loop"], "symlink cycle": ["analyze", tmp/"a"],
            "malformed roster": ["analyze", ok, "--roster", tmp/"roster-bad.toml"],
            "invalid roster": ["analyze", ok, "--roster", tmp/"roster-wrong.toml"],
            "missing roster": ["analyze", ok, "--roster", tmp/"nope.toml"],
            "unknown role": ["analyze", ok, "--model", "designer=x/y"], "bad --model": ["analyze", ok, "--model", "x/y"],
            "unknown prompt": ["analyze", ok, "--prompt", "architect=nope"], "prompt role": ["analyze", ok, "--prompt", "ceo=architect"],
            "batch missing path": ["batch", ok, tmp/"nowhere", "--out", tmp/"o"], "batch no --out": ["batch", ok],
            "batch concurrency": ["batch", ok, "--out", tmp/"o", "--concurrency", "0"],
            "batch unknown prompt": ["batch", ok, "--out", tmp/"o", "--prompt", "business=nope"],
            "roster check bad roster": ["check-roster", "--roster", tmp/"roster-bad.toml"],
            "no command": [], "unknown command": ["frobnicate"], "unknown option": ["analyze", ok, "--colour"],
            "bad stand-in rate": ["stand-in", "--rate", "fast"]}

def test_bad_input_in_process(env, tmp_path, capsys):
    for name, argv in _bad_inputs(tmp_path).items():
        code, so, er = cli(capsys, *argv)
        assert (code, so) == (2, ""), (name, code, so, er)
        one_line_error(er)
    assert not env.stats.chat  # nothing was sent

def test_bad_env_setting(env, capsys, monkeypatch):
    monkeypatch.setenv("BORG_LLM_RPM", "0")
    code, so, er = cli(capsys, "analyze", SAMPLES[0])
    assert code == 2 and er == "borg-llm: invalid BORG_LLM_RPM: Input should be greater than or equal to 1\n"

@pytest.mark.parametrize("how", ["script", "module"])
def test_bad_input_subprocess_no_traceback(srv, tmp_path, how):
    bad = _bad_inputs(tmp_path)
    cmd = [SCRIPT] if how == "script" else [sys.executable, "-m", "borg_llm.cli"]
    env = dict(BORG_LLM_BASE_URL=srv.base_url, BORG_LLM_CACHE_DIR=str(tmp_path/"cache"))
    names = ("missing path", "empty directory", "symlink loop", "bad --model") if how == "module" else \
            ("file not directory", "malformed facts", "unknown role", "malformed roster", "unknown prompt")
    for name in names:
        p = run(*cmd, *bad[name], env=env)
        assert (p.returncode, p.stdout) == (2, ""), (name, p.returncode, p.stderr)
        one_line_error(p.stderr)
        assert p.stderr.startswith("borg-llm"), p.stderr

def test_no_key_no_local_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False); monkeypatch.delenv("BORG_LLM_BASE_URL", raising=False)
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # as if the local extra were not installed
    code, so, er = cli(capsys, "analyze", SAMPLES[0])
    assert (code, so) == (2, "")
    one_line_error(er)
    for s in ('pip install -e ".[local]"', "OPENROUTER_API_KEY", "--dry-run"): assert s in er
    assert cli(capsys, "analyze", SAMPLES[0], "--dry-run", "--out", tmp_path/"r.json")[0] == 0  # needs no backend
    assert cli(capsys, "serve-local")[0] == 2


# --- help, roster, cache, stand-in ----------------------------------------------------------------------------

def test_help_lists_environment(capsys):
    code, so, _ = cli(capsys, "--help")
    assert code == 0
    for f in Settings.model_fields: assert ("OPENROUTER_API_KEY" if f == "api_key" else f"BORG_LLM_{f.upper()}") in so
    for c in ("analyze", "batch", "check-roster", "cache", "serve-local", "models", "stand-in", "exit status"): assert c in so
    code, so, _ = cli(capsys, "analyze", "--help")
    for s in ("--facts", "--out", "--dry-run", "--no-cache", "--refresh", "--model", "--prompt", "--roster", "--log-prompts",
              "--local-model",
              "BORG_LLM_RPM"): assert s in so

def test_check_roster_missing_fallback_warns(env, tmp_path, capsys):
    "A fallback the endpoint does not serve is a one-line warning, not a failure."
    text = (ROOT/"prompts"/"roster.toml").read_text()
    (tmp_path/"fb.toml").write_text(text.replace('"google/gemma-3-27b-it:free"', '"google/gone:free"'))
    code, so, er = cli(capsys, "check-roster", "--roster", tmp_path/"fb.toml")
    assert code == 0 and er.startswith("borg-llm: warning: fallback") and "google/gone:free" in er
    one_line_error(er)

def test_stand_in_command():
    p = subprocess.Popen([SCRIPT, "stand-in", "--rate", "60/3", "--latency", "0.01"], stdout=subprocess.PIPE, text=True)
    try:
        url = p.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/v1", url), url
        import urllib.request
        with urllib.request.urlopen(url + "/key", timeout=5) as r: assert json.load(r)["data"]["rate_limit"]["requests"] == 60
    finally:
        p.terminate(); p.wait(10); p.stdout.close()


# --- secrets ----------------------------------------------------------------------------------------------------

SECRETS = {"aws key id": "AKIAQX4VLBJ7ZK3TQW2N", "aws secret": "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",
           "private key body": "MIIEowIBAAKCAQEAx7Vq3kTzN9bW2mPlQ8rYfG5uHcJ0dLsE4aK1iOvXn6Bt",
           "dotenv password": "S3cr3t-Pa55w0rd-Db", "stripe": "sk_live_51HxQ2LkZ9vT3mN8pR4sW6yB0cF7gJ1hK",
           "github token": "ghp_4f9KzLq2Vx8NcR7tY1mW3pB6hJ0sD5aE9uGi"}

def planted_repo(d:Path) -> Path:
    "A small Python project with secrets in the usual wrong places."
    S = SECRETS
    (d/"config").mkdir(parents=True); (d/"src"/"app").mkdir(parents=True); (d/"tests").mkdir()
    (d/"README.md").write_text("# planted\n\nA web service. Deploy with:\n\n"
                               f"    export AWS_ACCESS_KEY_ID={S['aws key id']}\n    export AWS_SECRET_ACCESS_KEY={S['aws secret']}\n")
    (d/"config"/"settings.yaml").write_text(f"aws:\n  access_key_id: {S['aws key id']}\n  secret_access_key: {S['aws secret']}\n")
    (d/"deploy_key.pem").write_text(f"-----BEGIN RSA PRIVATE KEY-----\n{S['private key body']}\n-----END RSA PRIVATE KEY-----\n")
    (d/"id_rsa").write_text(f"-----BEGIN OPENSSH PRIVATE KEY-----\n{S['private key body']}\n-----END OPENSSH PRIVATE KEY-----\n")
    (d/".env").write_text(f"DATABASE_URL=postgres://app:{S['dotenv password']}@db:5432/app\nSTRIPE_KEY={S['stripe']}\n")
    (d/"src"/"app"/"main.py").write_text(f'GITHUB_TOKEN = "{S["github token"]}"\n\ndef main():\n    return 0\n')
    (d/"pyproject.toml").write_text(f'[project]\nname = "planted"\ndependencies = ["flask", "boto3"]\n# token {S["github token"]}\n')
    (d/"tests"/"test_app.py").write_text("def test_ok():\n    assert True\n")
    return d

def test_planted_secrets_never_sent(env, tmp_path, capsys):
    repo = planted_repo(tmp_path/"planted")
    code, so, er = cli(capsys, "analyze", repo, "--out", tmp_path/"r.json", "--no-cache")
    assert code == 0, er
    sent = env.stats.bodies_text()
    assert len(env.stats.chat) == 4 and "planted" in sent and "flask" in sent
    for what, s in SECRETS.items(): assert s not in sent, what
    text = (tmp_path/"r.json").read_text() + so + er
    for what, s in SECRETS.items(): assert s not in text, what
    assert json.loads((tmp_path/"r.json").read_text())["llm_results"]["metadata"]["redactions"] >= 3


# --- the local model, started and stopped by analyze --------------------------------------------------------------

def _llama_on(port:int) -> list:
    return [p for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] and "--port" in p.info["cmdline"]
            and str(port) in p.info["cmdline"] and any("llama" in a for a in p.info["cmdline"])]

# SmolLM2 when installed (the quickest), chosen through BORG_LLM_LOCAL_MODEL; else the default model.
RUN_MODEL = next((n for n in (catalogue.SMALLEST_MODEL, catalogue.DEFAULT_MODEL) if catalogue.installed(n)), None)

@pytest.mark.skipif(RUN_MODEL is None, reason='no local model installed (pip install -e ".[local]")')
def test_local_backend_auto_start(tmp_path):
    "No key, no BORG_LLM_BASE_URL: the local model is started, announced once, named in the output, and stopped."
    env = dict(XDG_CACHE_HOME=str(tmp_path/"xdg"), BORG_LLM_CACHE_DIR=str(tmp_path/"cache"),
               BORG_LLM_LOCAL_MODEL=RUN_MODEL)  # a private server state dir; the model chosen through the environment
    e = {k: v for k, v in os.environ.items() if k not in ("OPENROUTER_API_KEY", "BORG_LLM_BASE_URL")}
    t0 = time.monotonic()
    p = subprocess.Popen([str(SCRIPT), "analyze", str(ROOT/"data"/"samples"/"snake-toy.json"), "--out", str(tmp_path/"r.json")],
                         env={**e, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try: so, er = p.communicate(timeout=600)  # ~45 s (SmolLM2) on 2 idle cores; much longer on a busy machine
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGINT); so, er = p.communicate(timeout=60)  # Ctrl-C: the CLI stops its server
        pytest.fail(f"local analysis still running after 600 s (load average {os.getloadavg()})")
    secs = time.monotonic() - t0
    assert er.count(local_notice([catalogue.MODELS[RUN_MODEL]])) == 1 and er.count("small offline model") == 1, er
    assert RUN_MODEL in so and Path(tmp_path/"r.json").is_file(), (so, er)
    m = json.loads((tmp_path/"r.json").read_text())["llm_results"]["metadata"]
    assert {r["model_asked"] for r in m["roles"].values()} == {RUN_MODEL}
    state = tmp_path/"xdg"/"borg_llm"/"local"
    logs = list(state.glob(f"server-{RUN_MODEL}-*.log"))
    assert len(logs) == 1 and local.read_state(state, RUN_MODEL) is None
    port = int(logs[0].stem.rsplit("-", 1)[1])
    deadline = time.monotonic() + 10
    while _llama_on(port) and time.monotonic() < deadline: time.sleep(0.2)
    assert not _llama_on(port) and local.served_models(f"http://127.0.0.1:{port}/v1") is None  # no server left behind
    print(f"local analysis: {secs:.1f} s, status {m['status']}")
    assert p.returncode == 0 and m["status"] == "ok", (p.returncode, so)


# --- choosing local models: --local-model, BORG_LLM_LOCAL_MODEL, rosters, `models` ---------------------------------

@pytest.mark.parametrize("how", ["env", "roster", "serve-local"])  # --local-model: in the notebook
def test_unknown_local_model_is_one_line(how, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False); monkeypatch.delenv("BORG_LLM_BASE_URL", raising=False)
    (tmp_path/"r.toml").write_text((ROOT/"prompts"/"roster.toml").read_text())  # OpenRouter ids, no key
    args = dict(env=("analyze", SAMPLES[0]),
                roster=("analyze", SAMPLES[0], "--roster", tmp_path/"r.toml"),
                **{"serve-local": ("serve-local", "--model", "gpt-9")})[how]
    if how == "env": monkeypatch.setenv("BORG_LLM_LOCAL_MODEL", "gpt-9")
    code, so, er = cli(capsys, *args)
    assert (code, so) == (2, ""), er
    one_line_error(er)
    want = "is not a local model" if how == "roster" else "unknown local model 'gpt-9': choose one of smollm2-135m"
    assert want in er


def test_models_command(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # an empty models folder: nothing assembled or verified here
    code, so, er = cli(capsys, "models")
    assert (code, er) == (0, "")
    rows = {l.split()[0]: l.split() for l in so.splitlines()[1:] if l.split()[0] in catalogue.MODELS}
    starred = [n for n, r in rows.items() if r[1] == "*"]
    rows = {n: [v for v in r if v != "*"] for n, r in rows.items()}  # model size wheels file verified ...
    assert set(rows) == set(catalogue.MODELS) and starred == [catalogue.DEFAULT_MODEL]
    q15 = rows["qwen2.5-coder-1.5b"]
    assert q15[3] == ("yes" if catalogue.installed("qwen2.5-coder-1.5b") else "no") and q15[4:6] == ["-", "no"]
    assert "bench/bench_local.py" in so


# --- a damaged machine: one line each (the whole matrix is tests/test_env_faults.py) -------------------------

def test_damaged_cache_entry_is_one_line_and_asked_again(env, tmp_path, capsys):
    "The command line prints what borg_llm logs on the way as one `borg-llm:` line: a damaged entry, asked again."
    cli(capsys, "analyze", SAMPLES[0], "--out", tmp_path/"r.json")
    pkl = sorted((tmp_path/"cache").rglob("output.pkl"))[0]
    b = pkl.read_bytes(); pkl.write_bytes(b[:len(b)//2] + bytes(len(b) - len(b)//2))  # half of it overwritten
    code, so, er = cli(capsys, "analyze", SAMPLES[0], "--out", tmp_path/"r.json")
    one_line_error(er)
    assert code == 0 and er.startswith(f"borg-llm: answer cache entry {pkl.parent}: its output.pkl does not load")
    assert json.loads((tmp_path/"r.json").read_text())["llm_results"]["metadata"]["api_calls"] == 1
    assert cli(capsys, "analyze", SAMPLES[0], "--out", tmp_path/"r.json")[2] == ""  # written anew

def test_full_disk_is_one_line_exit_1(env, tmp_path, capsys, monkeypatch):
    "An `OSError` of the machine (a full disk) ends the command with one line naming the file and what to do."
    import borg_llm.batch
    def full(path, obj): raise OSError(28, "No space left on device", str(path))
    monkeypatch.setattr(borg_llm.batch, "write_json", full)
    code, so, er = cli(capsys, "analyze", SAMPLES[0], "--dry-run", "--out", tmp_path/"r.json")
    one_line_error(er)
    assert (code, so) == (1, "") and er == (f"borg-llm: {tmp_path/'r.json'}: No space left on device: free some "
                                            "space, then run the same command again\n")
    monkeypatch.undo()
    code, so, er = cli(capsys, "analyze", SAMPLES[0], "--dry-run", "--out", tmp_path/"no"/"r.json")  # bad input still
    assert code == 2 and er.startswith("borg-llm: cannot write")
