from pipewright_s3 import S3Store


def test_keys(monkeypatch):
    calls = []

    class Fake:
        def put_object(self, **kw):
            calls.append(kw["Key"])

    monkeypatch.setattr("boto3.client", lambda *a, **k: Fake())
    S3Store("b").put("r1", "total", 3)
    assert calls == ["pipewright/r1/total.pkl"]
