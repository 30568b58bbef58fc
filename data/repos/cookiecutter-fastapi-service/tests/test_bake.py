import itertools
import subprocess

import pytest

OPTIONS = list(itertools.product(["postgres", "sqlite", "none"], ["yes", "no"]))


@pytest.mark.parametrize("database,docker", OPTIONS)
def test_bake_and_run_generated_tests(cookies, database, docker):
    r = cookies.bake(extra_context={"project_name": "Demo Svc", "database": database, "include_docker": docker})
    assert r.exit_code == 0, r.exception
    assert r.project_path.name == "demo-svc"
    assert (r.project_path / "Dockerfile").exists() == (docker == "yes")
    subprocess.run(["python", "-m", "pytest", "-q"], cwd=r.project_path, check=True)
