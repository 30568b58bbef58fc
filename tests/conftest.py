"""Fixtures shared by the test files: a stand-in server, settings that point at it, a fresh process-wide limiter."""
import pytest
from borg_llm.config import Settings
from borg_llm.ratelimit import shared_limiter
from borg_llm.testing import StandIn

KEY = "sk-test-not-a-real-key-0123456789"  # a made-up key: tests check it never leaks into outputs


@pytest.fixture
def srv():
    "A stand-in on a free port, answering at once; stopped after the test."
    with StandIn() as s: yield s


@pytest.fixture
def settings(tmp_path):
    "`settings(srv, **changes)`: settings for `srv`, the cache in the test's folder, a rate limit that never binds."
    def make(srv, **changes) -> Settings:
        return Settings(**{"base_url": srv.base_url, "api_key": KEY, "cache_dir": tmp_path/"cache", "rpm": 1000,
                           "rate_window_s": 1, **changes})
    return make


@pytest.fixture
def fresh_limiter():
    "A fresh process-wide limiter, so one test's requests do not use up the next one's window."
    shared_limiter.cache_clear()
    yield
    shared_limiter.cache_clear()
