"""The report page in headless Chromium, driven over the DevTools protocol (aiohttp's websocket client): it loads
with no console error, a click on a score's header sorts the rows, typing in the filter hides rows, the markup planted
in a result does not run, and a screenshot is written."""
import asyncio, base64, contextlib, itertools, json, os, shutil, subprocess, time
from pathlib import Path
import aiohttp, pytest
from borg_llm.batch import run_batch
from borg_llm.report import report
from test_report import SAMPLES, plant

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install chromium)")


@contextlib.contextmanager
def chromium(profile:Path):
    "A headless Chromium with the DevTools protocol on a free port of 127.0.0.1; yields the port."
    p = subprocess.Popen([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
                          f"--user-data-dir={profile}", "about:blank"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file, deadline = profile/"DevToolsActivePort", time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            if p.poll() is not None or time.monotonic() > deadline: pytest.fail("chromium did not start")
            time.sleep(0.1)
        yield int(port_file.read_text().split()[0])
    finally:
        p.terminate()
        try: p.wait(10)
        except subprocess.TimeoutExpired: p.kill(); p.wait()


class Tab:
    "One page target over the DevTools protocol: commands, and the events it sends."
    def __init__(self, ws): self.ws, self.ids, self.waiting, self.events = ws, itertools.count(1), {}, []

    async def listen(self):
        async for msg in self.ws:
            d = json.loads(msg.data)
            if "id" in d: self.waiting.pop(d["id"]).set_result(d)
            else: self.events.append(d)

    async def send(self, method:str, **params) -> dict:
        i = next(self.ids)
        self.waiting[i] = asyncio.get_running_loop().create_future()
        await self.ws.send_json(dict(id=i, method=method, params=params))
        d = await asyncio.wait_for(self.waiting[i], 60)
        assert "error" not in d, (method, d["error"])
        return d["result"]

    async def js(self, expr:str):
        "The value of a JavaScript expression in the page."
        r = await self.send("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in r, r["exceptionDetails"]
        return r["result"].get("value")

    async def load(self, url:str):
        "Open `url` and wait for its load event."
        n = len(self.events)
        await self.send("Page.navigate", url=url)
        for _ in range(600):
            if any(e["method"] == "Page.loadEventFired" for e in self.events[n:]): return
            await asyncio.sleep(0.1)
        pytest.fail(f"{url} did not load")

    async def click(self, selector:str):
        "A left click, as a mouse makes it, in the middle of the first element `selector` matches."
        x, y = await self.js(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.scrollIntoView();"
                             " const b = e.getBoundingClientRect(); return [b.x + b.width / 2, b.y + b.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            await self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def problems(self) -> list[str]:
        "Console errors and warnings, uncaught exceptions, and what the browser logged as an error (a blocked script)."
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.exceptionThrown": out.append(p["exceptionDetails"].get("text", "exception"))
            elif e["method"] == "Runtime.consoleAPICalled" and p["type"] in ("error", "warning", "assert"):
                out.append(" ".join(str(a.get("value")) for a in p["args"]))
            elif e["method"] == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
                out.append(p["entry"]["text"])
        return out


@contextlib.asynccontextmanager
async def tab(port:int):
    "The browser's page target, with the domains whose events the checks read enabled."
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/json/list") as r: targets = await r.json()
        url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        async with http.ws_connect(url, max_msg_size=0) as ws:
            t = Tab(ws)
            listening = asyncio.create_task(t.listen())
            for domain in ("Page", "Runtime", "Log"): await t.send(f"{domain}.enable")
            await t.send("Emulation.setDeviceMetricsOverride", width=1400, height=1800, deviceScaleFactor=1,
                         mobile=False)
            try: yield t
            finally: listening.cancel()


NAMES = "[...document.querySelectorAll('#projects tbody tr')].filter(r => !r.hidden).map(r => r.cells[0].dataset.v)"
COLUMN = "[...document.querySelectorAll('#projects tbody tr')].map(r => r.cells[{}].dataset.v)"


async def test_the_page_in_chromium(tmp_path):
    results = tmp_path/"samples"
    run_batch(SAMPLES, results, dry_run=True, progress=False)
    plant(results)
    page = report(results, out=tmp_path/"report.html")
    with chromium(tmp_path/"profile") as port:
        async with tab(port) as t:
            await t.load(page.path.as_uri())
            assert await t.js("document.querySelectorAll('#projects tbody tr').length") == len(SAMPLES) + 1
            assert await t.js("document.getElementById('shown').textContent") == f"{len(SAMPLES) + 1} of {len(SAMPLES) + 1} projects"

            # a click on the market viability header sorts by it, lowest first; a second click, highest first
            before = await t.js(COLUMN.format(2))
            await t.click("#projects thead th:nth-child(3)")
            asc = await t.js(COLUMN.format(2))
            assert asc != before and asc == sorted(before, key=int)
            await t.click("#projects thead th:nth-child(3)")
            assert await t.js(COLUMN.format(2)) == sorted(before, key=int, reverse=True)
            await t.click("#projects thead th:nth-child(1)")  # by name
            names = await t.js(NAMES)
            assert names == sorted(names) and names[:1] == ["awesome-observability"]

            # typing in the filter hides the other rows; clearing it shows them again
            await t.click("#f-text")
            await t.send("Input.insertText", text="snake")
            assert await t.js(NAMES) == ["snake-toy"]
            assert await t.js("document.getElementById('shown').textContent") == f"1 of {len(SAMPLES) + 1} projects"
            await t.js("(() => { const e = document.getElementById('f-text'); e.value = '';"
                       " const s = document.getElementById('f-status'); s.value = 'ok';"
                       " s.dispatchEvent(new Event('input')); })()")
            assert len(await t.js(NAMES)) == len(SAMPLES)  # the planted result's status is not ok

            # nothing planted ran, or is there to run
            await t.click("#projects thead th:nth-child(1)")
            assert await t.js("typeof window.__pwned") == "undefined"
            assert await t.js("document.querySelectorAll('img, iframe, a[href^=\"javascript\"]').length") == 0
            assert await t.js("document.scripts.length") == 1
            assert "<script>window.__pwned=1</script>" in await t.js("document.body.innerText")

            await t.js("(() => { const s = document.getElementById('f-status'); s.value = '';"
                       " s.dispatchEvent(new Event('input')); window.scrollTo(0, 0); })()")
            shot = tmp_path/"report.png"
            shot.write_bytes(base64.b64decode((await t.send("Page.captureScreenshot", format="png"))["data"]))
            assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
            print(f"screenshot: {shot}")
            assert t.problems() == []
