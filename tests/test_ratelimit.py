"""The rate limiter: a server counting arrivals never sees more than N in a window, whatever the send lag."""
import asyncio, random, threading, time
import httpx2, openai, pytest
from borg_llm.client import make_openai
from borg_llm.config import Settings
from borg_llm.ratelimit import RateLimiter, shared_limiter
from borg_llm.testing import Fault, StandIn

MODEL, MSG = "meta-llama/llama-4-scout:free", [{"role": "user", "content": "hi"}]

def peak(ts, w):
    "The most arrivals in any window of `w` seconds, as the server counts them."
    ts = sorted(ts); return max((sum(t <= u < t + w for u in ts) for t in ts), default=0)

async def request(lim, lag, latency, arrivals):
    "A simulated request: it reaches the server `lag` s after it is let go and is answered `latency` s later."
    async with lim.slot():
        await asyncio.sleep(lag); arrivals.append(time.monotonic()); await asyncio.sleep(latency)

async def test_invariant_under_random_lag():
    rng, lim, arrivals = random.Random(1), RateLimiter(10, 0.4), []
    await asyncio.gather(*[request(lim, rng.uniform(0, 0.3), rng.uniform(0, 0.1), arrivals) for _ in range(80)])
    assert len(arrivals) == 80 and peak(arrivals, 0.4) <= 10
    assert (lim.acquired, lim._inflight, len(lim._waiters)) == (80, 0, 0)

async def test_send_time_window_is_beaten_and_this_one_is_not():
    "A slot released when it is taken is a send-time window: a late first burst and a prompt second share a window."
    async def burst(hold):
        lim, arrivals = RateLimiter(5, 0.4), []
        async def one(lag):
            if hold: return await request(lim, lag, 0.01, arrivals)
            async with lim.slot(): pass
            await asyncio.sleep(lag); arrivals.append(time.monotonic())
        await asyncio.gather(*[one(0.25 if i < 5 else 0) for i in range(10)])
        return peak(arrivals, 0.4)
    assert await burst(hold=False) > 5
    assert await burst(hold=True) == 5

async def test_fifo_under_hundreds_of_waiters():
    lim, order = RateLimiter(50, 0.2), []
    async def one(i):
        async with lim.slot(): order.append(i)
    t0 = time.monotonic()
    await asyncio.gather(*[one(i) for i in range(300)])
    assert order == list(range(300)) and lim.acquired == 300
    assert 1.0 <= time.monotonic() - t0 < 3.0  # six windows' worth: five refills of 0.2 s
    assert lim.waited_s > 0

async def test_cancelled_waiter_leaves_the_queue():
    lim = RateLimiter(1, 0.2)
    await lim.acquire()
    waiter = asyncio.create_task(lim.acquire()); await asyncio.sleep(0.01)
    waiter.cancel(); await asyncio.gather(waiter, return_exceptions=True)
    assert (len(lim._waiters), lim._inflight) == (0, 1)
    lim.release()
    with pytest.raises(RuntimeError, match="without acquire"): lim.release()

async def test_granted_then_cancelled_gives_the_slot_back():
    lim = RateLimiter(1, 0.0)  # an answer leaves the window at once
    await lim.acquire()
    waiter = asyncio.create_task(lim.acquire()); await asyncio.sleep(0)
    lim.release()  # grants the waiter its slot; it wakes on the next turn of the loop ...
    assert lim._inflight == 1 and not lim._waiters
    waiter.cancel()  # ... but is cancelled first: it never sends, so the slot comes back
    await asyncio.gather(waiter, return_exceptions=True)
    assert lim._inflight == 0 and lim.acquired == 1

def test_two_event_loops_one_window():
    lim = RateLimiter(5, 0.3)
    arrivals = []
    async def eight(): await asyncio.gather(*[request(lim, 0.01, 0.01, arrivals) for _ in range(8)])
    asyncio.run(eight()); asyncio.run(eight())
    assert lim.acquired == 16 and peak(arrivals, 0.3) <= 5

def test_threads_share_one_window():
    lim, arrivals = RateLimiter(6, 0.3), []
    async def nine(): await asyncio.gather(*[request(lim, random.uniform(0, 0.05), 0.01, arrivals) for _ in range(9)])
    ths = [threading.Thread(target=asyncio.run, args=(nine(),)) for _ in range(3)]
    for th in ths: th.start()
    for th in ths: th.join(30)
    assert len(arrivals) == 27 and lim._inflight == 0 and peak(arrivals, 0.3) <= 6

def test_shared_limiter_and_repr():
    shared_limiter.cache_clear()
    assert shared_limiter(7, 2.0) is shared_limiter(7, 2.0)
    assert repr(RateLimiter(7, 2.0)) == "RateLimiter(7 per 2 s, counted until each response)"
    assert RateLimiter(7, 60.0).margin_s == 0 and RateLimiter(7, 60.0, storage="async+redis://h:6379").margin_s == 0.6
    shared_limiter.cache_clear()

async def test_limits_path_counts_sends_with_margin():
    lim, t0, starts = RateLimiter(3, 0.3, margin_s=0.05, storage="async+memory://"), time.monotonic(), []
    async def go():
        async with lim.slot(): starts.append(time.monotonic() - t0)
    await asyncio.gather(*[go() for _ in range(5)])
    assert not lim.exact and sum(s < 0.1 for s in starts) == 3 and min(starts[3:]) >= 0.34 and lim.acquired == 5

# ---------- through the SDK client ----------
def settings(srv, **kw): return Settings(base_url=srv.base_url, api_key="sk-test", **{"max_retries": 0, **kw})

async def test_client_holds_slot_until_response_and_releases_on_errors():
    with StandIn(latency_s=0.05, faults=[Fault("500", times=1)]) as srv:
        lim = RateLimiter(100, 60)
        async with make_openai(settings(srv), lim) as c:
            # a 500, then the SDK's retry
            await c.with_options(max_retries=1).chat.completions.create(model=MODEL, messages=MSG)
            assert (lim.acquired, lim._inflight, len(lim._done)) == (2, 0, 2)
            srv.configure(faults=[Fault("hang", hang_s=5)])
            with pytest.raises(openai.APITimeoutError):
                await c.chat.completions.create(model=MODEL, messages=MSG, timeout=0.3)
            assert (lim.acquired, lim._inflight, len(lim._done)) == (3, 0, 3)
            srv.configure(faults=[Fault("drop")])
            with pytest.raises(openai.APIConnectionError): await c.chat.completions.create(model=MODEL, messages=MSG)
            assert (lim.acquired, lim._inflight) == (4, 0)
            await c.models.list()  # GETs are not rate-limited
            assert lim.acquired == 4
    async with make_openai(Settings(base_url="http://127.0.0.1:9/v1", api_key="sk-test", max_retries=0), lim) as c:
        with pytest.raises(openai.APIConnectionError): await c.chat.completions.create(model=MODEL, messages=MSG)
    assert (lim.acquired, lim._inflight) == (5, 0)

async def test_cancelled_request_releases():
    with StandIn(faults=[Fault("hang", hang_s=5)]) as srv:
        lim = RateLimiter(100, 60)
        async with make_openai(settings(srv), lim) as c:
            t = asyncio.create_task(c.chat.completions.create(model=MODEL, messages=MSG)); await asyncio.sleep(0.3)
            assert lim._inflight == 1
            t.cancel(); await asyncio.gather(t, return_exceptions=True)
            assert (lim._inflight, len(lim._done)) == (0, 1)

async def test_server_counting_arrivals_sees_no_429_despite_send_lag(monkeypatch):
    "The first burst reaches the server 0.4 s after the limiter lets it go: a send-time window would draw 429s."
    real, sent = httpx2.AsyncHTTPTransport.handle_async_request, []
    async def late(self, request):
        sent.append(1)
        if len(sent) <= 8: await asyncio.sleep(0.4)  # a busy event loop, as measured in bench row 2
        return await real(self, request)
    monkeypatch.setattr(httpx2.AsyncHTTPTransport, "handle_async_request", late)
    with StandIn(latency_s=0.02, rate_limit=(8, 1.0)) as srv:
        lim = RateLimiter(8, 1.0)
        async with make_openai(settings(srv), lim) as c:
            outs = await asyncio.gather(*[c.chat.completions.create(model=MODEL, messages=MSG) for _ in range(20)])
        assert len(outs) == 20 and srv.stats.n_429 == 0
        assert peak([q.t0 for q in srv.stats.chat], 1.0) <= 8
