"""Links and headings of a Markdown file, with their line numbers."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark")


@dataclass(frozen=True)
class Link:
    file: Path
    line: int
    target: str


def slug(heading: str) -> str:
    "GitHub's anchor for a heading."
    s = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return s.replace(" ", "-")


def extract(path: Path) -> tuple[list[Link], set[str]]:
    "The links and heading anchors of one Markdown file."
    tokens = _md.parse(path.read_text(encoding="utf-8"))
    links, anchors = [], set()
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            anchors.add(slug(tokens[i + 1].content))
        for child in tok.children or []:
            if child.type == "link_open":
                line = (tok.map or [0])[0] + 1
                links.append(Link(path, line, child.attrGet("href") or ""))
    return links, anchors
