from __future__ import annotations

import socket
import ssl
from urllib.parse import urlencode, urljoin, urlsplit

import anyio
import certifi
import h11

from ._models import Response, Timeout


class Client:
    """A blocking client with a small keep-alive pool."""

    def __init__(self, base_url: str = "", timeout: float | Timeout | None = None) -> None:
        self.base_url = base_url
        self.timeout = Timeout.coerce(timeout)
        self._pool: dict[tuple[str, int], socket.socket] = {}
        self._ssl = ssl.create_default_context(cafile=certifi.where())

    def request(self, method: str, url: str, params: dict | None = None, data: bytes = b"") -> Response:
        url = urljoin(self.base_url, url) + (("?" + urlencode(params)) if params else "")
        parts = urlsplit(url)
        sock = self._connect(parts.scheme, parts.hostname or "", parts.port)
        conn = h11.Connection(our_role=h11.CLIENT)
        headers = [("host", parts.netloc), ("content-length", str(len(data)))]
        sock.sendall(conn.send(h11.Request(method=method, target=parts.path or "/", headers=headers)))
        sock.sendall(conn.send(h11.Data(data=data)) + conn.send(h11.EndOfMessage()))
        return self._read(conn, sock, url)

    def _connect(self, scheme: str, host: str, port: int | None) -> socket.socket:
        key = (host, port or (443 if scheme == "https" else 80))
        if key not in self._pool:
            sock = socket.create_connection(key, timeout=self.timeout.connect)
            self._pool[key] = self._ssl.wrap_socket(sock, server_hostname=host) if scheme == "https" else sock
        return self._pool[key]

    def _read(self, conn: h11.Connection, sock: socket.socket, url: str) -> Response:
        status, headers, body = 0, {}, bytearray()
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(sock.recv(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
                headers = {k.decode(): v.decode() for k, v in event.headers}
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                return Response(status, headers, bytes(body), url)

    def close(self) -> None:
        for sock in self._pool.values():
            sock.close()
        self._pool.clear()


class AsyncClient:
    """The same API on anyio; one connection per request for now."""

    def __init__(self, base_url: str = "", timeout: float | Timeout | None = None) -> None:
        self._sync = Client(base_url, timeout)

    async def request(self, method: str, url: str, **kw) -> Response:
        return await anyio.to_thread.run_sync(lambda: self._sync.request(method, url, **kw))

    async def post(self, url: str, **kw) -> Response:
        return await self.request("POST", url, **kw)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc) -> None:
        self._sync.close()
