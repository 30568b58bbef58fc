import pytest

from tinyhttp import HTTPError, Response, Timeout


def test_timeout_coerce():
    assert Timeout.coerce(3) == Timeout(3, 3, 3)
    assert Timeout.coerce(None) == Timeout()


def test_json(ok_response):
    assert ok_response.json() == {"ok": True}
    assert ok_response.text == '{"ok": true}'


def test_raise_for_status():
    with pytest.raises(HTTPError) as e:
        Response(404, url="http://t/missing").raise_for_status()
    assert e.value.status_code == 404
