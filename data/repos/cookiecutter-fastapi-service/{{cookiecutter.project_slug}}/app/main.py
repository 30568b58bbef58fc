"""{{ cookiecutter.project_name }}: {{ cookiecutter.description }}"""
from fastapi import FastAPI

from .settings import settings

app = FastAPI(title="{{ cookiecutter.project_name }}", version="0.1.0")


@app.get("/healthz")
def healthz() -> dict:
    "Liveness probe."
    return {"status": "ok", "env": settings.env}
