"""Remove what the answers ruled out."""
from pathlib import Path

if "{{ cookiecutter.include_docker }}" != "yes":
    Path("Dockerfile").unlink()
    Path(".dockerignore").unlink()

if "{{ cookiecutter.license }}" == "Proprietary":
    Path("LICENSE").unlink(missing_ok=True)

print("Created {{ cookiecutter.project_slug }}. Next: cd {{ cookiecutter.project_slug }} && uv sync && uv run pytest")
