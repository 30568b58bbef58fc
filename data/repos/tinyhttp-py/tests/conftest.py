import pytest

from tinyhttp import Response


@pytest.fixture
def ok_response():
    return Response(200, {"content-type": "application/json; charset=utf-8"}, b'{"ok": true}', "http://t/")
