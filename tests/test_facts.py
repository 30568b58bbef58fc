"""borg_llm.facts: secrets never leave, .gitignore and skip rules, bounds, odd files, bad inputs, merging, batch entries,
README text, git history, entry points, kind, checks, samples."""
import json, os, shutil, subprocess, sys, time
from pathlib import Path
from types import SimpleNamespace
import pytest
from sample_script import make_samples
import borg_llm.facts as F
import borg_llm.facts.git as G
import borg_llm.facts.walk as W
from borg_llm.facts import (FactsError, collect_facts, is_facts_file, load_project, load_scanner_facts,
                            merge_facts, redact)

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
    return [r for r, _, _ in W._Walk(str(root), kw.get("max_files", 10_000), time.monotonic() + 30).run().files]

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
    real = W._read_head  # every file the facts read is read through it
    monkeypatch.setattr(W, "_read_head", lambda p, n: opened.append(Path(p).name) or real(p, n))
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
    real = W._read_head
    def deny(p, n):
        if p.endswith("locked.py"): raise PermissionError(13, "Permission denied", p)
        return real(p, n)
    monkeypatch.setattr(W, "_read_head", deny)
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
    for module in (F, W): monkeypatch.setattr(module, "time", SimpleNamespace(monotonic=lambda: next(clock)))
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

# --- one batch entry -------------------------------------------------------------------------------------------------

def test_load_project_facts_file(tmp_path):
    "A facts file is redacted like collected facts, and named after the file when it names no project."
    p = tmp_path/"svc.json"
    p.write_text(json.dumps({"code_analysis": {"notes": f"deploy with postgres://ci:{DB_PASS}@db/x"}, "redactions": 2}))
    assert is_facts_file(p) and not is_facts_file(tmp_path)
    f = load_project(p)
    assert f["name"] == "svc" and DB_PASS not in json.dumps(f) and f["redactions"] == 3

def test_load_project_directory_with_facts_dir(tmp_path):
    root = write(tmp_path/"app", {"main.py": "x\n"})
    write(tmp_path/"facts", {"app.json": json.dumps({"code_analysis": {"quality_score": 5}})})
    assert load_project(root) == collect_facts(root)
    assert load_project(root, facts_dir=tmp_path/"facts")["code_analysis"] == {"quality_score": 5}
    assert "code_analysis" not in load_project(root, facts_dir=tmp_path/"nowhere")
    with pytest.raises(FactsError, match="no such directory"): load_project(tmp_path/"missing")

def test_package_offers_every_public_name():
    "What the facts notebooks define for everyone is importable from `borg_llm.facts`, wherever it is defined."
    names = ["SECRET_FILES", "SKIP_DIRS", "LANGUAGES", "LANGUAGE_FILES", "LOCK_FILES", "KEY_PATTERNS", "TEST_DIRS",
             "DOCS_DIRS", "DEPENDENCY_UPDATE_FILES", "SECURITY_FILES", "BINARY_EXTS", "PUBLISH", "KINDS", "SERVER_DEPS",
             "FRONTEND_DEPS", "FULLSTACK_DEPS", "ML_DEPS", "WORKSPACE_FILES", "PROSE", "NOT_CODE", "KIND_RULES",
             "SCANNER_KEYS", "FactsError", "redact", "git_facts", "project_kind", "collect_facts", "load_scanner_facts",
             "merge_facts", "is_facts_file", "load_project", "scorecard_checks"]
    assert set(names) <= set(F.__all__) and all(hasattr(F, n) for n in names)

# --- README text -----------------------------------------------------------------------------------------------------

AWESOME = """<div align="center">
  <sup>Special thanks to our sponsors:</sup><br>
  <a href="https://tracely.example.com/?utm_source=awesome"><img src="media/tracely.png" alt="Tracely" width="200"></a>
  <p><b>Tracely</b>: traces without the bill.</p>
</div>

[![Awesome](https://awesome.re/badge.svg)](https://awesome.re) [![Lint][lint-badge]][lint]

# Awesome Observability

A curated list of open-source tools for [logs][l], metrics &amp; traces.

## Contents

- [Metrics](#metrics)
  - [Prometheus](https://prometheus.io) - Pull-based metrics.

```yaml
scrape_configs: []
```

[lint]: https://github.com/acme/awesome-observability/actions
[lint-badge]: https://github.com/acme/awesome-observability/actions/workflows/lint.yml/badge.svg
[l]: https://example.com/logs
"""

def test_readme_text_reaches_the_description(tmp_path):
    f = collect_facts(write(tmp_path/"p", {"README.md": AWESOME}))
    assert f["readme_excerpt"].startswith("<div align=\"center\">")  # the excerpt is the README as written
    assert f["readme_text"].splitlines() == ["Awesome Observability", "A curated list of open-source tools for logs, "
        "metrics & traces.", "Contents", "- Metrics", "  - Prometheus - Pull-based metrics."]

@pytest.mark.parametrize("text,gone", [
    ("<p align='center'><img src='logo.png'></p>\n\nHello", "<"),  # HTML block
    ("Hello <b>bold</b> <img src=x.png>", "<"),  # inline HTML
    ("[![CI](https://ci.example/badge.svg)](https://ci.example)\n\nHello", "CI"),  # badge: an image inside a link
    ("![screenshot of the app](shot.png)\n\nHello", "screenshot"),  # image alt text
    ("Hello [docs][d]\n\n[d]: https://docs.example/x", "docs.example"),  # link definition and reference link target
    ("Hello\n\n```sh\npip install secret-sauce\n```", "secret-sauce"),  # fenced code
    ("Hello\n\n    indented code block", "indented"),
])
def test_readme_text_strips(tmp_path, text, gone):
    t = collect_facts(write(tmp_path/"p", {"README.md": text}))["readme_text"]
    assert gone not in t and t.startswith("Hello"), t

def test_readme_text_plain_readme_kept(tmp_path):
    t = collect_facts(write(tmp_path/"p", {"README": "tool\n\n    indented usage line\n<not html>\n"}))["readme_text"]
    assert t == "tool\nindented usage line\n<not html>"

def test_readme_text_bounded_and_redacted(tmp_path):
    body = "".join(f"- item {i} with a few words\n" for i in range(400))
    t = collect_facts(write(tmp_path/"p", {"README.md": body}))["readme_text"]
    assert 1400 < len(t) <= 1500
    pre = "x" * 1480 + "\n\n"  # a secret straddling the cut is redacted before it
    t = collect_facts(write(tmp_path/"q", {"README.md": pre + f"postgres://app:{DB_PASS}@db/x\n"}))["readme_text"]
    assert len(t) <= 1500 and DB_PASS[:5] not in t

def test_readme_text_planted_secret(planted):
    f = collect_facts(planted)
    assert "[REDACTED:Basic Auth Credentials]" in f["readme_text"] and DB_PASS not in f["readme_text"]

# --- git -------------------------------------------------------------------------------------------------------------

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

def git(repo, *args, when="2024-01-01T00:00:00+00:00", who="Ada"):
    env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when, "GIT_AUTHOR_NAME": who,
           "GIT_AUTHOR_EMAIL": f"{who.lower()}@mail.example", "GIT_COMMITTER_NAME": who,
           "GIT_COMMITTER_EMAIL": f"{who.lower()}@mail.example", "GIT_CONFIG_GLOBAL": os.devnull}
    subprocess.run(["git", "-C", str(repo), *args], env=env, check=True, capture_output=True)

HISTORY = [("2022-03-01T10:00:00+00:00", "Ada", "v0.1.0"), ("2023-06-15T10:00:00+02:00", "Bob", None),
           ("2024-02-01T10:00:00+00:00", "Ada", None), ("2024-09-01T10:00:00+00:00", "Cyd", "v0.2.0"),
           ("2024-11-20T10:00:00+00:00", "Ada", None), ("2024-12-31T23:00:00-05:00", "Ada", None)]

@pytest.fixture
def repo(tmp_path) -> Path:
    "A git repository with six commits at fixed dates by three authors, two tags."
    root = write(tmp_path/"repo", {"README.md": "# repo\n", "main.py": "print(1)\n"})
    git(root, "init", "-q", "-b", "main")
    for i, (when, who, tag) in enumerate(HISTORY):
        (root/"main.py").write_text(f"print({i})\n")
        git(root, "add", "-A"); git(root, "commit", "-q", "-m", f"change {i}", when=when, who=who)
        if tag: git(root, "tag", tag, when=when)
    return root

EXPECTED_GIT = dict(first_commit="2022-03-01T10:00:00Z", last_commit="2025-01-01T04:00:00Z", commits=6,
                    commits_last_90_days=2, commits_last_365_days=4, contributors=3, contributors_last_365_days=2,
                    top_contributor_share=0.67, tags=2, latest_tag="v0.2.0", shallow=False, truncated=False)

@needs_git
def test_git_facts(repo):
    f = collect_facts(repo)
    assert f["git"] == EXPECTED_GIT
    assert f["file_count"] == 2  # .git itself is not walked
    blob = json.dumps(f)
    assert "mail.example" not in blob and "Bob" not in blob and "Cyd" not in blob  # no e-mails, no names

@needs_git
def test_git_relative_to_last_commit_not_now(repo, monkeypatch):
    "Windows count back from the last commit: the same tree gives the same facts whatever today is."
    monkeypatch.setattr(G.time, "time", lambda: 4_000_000_000.0)
    assert F.git_facts(str(repo))["commits_last_90_days"] == 2

@needs_git
def test_git_long_history_bounded(repo):
    "Past `max_commits`, rev-list counts; contributors are those of the newest commits read."
    g = F.git_facts(str(repo), max_commits=2)
    assert {k: g[k] for k in ("first_commit", "last_commit", "commits", "commits_last_90_days",
                              "commits_last_365_days", "tags")} == {k: EXPECTED_GIT[k] for k in
           ("first_commit", "last_commit", "commits", "commits_last_90_days", "commits_last_365_days", "tags")}
    assert g["contributors"] == 1 and g["truncated"]

@needs_git
def test_git_tag_secret_redacted(repo):
    git(repo, "tag", GHP)
    f = collect_facts(repo)
    assert GHP not in json.dumps(f) and f["git"]["tags"] == 3 and f["redactions"] >= 1

@needs_git
def test_git_absent_or_null(tmp_path, repo, monkeypatch):
    assert "git" not in collect_facts(write(tmp_path/"plain", {"a.py": "x\n"}))  # not a repository
    inner = write(repo/"vendored", {"a.py": "x\n", ".git/HEAD": "garbage\n"})  # not a repository, inside one
    assert collect_facts(inner)["git"] is None  # git does not describe the repository around it
    write(tmp_path/"fresh", {"a.py": "x\n"}); git(tmp_path/"fresh", "init", "-q")
    assert collect_facts(tmp_path/"fresh")["git"]["commits"] == 0  # a repository without commits
    monkeypatch.setenv("GIT_DIR", str(repo/".git"))  # an inherited GIT_DIR does not redirect git
    assert collect_facts(inner)["git"] is None

@needs_git
def test_git_missing_or_slow(repo, monkeypatch):
    def missing(*a, **kw): raise FileNotFoundError(2, "No such file or directory", "git")
    def slow(*a, **kw): raise subprocess.TimeoutExpired(a[0], kw["timeout"])
    seen = []
    real = subprocess.run
    monkeypatch.setattr(G.subprocess, "run", lambda *a, **kw: seen.append(kw["timeout"]) or real(*a, **kw))
    assert F.git_facts(str(repo), timeout=3)["commits"] == 6 and seen and all(0 < t <= 3 for t in seen)
    for fake in (missing, slow):
        monkeypatch.setattr(G.subprocess, "run", fake)
        f = collect_facts(repo)
        assert f["git"] is None and f["file_count"] == 2

# --- entry points and manifests --------------------------------------------------------------------------------------

def test_entry_points_and_workspaces(tmp_path):
    root = write(tmp_path/"p", {
        "pyproject.toml": '[project]\nname = "tool"\n[project.scripts]\ntool = "tool.cli:main"\n'
                          '[tool.uv.workspace]\nmembers = ["libs/*"]\n',
        "setup.cfg": "[options]\ninstall_requires =\n    click>=8\n[options.entry_points]\nconsole_scripts =\n"
                     "    legacy = tool.old:main\n",
        "setup.py": "from setuptools import setup\nsetup(install_requires=['requests'], "
                    "entry_points={'console_scripts': ['tool-x = tool.x:run']})\n",
        "web/package.json": json.dumps({"name": "@acme/web", "bin": {"acme": "bin/acme.js"}, "scripts": {"dev": "vite"},
                                        "main": "index.js", "workspaces": {"packages": ["pkgs/*"]}}),
        "rs/Cargo.toml": '[package]\nname = "rs"\n[workspace]\nmembers = ["crates/*"]\n',
        "rs/src/main.rs": "fn main(){}\n",
        "rs/src/bin/extra.rs": "fn main(){}\n", "go/go.mod": "module x\n", "go/cmd/srv/main.go": "package main\n"})
    kf = collect_facts(root)["key_files"]
    assert kf["manifests"]["setup.cfg"] == ["click"] and kf["manifests"]["setup.py"] == ["requests"]
    assert kf["entry_points"] == {
        "pyproject.toml": {"package": "tool", "scripts": ["tool"]}, "setup.cfg": {"scripts": ["legacy"]},
        "setup.py": {"scripts": ["tool-x"]}, "go/go.mod": {"scripts": ["cmd/srv"]},
        "rs/Cargo.toml": {"package": "rs", "scripts": ["rs", "extra"]},
        "web/package.json": {"package": "@acme/web", "scripts": ["acme"], "tasks": ["dev"], "library": "main"}}
    assert kf["workspaces"] == {"pyproject.toml": ["libs/*"], "rs/Cargo.toml": ["crates/*"],
                                "web/package.json": ["pkgs/*"]}

def test_entry_points_odd_manifests(tmp_path):
    root = write(tmp_path/"p", {"package.json": json.dumps({"bin": 3, "scripts": ["x"], "workspaces": "no"}),
                                "setup.cfg": "[options\nbroken", "Cargo.toml": "[package]\nname = 5\n"})
    kf = collect_facts(root)["key_files"]
    assert kf["entry_points"] == {} and kf["manifests"]["setup.cfg"] == []

# --- kind ------------------------------------------------------------------------------------------------------------

PUBLISH_PY = {".github/workflows/release.yml": "on: push\njobs:\n  p:\n    steps:\n"
              "      - uses: pypa/gh-action-pypi-publish@release/v1\n"}
KIND_CASES = {
    "library-rust": ("library", {"Cargo.toml": '[package]\nname = "slug"\n', "src/lib.rs": "pub fn f() {}\n"}),
    "library-src-layout": ("library", {"pyproject.toml": '[project]\nname = "tiny"\ndependencies = ["h11"]\n',
                                       "src/tiny/__init__.py": "x = 1\n"}),
    "library-flask-extension": ("library", {"pyproject.toml": '[project]\nname = "flask-thing"\n'
                                                              'dependencies = ["flask"]\n',
                                            "flask_thing/__init__.py": "x\n", **PUBLISH_PY}),
    "library-go-module": ("library", {"go.mod": "module example.com/lib\n", "lib.go": "package lib\n"}),
    "library-react-components": ("library", {"package.json": json.dumps({"name": "ui", "main": "dist/index.js",
                                             "peerDependencies": {"react": "18"}}), "src/Button.jsx": "x\n"}),
    "cli-python": ("cli", {"pyproject.toml": '[project]\nname = "t"\n[project.scripts]\nt = "t.cli:main"\n',
                           "t/cli.py": "x\n"}),
    "cli-node": ("cli", {"package.json": json.dumps({"name": "mk", "bin": "cli.js"}), "cli.js": "x\n"}),
    "cli-go": ("cli", {"go.mod": "module x\nrequire github.com/spf13/cobra v1.8.0\n",
                       "cmd/tool/main.go": "package main\n"}),
    "web-service-go": ("web-service", {"go.mod": "module x\nrequire github.com/go-chi/chi/v5 v5.0.12\n",
                                       "cmd/api/main.go": "package main\n", "Dockerfile": "FROM scratch\n"}),
    "web-service-go-stdlib": ("web-service", {"go.mod": "module x\n", "main.go": 'package main\nimport "net/http"\n'
                              'func main() { http.ListenAndServe(":8080", nil) }\n'}),
    "web-service-flask": ("web-service", {"requirements.txt": "flask\n", "app.py": "x\n"}),
    "web-app": ("web-app", {"package.json": json.dumps({"dependencies": {"react": "18", "express": "4"}}),
                            "client/src/App.jsx": "x\n", "server/index.js": "x\n", "Dockerfile": "FROM node\n"}),
    "web-app-next": ("web-app", {"package.json": json.dumps({"dependencies": {"next": "14", "react": "18"}}),
                                 "pages/index.jsx": "x\n"}),
    "template-cookiecutter": ("template", {"cookiecutter.json": "{}", "{{cookiecutter.slug}}/app.py": "x\n",
                                           "{{cookiecutter.slug}}/requirements.txt": "flask\n"}),
    "template-copier": ("template", {"copier.yml": "name: x\n", "template/README.md.jinja": "x\n"}),
    "data-ml-notebooks": ("data-ml", {"analysis.ipynb": "{}", "explore.ipynb": "{}", "util.py": "x\n"}),
    "data-ml-deps": ("data-ml", {"requirements.txt": "torch\nnumpy\n", "train.py": "x\n"}),
    "docs": ("docs", {"README.md": "# h\n", "guide/a.md": "x\n", "guide/b.md": "x\n", "mkdocs.yml": "site_name: h\n"}),
    "monorepo-pnpm": ("monorepo", {"package.json": "{}", "pnpm-workspace.yaml": "packages: ['packages/*']\n",
                                   "packages/a/package.json": "{}"}),
    "monorepo-go-work": ("monorepo", {"go.work": "go 1.22\nuse ./a\n", "a/go.mod": "module a\n",
                                      "a/a.go": "package a\n"}),
    "monorepo-packages": ("monorepo", {"packages/a/package.json": "{}", "packages/b/package.json": "{}"}),
    "other": ("other", {"snake.py": "import pygame\n", "requirements.txt": "pygame\n"}),
}

@pytest.mark.parametrize("case", KIND_CASES)
def test_kind(tmp_path, case):
    kind, files = KIND_CASES[case]
    f = collect_facts(write(tmp_path/"p", files))
    assert f["kind"] == kind, f["kind_evidence"]
    assert (f["kind_evidence"] == []) == (kind == "other") and len(f["kind_evidence"]) <= 8

def test_kind_evidence_names_facts(tmp_path):
    f = collect_facts(write(tmp_path/"p", KIND_CASES["web-service-go"][1]))
    assert f["kind_evidence"] == ["key_files.manifests[go.mod]: github.com/go-chi/chi", "Dockerfile"]
    assert set(F.KINDS) == {k for k, _ in KIND_CASES.values()}

# --- checks ----------------------------------------------------------------------------------------------------------

SHA = "b4ffde65f46336ab88eb53be808477a3936bae11"

def test_checks_all_present(tmp_path):
    f = collect_facts(write(tmp_path/"p", {
        ".github/dependabot.yml": "version: 2\n", "SECURITY.md": "Report to security@example.com\n", "LICENSE": "MIT\n",
        ".github/workflows/ci.yml": f"jobs:\n  t:\n    steps:\n      - uses: actions/checkout@{SHA}\n"
                                    "      - uses: ./.github/actions/setup\n      - run: pytest\n",
        ".github/workflows/release.yml": f"jobs:\n  r:\n    steps:\n      - uses: actions/checkout@{SHA}  # v4\n"
                                         "      - run: python -m build && twine upload dist/*\n",
        "tests/test_a.py": "x\n", "lib/native.so": b"\x7fELF\0", "build.jar": b"PK\0"}))
    c = f["checks"]
    assert {k: (v["value"], v["path"]) for k, v in c.items()} == {
        "dependency_update_tool": (True, ".github/dependabot.yml"), "security_policy": (True, "SECURITY.md"),
        "pinned_actions": (True, ".github/workflows/ci.yml"), "binary_artifacts": (True, "build.jar"),
        "publish_workflow": (True, ".github/workflows/release.yml"), "license": (True, "LICENSE"),
        "ci": (True, ".github/workflows/ci.yml"), "tests": (True, "tests/")}
    assert c["binary_artifacts"]["paths"] == ["build.jar", "lib/native.so"]
    assert c["publish_workflow"]["runs"] == "twine upload"
    assert SHA not in json.dumps(f)  # a SHA would read as a high-entropy secret: pinned refs are not listed

def test_checks_none_present(tmp_path):
    c = collect_facts(write(tmp_path/"p", {"main.py": "x\n", ".gitlab-ci.yml": "test:\n  script: pytest\n"}))["checks"]
    assert all(v["value"] is False for k, v in c.items() if k not in ("pinned_actions", "ci"))
    assert c["pinned_actions"] == {"value": None, "path": None, "unpinned": []} and c["ci"]["value"]

def test_checks_unpinned_and_binaries_bounded(tmp_path):
    files = {f"bin/tool{i}.exe": b"MZ\0" for i in range(9)}
    files[".github/workflows/a.yml"] = f"steps:\n  - uses: actions/checkout@{SHA}\n"
    files[".github/workflows/b.yml"] = "steps:\n  - uses: actions/checkout@v4\n  - uses: 'docker://alpine:3.19'\n"
    c = collect_facts(write(tmp_path/"p", files))["checks"]
    assert c["pinned_actions"] == {"value": False, "path": ".github/workflows/b.yml",
                                   "unpinned": ["actions/checkout@v4", "docker://alpine:3.19"]}
    assert c["binary_artifacts"]["value"] and len(c["binary_artifacts"]["paths"]) == 5

@pytest.mark.parametrize("step,runs", [
    ("run: npm publish --access public", "npm publish"), ("run: cargo publish", "cargo publish"),
    ("uses: goreleaser/goreleaser-action@v5", "goreleaser"), ("run: uv publish", "uv publish"),
    ("uses: pypa/gh-action-pypi-publish@release/v1", "pypa/gh-action-pypi-publish"),
    ("uses: docker/build-push-action@v5\n        with:\n          push: true", "docker/build-push-action@v5"),
    ("run: npm test", None), ("uses: docker/build-push-action@v5\n        with:\n          push: false", None),
])
def test_publish_workflow(tmp_path, step, runs):
    c = collect_facts(write(tmp_path/"p", {".github/workflows/w.yml": f"jobs:\n  j:\n    steps:\n      - {step}\n"}))
    pub = c["checks"]["publish_workflow"]
    assert (pub["runs"], pub["value"]) == (runs, runs is not None)

# --- samples ---------------------------------------------------------------------------------------------------------

SAMPLES = sorted((ROOT/"data"/"samples").glob("*.json"))

MAKE_SAMPLES = make_samples()
WITH_HISTORY = set(MAKE_SAMPLES.HISTORY)
KEYS = ["name", "path", "languages", "file_count", "total_bytes", "tree", "key_files", "readme_excerpt", "redactions",
        "skipped", "truncated", "readme_text", "kind", "kind_evidence", "checks"]

def test_samples_exist():
    assert len(SAMPLES) >= 5

@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_sample_shape_and_reproducible(sample):
    d = json.loads(sample.read_text())
    assert list(d)[:len(KEYS)] == KEYS and set(F.SCANNER_KEYS) <= set(d)
    assert d["path"] == f"data/repos/{sample.stem}" and not Path(d["path"]).is_absolute()
    assert set(d["key_files"]) == {"readme", "license", "docker", "ci", "deploy", "manifests", "tests", "docs",
                                   "entry_points", "workspaces"}
    # the sample repositories are folders of this repository: only those given a dated history have git facts
    assert d["kind"] in F.KINDS and ("git" in d) == (sample.stem in WITH_HISTORY)
    assert all(isinstance(d["key_files"][k], list) for k in ["docker", "ci", "deploy", "tests", "docs"])
    fresh = MAKE_SAMPLES.sample(sample.stem)
    for k in KEYS:
        if k != "path": assert fresh[k] == d[k], f"{sample.name}: {k} differs; run python data/make_samples.py"
