"""borg_llm.facts: secrets never leave, .gitignore and skip rules, bounds, odd files, bad inputs, merging, samples."""
import json, os, sys, time
from pathlib import Path
from types import SimpleNamespace
import pytest
import borg_llm.facts as F
from borg_llm.facts import FactsError, collect_facts, load_scanner_facts, merge_facts, redact

ROOT = Path(__file__).resolve().parent.parent

# Fake secrets, assembled at run time so this file does not look like a leak to secret scanners.
AKIA = "AKIA" + "Z3MSJV4WWNKWW5FG"
GHP = "ghp_" + "8Kd2mQx7LpR4vT9nW3cY6bZ1hF5gJ0sAeUiO"
PEM_BODY = ["MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi1k1Ma8tWbHYAHPXtOH1sUoHrN",
            "Zz2Rv1aXoQ0eJ7pH4rTn6cW9yK2bM5dF8gL3sV0uQ1wE4tY7iR2oP5aS8dG1hJ6k"]
PEM = "\n".join(["-----BEGIN RSA " + "PRIVATE KEY-----", *PEM_BODY, "-----END RSA PRIVATE KEY-----"])
DB_PASS = "Tr0ub4dor-and-3"
SECRETS = [AKIA, GHP, *PEM_BODY, DB_PASS, "hunter2-prod", "xoxb-dont-leak"]

def write(root:Path, files:dict) -> Path:
    for rel, content in files.items():
        p = root/rel; p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content) if isinstance(content, bytes) else p.write_text(content)
    return root

def rels(root, **kw) -> list[str]:
    return [r for r, _, _ in F._Walk(str(root), kw.get("max_files", 10_000), time.monotonic() + 30).run().files]

@pytest.fixture
def planted(tmp_path) -> Path:
    "A small project with secrets planted where they are usually found."
    return write(tmp_path/"planted", {
        "README.md": f"# planted\n\nLocal database: postgres://app:{DB_PASS}@localhost:5432/planted\n\nRun `make dev`.\n",
        "config.yaml": f"aws:\n  access_key_id: {AKIA}\n  region: eu-west-1\n",
        "deploy/id_rsa": PEM + "\n",
        "deploy/server.pem": PEM + "\n",
        ".env": "DB_PASSWORD=hunter2-prod\nSLACK_TOKEN=xoxb-dont-leak\n",
        "app/settings.py": f'GITHUB_TOKEN = "{GHP}"\nDEBUG = False\n',
        "requirements.txt": f"flask>=3\nprivate-lib @ git+https://{GHP}@github.com/acme/private-lib.git\n",
        "package.json": json.dumps({"name": "planted", "dependencies": {"left-pad": "^1.3.0",
                                   "internal": f"git+https://x-access-token:{GHP}@github.com/acme/internal.git"}}),
    })

# --- secrets ---------------------------------------------------------------------------------------------------------

def test_planted_secrets_never_in_facts(planted):
    facts = collect_facts(planted)
    blob = json.dumps(facts)
    for s in SECRETS: assert s not in blob, s
    assert facts["skipped"]["secret_files"] == 3  # .env, id_rsa, server.pem: never opened
    assert facts["redactions"] >= 3  # README connection string, token in requirements.txt and in package.json
    assert "[REDACTED:Basic Auth Credentials]" in facts["readme_excerpt"]
    assert facts["key_files"]["manifests"]["requirements.txt"] == ["flask", "private-lib"]
    assert facts["key_files"]["manifests"]["package.json"] == ["left-pad", "internal"]
    assert "config.yaml" in facts["tree"] and "app/ (1 file)" in facts["tree"]

def test_secret_files_are_never_opened(planted, monkeypatch):
    opened = []
    real = F._read_head
    monkeypatch.setattr(F, "_read_head", lambda p, n: opened.append(Path(p).name) or real(p, n))
    collect_facts(planted)
    assert opened and not {".env", "id_rsa", "server.pem"} & set(opened)

def test_planted_file_contents_would_be_caught():
    "The files collect_facts does not send are still caught if their text is ever redacted."
    text, n = redact(f"aws:\n  access_key_id: {AKIA}\n" + f'GITHUB_TOKEN = "{GHP}"\n' + PEM)
    for s in [AKIA, GHP, *PEM_BODY]: assert s not in text
    assert n == 3 and "[REDACTED:AWS Access Key]" in text and "[REDACTED:GitHub Token]" in text

@pytest.mark.parametrize("line,secret,kind", [
    ("DATABASE_URL=postgres://user:pa55word@db.internal:5432/app", "pa55word", "Basic Auth Credentials"),
    ('password = "hunter2"', "hunter2", "Secret Keyword"),
    ("PASSWORD: hunter2", "hunter2", "Secret Keyword"),
    ("export API_KEY=9f8e7d6c5b4a3928", "9f8e7d6c5b4a3928", "Secret Keyword"),
    (f"token: {GHP}", GHP, "GitHub Token"),
    (f"aws_access_key_id = {AKIA}", AKIA, "AWS Access Key"),
    ("slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "xoxb-123456789012", "Slack Token"),
    ("stripe: " + "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc", "Stripe Access Key"),
    ("auth eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
     "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "JSON Web Token"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG", "[REDACTED:"),
    ("client_token: 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg'", "Zm9vYmFyYmF6cXV4MTIzNDU2", "High Entropy String"),
    ("curl https://api.example.com/v1/items?token=Zx8Qm2Lp9Rt4Vw7Ys1Nb6Kc3Hd5", "Zx8Qm2Lp9Rt4", "High Entropy String"),
    ("https://hooks.slack.com/services/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", "q8Wz5Xr2Lm7Np4", "Slack Token"),
])
def test_redact_catches(line, secret, kind):
    text, n = redact(line)
    assert secret not in text and n == 1 and kind in text, text
    assert redact(text) == (text, 0)  # placeholders are not secrets themselves

def test_redact_private_key_block_whole():
    text, n = redact(f"before\nkey: |\n  {PEM.replace(chr(10), chr(10) + '  ')}\nafter: yes\n")
    assert n == 1 and text == "before\nkey: |\n  [REDACTED:Private Key]\nafter: yes\n"
    one_line = json.dumps({"private_key": PEM, "project": "x"})  # a JSON service-account file keeps it on one line
    text, n = redact(one_line)
    assert n == 1 and all(s not in text for s in PEM_BODY) and '"project": "x"' in text
    text, n = redact("-----BEGIN OPENSSH " + "PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n")  # cut off: to the end
    assert n == 1 and "b3BlbnNz" not in text

@pytest.mark.parametrize("text", [
    "Install with `pip install tinyhttp-py`, then run `tinyhttp serve --port 8000`.",
    "[![CI](https://github.com/acme/tinyhttp-py/actions/workflows/ci.yml/badge.svg)](https://github.com/acme/tinyhttp-py)",
    "The password is read from LEDGERD_DB_PASSWORD; set it in your shell.",
    "password: ${DB_PASSWORD}\napi_key = os.environ['API_KEY']\nsecret: true",
    'LEDGERD_DSN="postgres://ledgerd@localhost:5432/ledgerd?sslmode=disable"',
    "![logo](https://github.com/jupytext/jupytext/blob/17aea37c612f33a4e27eeee4b81966f1506920fd/docs/images/logo.png)",
    "See [CONTRIBUTING.md](https://github.com/python/typing_extensions/blob/main/CONTRIBUTING.md)",
    "", "\n\n",
])
def test_redact_leaves_ordinary_text(text):
    assert redact(text) == (text, 0)

def test_readme_secret_straddling_the_cut(tmp_path):
    "A secret cut by the excerpt's length is redacted before the cut, so no fragment of it is sent."
    pre = "x" * 1480 + "\n"
    write(tmp_path/"p", {"README.md": pre + f"postgres://app:{DB_PASS}@db/x\n"})
    ex = collect_facts(tmp_path/"p")["readme_excerpt"]
    assert len(ex) <= 1500 and DB_PASS[:5] not in ex

def test_symlink_to_secret_file_not_opened(tmp_path):
    write(tmp_path/"p", {"main.py": "print(1)\n", ".env": "DB_PASSWORD=hunter2-prod\n"})
    (tmp_path/"p"/"README.md").symlink_to(tmp_path/"p"/".env")
    f = collect_facts(tmp_path/"p")
    assert f["skipped"]["secret_files"] == 2 and "hunter2" not in json.dumps(f)

# --- what is walked --------------------------------------------------------------------------------------------------

def test_gitignore_root_and_nested(tmp_path):
    root = write(tmp_path/"p", {
        ".gitignore": "*.log\n/out/\nsecret-notes.md\n",
        "app.log": "x", "out/result.txt": "x", "src/out/kept.txt": "x", "src/main.py": "x\n",
        "src/.gitignore": "generated/\n*.tmp\n!keep.tmp\n",
        "src/generated/big.py": "x\n", "src/a.tmp": "x", "src/keep.tmp": "x", "src/deep/b.tmp": "x",
        "docs/secret-notes.md": "x", "docs/index.md": "x"})
    got = rels(root)
    assert set(got) == {".gitignore", "src/.gitignore", "src/out/kept.txt", "src/main.py", "src/keep.tmp",
                        "docs/index.md"}
    assert collect_facts(root)["skipped"]["ignored"] == 6  # app.log, out/, secret-notes.md, generated/, a.tmp, b.tmp

def test_skip_dirs_pruned(tmp_path):
    files = {"main.py": "x\n"}
    for d in [".git", "node_modules/pkg", ".venv/lib", "venv", "__pycache__", "dist", "build", "target", ".tox",
              ".mypy_cache", "pkg.egg-info", "sub/node_modules"]:
        files[f"{d}/f.py"] = "x\n"
    files["pyenv311/pyvenv.cfg"] = "home = /usr/bin\n"; files["pyenv311/lib/site.py"] = "x\n"  # a venv by any name
    files["config/env/prod.py"] = "DEBUG = False\n"  # a directory called env that is not a venv is kept
    root = write(tmp_path/"p", files)
    f = collect_facts(root)
    assert f["file_count"] == 2 and f["languages"] == {"Python": {"files": 2, "lines": 2}}
    assert f["skipped"]["ignored"] == 13 and f["tree"] == ["config/ (1 file)", "  env/ (1 file)", "    prod.py", "main.py"]

def test_binary_and_large(tmp_path):
    root = write(tmp_path/"p", {"main.py": "print(1)\n", "logo.png": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
                                "blob.py": b"x = 1\n\0\0binary", "huge.sql": "SELECT 1;\n" * 20_000})
    f = collect_facts(root, max_file_bytes=100_000)
    assert f["skipped"]["binary"] == 2 and f["skipped"]["large"] == 1
    assert f["languages"] == {"Python": {"files": 1, "lines": 1}}
    assert f["file_count"] == 4 and f["total_bytes"] == sum(p.stat().st_size for p in root.iterdir())
    assert collect_facts(root)["languages"]["SQL"] == {"files": 1, "lines": 20_000}  # under the default 1 MB

def test_line_count_extrapolated_past_read_bytes(tmp_path):
    root = write(tmp_path/"p", {"a.py": "x = 1\n" * 10_000})
    assert abs(collect_facts(root, read_bytes=6_000)["languages"]["Python"]["lines"] - 10_000) <= 10

def test_symlink_outside_not_followed(tmp_path):
    write(tmp_path/"outside", {"private.py": "SECRET_PLAN = 'do not read'\n"})
    root = write(tmp_path/"p", {"main.py": "x\n"})
    (root/"escape").symlink_to(tmp_path/"outside", target_is_directory=True)
    (root/"plan.py").symlink_to(tmp_path/"outside"/"private.py")
    (root/"abs_etc").symlink_to("/etc")
    f = collect_facts(root)
    assert f["skipped"]["symlinks_outside"] == 3 and f["file_count"] == 1
    assert "SECRET_PLAN" not in json.dumps(f) and "private.py" not in json.dumps(f)

def test_symlink_loops_terminate(tmp_path):
    root = write(tmp_path/"p", {"src/main.py": "x\n"})
    (root/"src"/"again").symlink_to(root, target_is_directory=True)  # a link back up
    (root/"self").symlink_to(root/"self")  # ELOOP
    (root/"a").symlink_to(root/"b"); (root/"b").symlink_to(root/"a")
    (root/"dangling").symlink_to(root/"nowhere")
    t = time.monotonic()
    f = collect_facts(root, time_budget=5)
    assert time.monotonic() - t < 5 and not f["truncated"]
    assert f["file_count"] == 1 and f["skipped"]["unreadable"] == 4

def test_symlink_inside_followed_once(tmp_path):
    root = write(tmp_path/"p", {"lib/util.py": "x\ny\n", "README.md": "# r\n"})
    (root/"lib_link").symlink_to(root/"lib", target_is_directory=True)
    f = collect_facts(root)
    assert f["languages"]["Python"] == {"files": 1, "lines": 2}  # the same directory is not walked twice

def test_non_utf8(tmp_path):
    root = write(tmp_path/"p", {"README.md": "# caf\xe9\n\nna\xefve r\xe9sum\xe9\n".encode("latin-1"),
                                "legacy.py": "# -*- coding: latin-1 -*-\nname = '\xe9t\xe9'\n".encode("latin-1")})
    f = collect_facts(root)
    assert f["languages"]["Python"] == {"files": 1, "lines": 2}
    assert f["readme_excerpt"].startswith("# caf\ufffd")
    json.dumps(f)

@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_permission_denied_chmod(tmp_path):
    root = write(tmp_path/"p", {"main.py": "x\n", "locked.py": "y\n", "closed/inner.py": "z\n"})
    (root/"locked.py").chmod(0); (root/"closed").chmod(0)
    try:
        if os.access(root/"locked.py", os.R_OK):
            pytest.skip("root ignores chmod 000; run under `setpriv --bounding-set -dac_override,-dac_read_search` "
                        "to exercise it (test_permission_denied_simulated covers the path meanwhile)")
        f = collect_facts(root)
        assert f["skipped"]["unreadable"] == 2 and f["languages"]["Python"]["files"] == 1
    finally: (root/"locked.py").chmod(0o644); (root/"closed").chmod(0o755)

def test_permission_denied_simulated(tmp_path, monkeypatch):
    "What a non-root user sees, simulated where tests run as root: reading raises PermissionError."
    root = write(tmp_path/"p", {"main.py": "x\n", "locked.py": "y\n"})
    real = F._read_head
    def deny(p, n):
        if p.endswith("locked.py"): raise PermissionError(13, "Permission denied", p)
        return real(p, n)
    monkeypatch.setattr(F, "_read_head", deny)
    f = collect_facts(root)
    assert f["skipped"]["unreadable"] == 1 and f["languages"]["Python"] == {"files": 1, "lines": 1}

# --- key files -------------------------------------------------------------------------------------------------------

POM = """<project xmlns="http://maven.apache.org/POM/4.0.0"><dependencies>
<dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId></dependency>
<dependency><groupId>junit</groupId><artifactId>junit</artifactId><scope>test</scope></dependency>
</dependencies></project>"""

def test_key_files(tmp_path):
    root = write(tmp_path/"p", {
        "README.rst": "poly\n====\n", "readme.md": "# poly\n", "COPYING": "GNU GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007\n",
        "Cargo.toml": '[package]\nname = "poly"\n[dependencies]\nserde = "1"\ntokio = { version = "1" }\n'
                      '[dev-dependencies]\ncriterion = "0.5"\n[target.\'cfg(unix)\'.dependencies]\nnix = "0.28"\n',
        "Gemfile": "source 'https://rubygems.org'\ngem 'rails', '~> 7.1'\ngem \"puma\"\n", "java/pom.xml": POM,
        "web/package.json": "{broken", "requirements-dev.txt": "pytest\n-e .\n", "src/lib.rs": "fn main() {}\n",
        "deploy/docker/Dockerfile.prod": "FROM scratch\n", "compose.yaml": "services: {}\n", "helm/Chart.yaml": "name: poly\n",
        "infra/main.tf": "provider \"aws\" {}\n", "Procfile": "web: ./poly\n", ".gitlab-ci.yml": "test: {}\n",
        "Jenkinsfile": "pipeline {}\n", "spec/models/user_spec.rb": "", "src/util_test.go": "", "web/App.test.tsx": "",
        "doc/source/conf.py": "project = 'poly'\n", "book.toml": "[book]\n"})
    kf = collect_facts(root)["key_files"]
    assert kf["readme"] == "readme.md" and kf["license"] == {"file": "COPYING", "kind": "GPL-3.0"}
    assert kf["manifests"] == {"Cargo.toml": ["serde", "tokio", "criterion", "nix"], "Gemfile": ["rails", "puma"],
                               "requirements-dev.txt": ["pytest"], "java/pom.xml": ["org.slf4j:slf4j-api", "junit:junit"],
                               "web/package.json": []}
    assert kf["docker"] == ["compose.yaml", "deploy/docker/Dockerfile.prod"]
    assert kf["ci"] == [".gitlab-ci.yml", "Jenkinsfile"]
    assert kf["deploy"] == ["Procfile", "deploy/docker/Dockerfile.prod", "helm/Chart.yaml", "infra/main.tf"]
    assert kf["tests"] == ["spec/", "src/util_test.go", "web/App.test.tsx"]
    assert kf["docs"] == ["doc/", "book.toml"]

def test_manifest_names_bounded(tmp_path):
    root = write(tmp_path/"p", {"requirements.txt": "".join(f"pkg{i}==1.0\n" for i in range(100))})
    assert collect_facts(root)["key_files"]["manifests"]["requirements.txt"] == [f"pkg{i}" for i in range(30)]

# --- bounds ----------------------------------------------------------------------------------------------------------

def test_max_files_truncates(tmp_path):
    root = write(tmp_path/"p", {f"m{i:03d}.py": "x\n" for i in range(50)})
    f = collect_facts(root, max_files=10)
    assert f["truncated"] and f["file_count"] == 10
    assert not collect_facts(root)["truncated"]

def test_time_budget_truncates(tmp_path, monkeypatch):
    root = write(tmp_path/"p", {f"m{i:02d}.py": "x\n" for i in range(20)})
    with pytest.raises(FactsError, match="no files read within the 0 s time budget"): collect_facts(root, time_budget=0)
    clock = iter(range(10_000))  # a clock that advances one second each time it is read
    monkeypatch.setattr(F, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    f = collect_facts(root, time_budget=12)
    assert f["truncated"] and 0 < f["file_count"] < 20

def test_tree_bounded(tmp_path):
    root = write(tmp_path/"p", {f"pkg{i}/sub{j}/m{k}.py": "" for i in range(12) for j in range(6) for k in range(6)})
    tree = collect_facts(root)["tree"]
    assert len(tree) <= 60 and tree[0].startswith("pkg") and all(l.count("  ") <= 2 for l in tree)

# --- bad inputs ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("make,msg", [
    (lambda t: (t/"empty").mkdir() or t/"empty", "no files"),
    (lambda t: write(t/"secret-only", {".env": "A=1", "id_rsa": "x"}), r"no files .*2 skipped"),
    (lambda t: write(t/"only-skipped", {"node_modules/a.js": "x", "dist/b.js": "x"}), "no files"),
    (lambda t: t/"missing", "no such directory"),
    (lambda t: write(t, {"f.txt": "x"})/"f.txt", "is a file"),
])
def test_bad_paths(tmp_path, make, msg):
    path = make(tmp_path)
    with pytest.raises(FactsError, match=msg) as e: collect_facts(path)
    assert isinstance(e.value, ValueError) and "\n" not in str(e.value) and str(path) in str(e.value)

@pytest.mark.parametrize("content,msg", [("{oops", "not valid JSON"), ("[1, 2]", "expected a JSON object, got list"),
                                         ('"text"', "got str"), ("", "not valid JSON")])
def test_bad_facts_file(tmp_path, content, msg):
    p = tmp_path/"facts.json"; p.write_text(content)
    with pytest.raises(FactsError, match=msg) as e: load_scanner_facts(p)
    assert "\n" not in str(e.value) and str(p) in str(e.value)

def test_missing_facts_file(tmp_path):
    with pytest.raises(FactsError, match="no such facts file"): load_scanner_facts(tmp_path/"nope.json")

# --- merging ---------------------------------------------------------------------------------------------------------

def test_merge(tmp_path):
    collected = collect_facts(write(tmp_path/"p", {"main.py": "x\n", "README.md": "# p\n"}))
    p = tmp_path/"scanner.json"
    p.write_text(json.dumps({"name": "other", "languages": {"Python": 999, "Go": 5},
        "code_analysis": {"quality_score": 6.1}, "deployment_analysis": {"readiness_percent": 40, "files": []},
        "doc_analysis": {"quality_percent": 70}, "git": {"commits": 12},
        "notes": f"deploy with postgres://ci:{DB_PASS}@db/x"}))
    m = merge_facts(collected, load_scanner_facts(p))
    assert m["name"] == "p" and m["code_analysis"] == {"quality_score": 6.1} and m["git"] == {"commits": 12}
    assert m["doc_analysis"] == {"quality_percent": 70} and m["deployment_analysis"]["readiness_percent"] == 40
    assert m["languages"] == {"Markdown": {"files": 1, "lines": 1}, "Python": {"files": 1, "lines": 1}, "Go": 5}  # nested
    assert DB_PASS not in json.dumps(m) and m["redactions"] == collected["redactions"] + 1
    assert collected.get("code_analysis") is None  # inputs are not modified

def test_merge_scanner_keys_win_over_collected():
    m = merge_facts({"name": "a", "code_analysis": {"quality_score": 1}}, {"code_analysis": {"quality_score": 9}})
    assert m["code_analysis"] == {"quality_score": 9}

# --- samples ---------------------------------------------------------------------------------------------------------

SAMPLES = sorted((ROOT/"data"/"samples").glob("*.json"))
KEYS = ["name", "path", "languages", "file_count", "total_bytes", "tree", "key_files", "readme_excerpt", "redactions",
        "skipped", "truncated"]

def test_samples_exist():
    assert len(SAMPLES) >= 5

@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_sample_shape_and_reproducible(sample):
    d = json.loads(sample.read_text())
    assert list(d)[:len(KEYS)] == KEYS and set(F.SCANNER_KEYS) <= set(d)
    assert d["path"] == f"data/repos/{sample.stem}" and not Path(d["path"]).is_absolute()
    assert set(d["key_files"]) == {"readme", "license", "docker", "ci", "deploy", "manifests", "tests", "docs"}
    assert all(isinstance(d["key_files"][k], list) for k in ["docker", "ci", "deploy", "tests", "docs"])
    fresh = collect_facts(ROOT/d["path"])
    for k in KEYS:
        if k != "path": assert fresh[k] == d[k], f"{sample.name}: {k} differs; run python data/make_samples.py"
