"""The built wheel works on its own: installed into a fresh virtual environment and run from a folder outside the
checkout, `borg-llm analyze` finds its prompts and rosters inside the package (a dry run, and a real analysis against
the stand-in)."""
import json, os, shutil, subprocess, sys, venv
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _sh(*argv, **kw):
    r = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=600, **kw)
    assert r.returncode == 0, f"{argv[:3]} exited {r.returncode}:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    return r


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    "A fresh venv holding only the built wheel; its dependencies come from this environment's site-packages."
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp/"src"  # build from a copy, so the checkout gets no build/ or egg-info
    shutil.copytree(ROOT/"borg_llm", src/"borg_llm", ignore=shutil.ignore_patterns("__pycache__"))
    for f in ("pyproject.toml", "README.md"): shutil.copy(ROOT/f, src/f)
    _sh(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp/"dist", src)
    whl, = (tmp/"dist").glob("borg_llm-*.whl")
    env_dir = tmp/"venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir/"bin"/"python"
    _sh(py, "-m", "pip", "install", "-q", "--no-deps", "--no-index", whl)
    site = Path(_sh(py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    deps = [p for p in sys.path if p.endswith("site-packages")]
    (site/"zz_deps.pth").write_text("\n".join(deps) + "\n")  # appended after the venv's own site-packages
    return env_dir, whl


def _run(env_dir, *argv, cwd, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("BORG_LLM_", "OPENROUTER_"))}
    return subprocess.run([str(env_dir/"bin"/"borg-llm"), *map(str, argv)], cwd=cwd, env={**e, **(env or {})},
                          capture_output=True, text=True, timeout=300)


def test_wheel_ships_prompts(installed):
    env_dir, whl = installed
    import zipfile
    names = zipfile.ZipFile(whl).namelist()
    for f in ("roster.toml", "roster.local.toml", "architect.toml", "aggregator.toml"):
        assert f"borg_llm/prompts/{f}" in names, f
    where = _sh(env_dir/"bin"/"python", "-c", "import borg_llm; print(borg_llm.__file__)", cwd=env_dir).stdout
    assert str(env_dir) in where and str(ROOT) not in where, where


def test_dry_run_from_another_folder(installed, tmp_path):
    env_dir, _ = installed
    repo = shutil.copytree(ROOT/"data"/"repos"/"snake-toy", tmp_path/"snake-toy")
    r = _run(env_dir, "analyze", repo, "--dry-run", "--out", tmp_path/"r.json", cwd=tmp_path,
             env={"BORG_LLM_CACHE_DIR": str(tmp_path/"cache")})
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path/"r.json").read_text())["llm_results"]["metadata"]
    assert (m["status"], m["dry_run"]) == ("ok", True)


def test_real_analysis_from_another_folder(installed, srv, tmp_path):
    env_dir, _ = installed
    repo = shutil.copytree(ROOT/"data"/"repos"/"tinyhttp-py", tmp_path/"tinyhttp-py")
    r = _run(env_dir, "analyze", repo, "--out", tmp_path/"r.json", cwd=tmp_path,
             env={"BORG_LLM_BASE_URL": srv.base_url, "BORG_LLM_CACHE_DIR": str(tmp_path/"cache")})
    test_asked = srv.stats.total
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path/"r.json").read_text())["llm_results"]["metadata"]
    assert (m["status"], m["api_calls"], test_asked) == ("ok", 4, 4)
    assert "roster file not found" not in r.stderr
