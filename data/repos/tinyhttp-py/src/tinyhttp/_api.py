from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from ._client import Client
from ._models import Response


def request(method: str, url: str, **kw) -> Response:
    client = Client(timeout=kw.pop("timeout", None))
    try:
        return client.request(method, url, **kw)
    finally:
        client.close()


def get(url: str, **kw) -> Response:
    return request("GET", url, **kw)


def post(url: str, **kw) -> Response:
    return request("POST", url, **kw)


@contextmanager
def stream(method: str, url: str, **kw) -> Iterator[Response]:
    yield request(method, url, **kw)
