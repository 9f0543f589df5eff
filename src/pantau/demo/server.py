"""A small static HTTP server for the bundled sample outlets (`pantau demo`) and for tests.

It serves files under one root folder on 127.0.0.1 with the headers a real outlet sends: a Content-Type
from the file name (extension-less files are HTML, as on CMSs that route `/p1001`), ETag and Last-Modified
from the file's mtime and size, and 304 Not Modified for a matching conditional request.

Pages and feeds are written with absolute links to `http://pantau-demo.invalid` (real feeds and canonical
links are absolute, but the port is only known at start): the server rewrites that prefix in every text
response to its own base URL, so links a client reads point back at the running server.

It must never serve anything outside its root, never write request logs to stderr (the demo prints alerts
to the terminal) and never make `stop()` wait for a client that is slow or silent.
Standard library only: the demo runs without network access or extra packages.
"""

from __future__ import annotations

import email.utils
import os
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

DEMO_SITE = Path(__file__).parent / "site"
DEMO_CONFIG = Path(__file__).parent / "config.yaml"

CONTENT_TYPES = {
    "": "text/html; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
_CHUNK = 64 * 1024
PLACEHOLDER = "http://pantau-demo.invalid"
_TEXT_TYPES = ("text/", "application/xml", "application/rss+xml", "application/atom+xml", "application/json")


@dataclass(frozen=True)
class Served:
    """One request the server answered, kept so tests can check what a client asked for."""

    method: str
    path: str  # as requested, query string included
    status: int  # 0 when the server never answered
    if_none_match: str | None
    if_modified_since: str | None
    user_agent: str | None


def content_type_for(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")


def etag_for(stat: os.stat_result) -> str:
    return f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'


def is_not_modified(stat: os.stat_result, if_none_match: str | None, if_modified_since: str | None) -> bool:
    """RFC 9110 13.1: If-None-Match wins over If-Modified-Since when both are sent."""
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag_for(stat) in tags
    if if_modified_since is not None:
        try:
            since = email.utils.parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False  # an unparsable date is ignored, as the RFC says
        if since.tzinfo is None:
            return False
        return int(stat.st_mtime) <= since.timestamp()
    return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # A silent client (or an idle keep-alive connection) must not make server_close() wait for it.
    block_on_close = False
    site: SiteServer

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients hang up mid-body all the time (size caps, timeouts); that is not worth a traceback.
        return


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 10  # drops idle keep-alive connections so their threads end

    def version_string(self) -> str:
        return "pantau-demo/1"

    answered = False

    def send_response(self, code: int, message: str | None = None) -> None:
        # Recorded before the status line leaves, so a client that got an answer always finds it logged.
        self.answered = True
        self.server.site._record(self, int(code))
        super().send_response(code, message)

    def do_GET(self) -> None:
        self.server.site._dispatch(self, head=False)

    def do_HEAD(self) -> None:
        self.server.site._dispatch(self, head=True)

    def log_message(self, format: str, *args: object) -> None:
        return


class SiteServer:
    """Serve the files under `root` over HTTP on 127.0.0.1 with a free port.

    >>> with SiteServer(DEMO_SITE) as base_url:
    ...     listing = base_url + "/warta/index.html"

    Subclasses can answer some requests themselves by overriding `respond()`.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._log: list[Served] = []
        self._lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> str:
        """Start serving in a background thread; returns the base URL, e.g. "http://127.0.0.1:41234"."""
        if self._httpd is None:
            if not self.root.is_dir():
                raise FileNotFoundError(f"demo: site folder {self.root} does not exist")
            self._stopping.clear()
            httpd = _Server(("127.0.0.1", 0), _Handler)
            httpd.site = self
            self._thread = threading.Thread(
                target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="pantau-site", daemon=True
            )
            self._httpd = httpd
            self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop serving and close the listening socket; requests still waiting are released, not awaited."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("demo: the site server is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def stopping(self) -> threading.Event:
        """Set once stop() is called: handlers that wait on purpose must give up when it is."""
        return self._stopping

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- what was asked --------------------------------------------------------------------------------

    def requests(self, path: str | None = None) -> list[Served]:
        """Requests answered so far, oldest first; with `path`, only those for that path (query ignored)."""
        with self._lock:
            log = list(self._log)
        if path is None:
            return log
        return [r for r in log if urlsplit(r.path).path == path]

    def _record(self, handler: BaseHTTPRequestHandler, status: int) -> None:
        # A malformed request line is answered (400) before the method, path or headers exist.
        headers = getattr(handler, "headers", None)
        asked = headers.get if headers is not None else (lambda name: None)
        served = Served(
            method=getattr(handler, "command", None) or "",
            path=getattr(handler, "path", ""),
            status=status,
            if_none_match=asked("If-None-Match"),
            if_modified_since=asked("If-Modified-Since"),
            user_agent=asked("User-Agent"),
        )
        with self._lock:
            self._log.append(served)

    # -- answering -------------------------------------------------------------------------------------

    def _dispatch(self, handler: _Handler, *, head: bool) -> None:
        handler.answered = False
        try:
            if self.respond(handler, head=head) is None:
                self._serve_file(handler, head=head)
        except (ConnectionError, TimeoutError):
            handler.close_connection = True
        if not handler.answered:
            self._record(handler, 0)

    def respond(self, handler: BaseHTTPRequestHandler, *, head: bool) -> int | None:
        """Hook for subclasses: answer the request and return the status sent, or None to serve a file."""
        return None

    def resolve(self, url_path: str) -> Path | None:
        """The file a URL path names, or None when it is missing or lies outside the root."""
        path = unquote(urlsplit(url_path).path)
        if "\x00" in path:
            return None
        candidate = (self.root / path.lstrip("/")).resolve()
        if not candidate.is_relative_to(self.root):
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None

    def _serve_file(self, handler: BaseHTTPRequestHandler, *, head: bool) -> int:
        path = self.resolve(handler.path)
        if path is None:
            return send_body(handler, 404, b"<h1>404 Not Found</h1>\n", "text/html; charset=utf-8", head=head)
        stat = path.stat()
        modified = email.utils.formatdate(stat.st_mtime, usegmt=True)
        validators = {"ETag": etag_for(stat), "Last-Modified": modified}
        asked = handler.headers
        if is_not_modified(stat, asked.get("If-None-Match"), asked.get("If-Modified-Since")):
            handler.send_response(HTTPStatus.NOT_MODIFIED)
            for name, value in validators.items():
                handler.send_header(name, value)
            handler.end_headers()
            return 304
        content_type = content_type_for(path)
        body = path.read_bytes()
        if content_type.startswith(_TEXT_TYPES):
            body = body.replace(PLACEHOLDER.encode(), self.url.encode())
        return send_body(handler, 200, body, content_type, head=head, headers=validators)


def send_body(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    content_type: str,
    *,
    head: bool = False,
    headers: dict[str, str] | None = None,
) -> int:
    """Send a complete response with Content-Length; returns the status for the request log."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    if not head:
        for start in range(0, len(body), _CHUNK):
            handler.wfile.write(body[start : start + _CHUNK])
    return status
