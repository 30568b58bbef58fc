from tinyhttp import Client


def test_base_url_join():
    c = Client(base_url="http://localhost:8080/api/")
    assert c.base_url.endswith("/api/")
    assert c.timeout.connect == 5.0
