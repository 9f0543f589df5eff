"""A small threaded HTTP server on 127.0.0.1 whose routes each test writes itself.

server = LocalServer.start()          # or the `server` fixture of tests/fetch
server.static("/feed.xml", 200, b"<rss/>", {"Content-Type": "application/rss+xml"})
server.route("/slow", lambda req: ...)  # req.reply(status, body, headers)
server.count("/feed.xml")             # how often it was asked for
server.close()
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Handler = Callable[["Request"], object]


class Request(BaseHTTPRequestHandler):
    """One request; routes answer it through `reply` (or write to `wfile` themselves)."""

    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        srv = self.server.owner
        path = self.path.split("?", 1)[0]
        with srv.lock:
            # header names as written on the wire may be lower-case (aiohttp sends them as httpx stores them)
            srv.hits.append((self.path, {k.title(): v for k, v in self.headers.items()}))
        handler = srv.routes.get(path)
        if handler is None:
            self.reply(404, b"not here")
        else:
            handler(self)

    def reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        sent = {k.lower() for k in (headers or {})}
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if "content-length" not in sent:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    @property
    def stopping(self) -> threading.Event:
        return self.server.owner.stop

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LocalServer

    def handle_error(self, request: object, client_address: object) -> None:
        # a client that hangs up mid-body (size cap, timeout) is what several tests are about
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@dataclass
class LocalServer:
    base: str
    routes: dict[str, Handler] = field(default_factory=dict)
    hits: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    _httpd: _Server | None = None

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def static(
        self, path: str, status: int, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> None:
        self.routes[path] = lambda req: req.reply(status, body, headers)

    def count(self, path: str) -> int:
        with self.lock:
            return sum(1 for p, _ in self.hits if p.split("?", 1)[0] == path)

    @classmethod
    def start(cls) -> LocalServer:
        httpd = _Server(("127.0.0.1", 0), Request)
        owner = cls(base=f"http://127.0.0.1:{httpd.server_address[1]}")
        httpd.owner = owner
        owner._httpd = httpd
        thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        return owner

    def close(self) -> None:
        self.stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
