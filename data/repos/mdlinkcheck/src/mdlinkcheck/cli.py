"""The `mdlinkcheck` command."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import click

from .check import check


def _files(paths: tuple[str, ...]) -> list[Path]:
    out = []
    for p in map(Path, paths):
        out += sorted(p.rglob("*.md")) if p.is_dir() else [p]
    return out


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--offline", is_flag=True, help="only check files and anchors, no network")
@click.option("--timeout", default=10.0, show_default=True, help="seconds per request")
@click.option("--concurrency", default=16, show_default=True, help="requests in flight")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text")
def main(paths, offline, timeout, concurrency, fmt):
    "Find broken links in Markdown files."
    files = _files(paths)
    broken = asyncio.run(check(files, offline, timeout, concurrency))
    for link, why in broken:
        if fmt == "json":
            click.echo(json.dumps(dict(file=str(link.file), line=link.line, target=link.target, error=why)))
        elif fmt == "github":
            click.echo(f"::error file={link.file},line={link.line}::{link.target}: {why}")
        else:
            click.echo(f"{link.file}:{link.line}  {link.target}  {why}")
    click.echo(f"{len(broken)} broken links in {len(files)} files", err=True)
    raise SystemExit(1 if broken else 0)
