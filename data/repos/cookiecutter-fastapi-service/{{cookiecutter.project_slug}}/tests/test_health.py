from fastapi.testclient import TestClient

from app.main import app


def test_healthz():
    r = TestClient(app).get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"
