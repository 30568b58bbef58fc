"""Check links: files and anchors locally, URLs over HTTP with a per-host limit."""
from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from .extract import Link, extract


async def _check_url(client: httpx.AsyncClient, sem: asyncio.Semaphore, url: str) -> str | None:
    async with sem:
        try:
            r = await client.head(url, follow_redirects=True)
            if r.status_code == 405:
                r = await client.get(url, follow_redirects=True)
        except httpx.HTTPError as e:
            return type(e).__name__
    return None if r.status_code < 400 else f"{r.status_code} {r.reason_phrase}"


def check_local(link: Link, anchors: dict[Path, set[str]]) -> str | None:
    "Problem with a relative link or an anchor, or None."
    path, _, frag = link.target.partition("#")
    target = (link.file.parent / path).resolve() if path else link.file.resolve()
    if path and not target.exists():
        return "no such file"
    if frag and target.suffix == ".md":
        if target not in anchors:
            anchors[target] = extract(target)[1]
        if frag not in anchors[target]:
            return "no such heading"
    return None


async def check(files: list[Path], offline: bool, timeout: float, concurrency: int) -> list[tuple[Link, str]]:
    "Every broken link in `files`, with the reason."
    links, anchors = [], {}
    for f in files:
        ls, a = extract(f)
        links += ls
        anchors[f.resolve()] = a
    broken = [(l, why) for l in links if not l.target.startswith(("http://", "https://"))
              and (why := check_local(l, anchors))]
    if offline:
        return broken
    per_host = defaultdict(lambda: asyncio.Semaphore(4))
    sem = asyncio.Semaphore(concurrency)
    remote = [l for l in links if l.target.startswith(("http://", "https://"))]
    async with httpx.AsyncClient(timeout=timeout, headers={"user-agent": "mdlinkcheck"}) as client:
        async def one(l):
            async with per_host[urlsplit(l.target).netloc]:
                return l, await _check_url(client, sem, l.target)
        results = await asyncio.gather(*map(one, remote))
    return broken + [(l, why) for l, why in results if why]
