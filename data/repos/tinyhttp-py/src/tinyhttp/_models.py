from __future__ import annotations

import json
from dataclasses import dataclass, field

from ._exceptions import HTTPError


@dataclass(frozen=True)
class Timeout:
    connect: float = 5.0
    read: float = 30.0
    write: float = 30.0

    @classmethod
    def coerce(cls, value: float | Timeout | None) -> Timeout:
        if value is None:
            return cls()
        if isinstance(value, Timeout):
            return value
        return cls(value, value, value)


@dataclass
class Response:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    url: str = ""

    @property
    def text(self) -> str:
        charset = self.headers.get("content-type", "").partition("charset=")[2] or "utf-8"
        return self.content.decode(charset, errors="replace")

    def json(self) -> object:
        return json.loads(self.content)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise HTTPError(f"{self.status_code} for {self.url}", self.status_code)
