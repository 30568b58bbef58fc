"""One window for every process and machine with one key: in a file by default, in Redis across machines.

Real processes (`borg-llm batch`) against a stand-in that enforces a sliding window and counts 429s, a real
`redis-server` started on a free loopback port. Each check here fails with `BORG_LLM_RATE_STORAGE=memory://`."""
import asyncio, json, os, shutil, signal, socket, subprocess, sys, time
from pathlib import Path
import openai, pytest
from borg_llm.batch import is_done
from borg_llm.client import make_openai
from borg_llm.config import Settings
from borg_llm.ratelimit import RateLimiter, RateStorageError, limiter_for, shared_limiter, storage_uri, window_key
from borg_llm.testing import StandIn, sample_projects

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).parent/"borg-llm"
N, W = 20, 2.0  # the server's and the limiter's window: 20 requests per 2 s
MODEL, MSG = "meta-llama/llama-4-scout:free", [{"role": "user", "content": "hi"}]


def peak(ts, w):
    "The most arrivals in any window of `w` seconds, as the server counts them."
    ts = sorted(ts); return max((sum(t <= u < t + w for u in ts) for t in ts), default=0)

def done(out:Path) -> set[str]: return {p.stem for p in out.glob("*.json") if is_done(p)}

def env_for(srv, cache:Path, storage:str, w:float=W) -> dict:
    e = {k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY" and not k.startswith("BORG_LLM_")}
    return {**e, "BORG_LLM_BASE_URL": srv.base_url, "BORG_LLM_CACHE_DIR": str(cache), "BORG_LLM_RPM": str(N),
            "BORG_LLM_RATE_WINDOW_S": str(w), "BORG_LLM_RATE_STORAGE": storage, "BORG_LLM_TIMEOUT": "20"}

def batch(files, out:Path, env:dict, concurrency:int=5) -> subprocess.Popen:
    return subprocess.Popen([str(SCRIPT), "batch", *files, "--out", str(out), "--concurrency", str(concurrency),
                             "--no-progress"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

def wait_for(cond, timeout:float=60):
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline: time.sleep(0.02)
    assert cond(), "timed out"

def free_port() -> int:
    with socket.socket() as s: s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


class RedisServer:
    "A throwaway `redis-server` on a free loopback port, no persistence; `start` again brings it back on that port."
    def __init__(self):
        self.port = free_port(); self.url = f"redis://127.0.0.1:{self.port}/0"
        self.start()
    def start(self):
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis
        def up():
            try: return redis.Redis(port=self.port).ping()
            except redis.ConnectionError: return False
        wait_for(up, 20)
    def stop(self):
        if self.proc.poll() is None: self.proc.terminate(); self.proc.wait(10)

@pytest.fixture
def redis_url():
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install -y redis-server)")
    pytest.importorskip("redis", reason="the redis package is not installed (pip install 'borg_llm[cluster]')")
    srv = RedisServer()
    yield srv
    srv.stop()

@pytest.fixture(params=["file", "redis"])
def storage(request, tmp_path):
    "The shared window under test: the default file (`file://`, beside the cache) or a real Redis."
    if request.param == "file": yield "file://"
    else: yield request.getfixturevalue("redis_url").url

@pytest.fixture(autouse=True)
def fresh_limiter():
    shared_limiter.cache_clear(); yield; shared_limiter.cache_clear()


def test_two_processes_one_window(tmp_path, storage):
    "Two batches with one key at once: together never more than N in a window at the server, no 429."
    with StandIn(latency_s=0.05, rate_limit=(N, W)) as srv:
        env = env_for(srv, tmp_path/"cache", storage)
        ps = [batch(sample_projects(tmp_path/f"in{i}", 6, f"p{i}"), tmp_path/f"out{i}", env) for i in range(2)]
        outs = [p.communicate(timeout=120) for p in ps]
        assert [p.returncode for p in ps] == [0, 0], outs
        arrivals = [r.t0 for r in srv.stats.chat]
        assert (len(arrivals), srv.stats.n_429) == (48, 0), (len(arrivals), srv.stats.n_429)
        assert peak(arrivals, W) <= N
    assert [len(done(tmp_path/f"out{i}")) for i in range(2)] == [6, 6]


def test_sigkill_then_restart_at_once(tmp_path, storage):
    "A batch killed mid-run and started again at once: the new process sees the dead one's requests, no 429."
    w = 8.0  # longer than a process's start (1.5-4 s), so the server still counts the killed one's burst
    with StandIn(latency_s=0.05, rate_limit=(N, w)) as srv:
        env, out = env_for(srv, tmp_path/"cache", storage, w), tmp_path/"out"
        files = sample_projects(tmp_path/"in", 10, "k")
        p = batch(files, out, env)
        wait_for(lambda: len(done(out)) >= 1 or p.poll() is not None)
        p.send_signal(signal.SIGKILL); p.communicate(timeout=30)
        assert p.returncode == -signal.SIGKILL
        first = len(srv.stats.chat)
        q = batch(files, out, env)  # at once, while the server still counts the killed one's requests
        so, er = q.communicate(timeout=120)
        assert q.returncode == 0, er
        arrivals = sorted(r.t0 for r in srv.stats.chat)
        carried = sum(t > arrivals[first] - w for t in arrivals[:first])  # the killed run's, counted at the restart
        if carried == 0: pytest.skip("the restart came a window after the kill: this machine is too slow to check it")
        assert first >= N // 2 and srv.stats.n_429 == 0, (first, carried, srv.stats.n_429)
        assert peak(arrivals, w) <= N
    assert len(done(out)) == 10


def test_redis_stopped_mid_batch_is_one_line(tmp_path, redis_url):
    "Redis goes away mid-batch: one line naming it, no traceback; finished results stay whole; once back, a resume."
    with StandIn(latency_s=0.05, rate_limit=(N, W)) as srv:
        out, files = tmp_path/"out", sample_projects(tmp_path/"in", 10, "r")
        env = env_for(srv, tmp_path/"cache", redis_url.url)
        p = batch(files, out, env, concurrency=2)
        wait_for(lambda: len(done(out)) >= 2 or p.poll() is not None)
        redis_url.stop()
        so, er = p.communicate(timeout=120)
        assert p.returncode != 0 and "Traceback" not in er and er.count("\n") == 1, er
        assert er.startswith(f"borg-llm: rate window {redis_url.url}: ") and "run the same command again" in er, er
        finished = done(out)
        assert 2 <= len(finished) < 10
        for f in out.glob("*.json"): json.loads(f.read_text())
        redis_url.start(); time.sleep(W)  # back, empty: wait out the server's window of the first run
        srv.stats.reset()
        q = batch(files, out, env, concurrency=2)
        so, er = q.communicate(timeout=120)
        assert q.returncode == 0 and er == "", er
        assert done(out) == {f"r-{i:02d}" for i in range(10)}
        assert not any(name in srv.stats.bodies_text() for name in finished)  # nothing finished is asked again


async def test_redis_gone_raises_one_line_and_keeps_the_answer(tmp_path, redis_url):
    """Through the SDK: an answer whose release fails is still returned; the next request raises one unwrapped line;
    once Redis is back, requests go again."""
    with StandIn(latency_s=0.3) as srv:
        s = Settings(base_url=srv.base_url, api_key="sk-test", rate_storage=redis_url.url, max_retries=2,
                     cache_dir=tmp_path)
        lim = limiter_for(s)
        async with make_openai(s, lim) as c:
            await c.chat.completions.create(model=MODEL, messages=MSG)
            t = asyncio.create_task(c.chat.completions.create(model=MODEL, messages=MSG)); await asyncio.sleep(0.1)
            redis_url.stop()  # while the request is in flight: its release will fail
            assert (await t).choices[0].message.content
            with pytest.raises(RateStorageError) as e: await c.chat.completions.create(model=MODEL, messages=MSG)
            with pytest.raises(RateStorageError): await c.chat.completions.create(model=MODEL, messages=MSG)
            assert len(srv.stats.chat) == 2  # neither failed request was sent, nor retried by the SDK
            redis_url.start()  # back on its port: the same limiter, which lived through the outage, works again
            assert (await c.chat.completions.create(model=MODEL, messages=MSG)).choices[0].message.content
            t = asyncio.create_task(c.chat.completions.create(model=MODEL, messages=MSG)); await asyncio.sleep(0.1)
            redis_url.stop(); await t; redis_url.start()  # a release lost, Redis back before the next request
            assert (await c.chat.completions.create(model=MODEL, messages=MSG)).choices[0].message.content
        assert len(srv.stats.chat) == 5
    msg = str(e.value)
    assert msg.startswith(f"rate window {redis_url.url}: ") and "\n" not in msg
    assert isinstance(e.value, openai.OpenAIError)  # so the SDK neither wraps nor retries it


async def test_processes_in_one_loop_and_file(tmp_path):
    "Two limiters on one file (as two processes would be), 60 requests at random lags: never more than 8 in 0.4 s."
    import random
    rng, arrivals = random.Random(3), []
    lims = [RateLimiter(8, 0.4, storage=f"file://{tmp_path}", key="k") for _ in range(2)]
    async def one(i):
        lag, latency = rng.uniform(0, 0.1), rng.uniform(0, 0.05)
        async with lims[i % 2].slot():
            await asyncio.sleep(lag); arrivals.append(time.monotonic()); await asyncio.sleep(latency)
    await asyncio.gather(*[one(i) for i in range(60)])
    assert len(arrivals) == 60 and peak(arrivals, 0.4) <= 8
    assert [(l.acquired, len(l._held)) for l in lims] == [(30, 0), (30, 0)]


def inflight(url:str, key:str) -> tuple[int, int]:
    "(slots in flight, slots answered within the window) of window `key` in the Redis at `url`."
    import redis
    r = redis.Redis.from_url(url)
    return tuple(r.zcard(f"borg_llm:window:{key}:{k}") for k in ("inflight", "done"))

async def test_redis_take_with_room_does_not_suspend_and_gives_of_a_turn_share_one_call(redis_url):
    "With room, `acquire` returns at its first step (no await on Redis); 48 releases of one turn go in one script call."
    lim = RateLimiter(1000, 5, storage=redis_url.url, key="many")
    for _ in range(48):
        co = lim.acquire()
        with pytest.raises(StopIteration): co.send(None)  # done at the first step: the loop never waited on Redis
    assert lim.acquired == 48 and len(set(lim._held)) == 48 and inflight(redis_url.url, "many") == (48, 0)
    w, calls = lim._shared, []
    give = w._give
    w._give = lambda **kw: calls.append(len(kw["args"]) - 1) or give(**kw)
    for _ in range(48): lim.release()
    assert inflight(redis_url.url, "many") == (48, 0) and calls == []  # nothing sent before the turn ends
    await asyncio.sleep(0)
    assert calls == [48] and inflight(redis_url.url, "many") == (0, 48)

async def test_redis_waiter_cancelled_leaves_no_slot_taken(redis_url):
    "A caller cancelled while it waits for room takes no slot; the slot it waited for is the next caller's."
    lim = RateLimiter(1, 0.3, storage=redis_url.url, key="cancel")
    await lim.acquire()
    waiting = asyncio.create_task(lim.acquire()); await asyncio.sleep(0.05)
    waiting.cancel(); await asyncio.gather(waiting, return_exceptions=True)
    lim.release(); await asyncio.sleep(0)
    assert inflight(redis_url.url, "cancel") == (0, 1) and lim.acquired == 1
    await asyncio.wait_for(lim.acquire(), 2)  # once the answer is a window old
    assert inflight(redis_url.url, "cancel") == (1, 0) and lim.acquired == 2

def test_redis_release_without_an_event_loop_is_sent_at_once(redis_url):
    lim = RateLimiter(5, 5, storage=redis_url.url, key="sync")
    asyncio.run(lim.acquire())
    lim.release()
    assert inflight(redis_url.url, "sync") == (0, 1)

def test_limiter_for_names_one_window_per_url_and_key(tmp_path):
    mk = lambda **kw: Settings(**{"base_url": "http://127.0.0.1:1/v1", "api_key": "sk-one", "cache_dir": tmp_path,
                                  **kw})
    lim = limiter_for(mk())
    assert lim is limiter_for(mk()) and lim.storage == f"file://{tmp_path.resolve()}/ratelimit"
    assert lim.key == window_key("http://127.0.0.1:1/v1/", "sk-one") and "sk-one" not in lim.key
    assert len({lim.key, limiter_for(mk(api_key="sk-two")).key, limiter_for(mk(base_url="http://h/v1")).key}) == 3
    assert limiter_for(mk(timeout=30)).hold_s == 70 and storage_uri(mk(rate_storage="memory://")) == "memory://"
    assert Settings().rate_storage == "file://" and repr(lim).endswith("shared by this machine)")
    assert not list(tmp_path.glob("**/*.sqlite"))  # nothing on disk until a slot is taken


def test_unknown_storage_is_one_line():
    with pytest.raises(ValueError, match="rate_storage 'nope://x': use file://, memory://"):
        RateLimiter(1, 1, storage="nope://x")


def test_damaged_window_file_starts_afresh_in_one_line(tmp_path, caplog):
    "A window file SQLite finds damaged is made again, in one warning; its slots then count from nothing."
    lim = RateLimiter(3, 60, storage=f"file://{tmp_path}", key="w")
    lim._shared.take(); lim._shared._db().close()
    f = tmp_path/"w.sqlite"; b = f.read_bytes(); h = len(b)//2
    f.write_bytes(b[:h] + bytes(i % 251 for i in range(len(b) - h)))  # its pages overwritten
    with caplog.at_level("WARNING", logger="borg_llm.ratelimit"):
        again = RateLimiter(3, 60, storage=f"file://{tmp_path}", key="w")._shared
        assert [again.take()[0] is not None for _ in range(4)] == [True, True, True, False]
    assert len(caplog.records) == 1 and "was damaged" in caplog.records[0].getMessage()


def test_window_file_removed_in_use_is_opened_again(tmp_path, caplog):
    "The window's file removed while a process uses it: the next step opens a new file at the path, where other "
    "processes will look, and counts there."
    a, b = (RateLimiter(2, 60, storage=f"file://{tmp_path}", key="w")._shared for _ in range(2))
    a.take()
    for end in ("", "-wal", "-shm"): (tmp_path/f"w.sqlite{end}").unlink(missing_ok=True)
    with caplog.at_level("WARNING", logger="borg_llm.ratelimit"):
        assert a.take()[0] is not None and (tmp_path/"w.sqlite").exists()
    assert b.take()[0] is not None and b.take()[0] is None  # b sees a's slot in the new file: two of two taken
    assert len(caplog.records) == 1 and "removed or replaced while in use" in caplog.records[0].getMessage()


def test_read_only_window_says_what_to_do(tmp_path):
    (tmp_path/"a-file").write_text("")
    with pytest.raises(RateStorageError, match=r"; make it and its folder writable, or set BORG_LLM_RATE_STORAGE"):
        RateLimiter(1, 1, storage=f"file://{tmp_path}/a-file/sub")._shared.take()

def test_file_window_with_room_takes_a_slot_without_suspending(tmp_path):
    "With room in a file window, `acquire` returns without suspending: callers never queue through the event loop."
    lim = RateLimiter(5, 60, storage=f"file://{tmp_path}")
    async def main():
        for _ in range(3):
            co = lim.acquire()
            with pytest.raises(StopIteration): co.send(None)  # done at the first step
        for _ in range(3): lim.release()
    asyncio.run(main())
    assert lim.acquired == 3
