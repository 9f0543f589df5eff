"""A scriptable site server for tests: the demo's SiteServer plus failures on demand and bad pages.

    site = ScriptedSite.copy_of(DEMO_SITE, tmp_path)     # serves a private copy the test may change
    with site as base:                                    # base = "http://127.0.0.1:PORT"
        site.fail("/warta/index.html", 500, times=1)      # next request gets a 500, then the file again
        site.write("warta/p1007", "<html>…</html>")       # a new article appears while it runs
        site.requests("/warta/index.html")                # what clients asked for (conditional headers too)

Bad pages live under /bad/ whatever the root holds (see BAD_PAGES). /bad/hang and /bad/drip never finish
on their own; stop() releases them. Nothing here sleeps except those two, so tests stay fast.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

from pantau.demo.server import DEMO_SITE, SiteServer, send_body

__all__ = ["BAD_PAGES", "DEMO_SITE", "ScriptedSite"]

OVERSIZED_BYTES = 12 * 1024 * 1024
BOMB_INFLATED_BYTES = 50 * 1024 * 1024

BAD_PAGES = {
    "/bad/oversized": "12 MB of HTML with a correct Content-Length",
    "/bad/gzip-bomb": "Content-Encoding: gzip; ~50 KB on the wire, 50 MB inflated",
    "/bad/invalid-utf8.html": "says charset=utf-8 but holds Latin-1 and stray bytes",
    "/bad/truncated.html": "an article page cut off in the middle of a tag",
    "/bad/not-xml.rss": "served as application/rss+xml, but the body is an HTML error page",
    "/bad/hang": "reads the request and never answers until the server stops",
    "/bad/drip": "sends headers, then one byte every 0.1 s until the server stops",
    "/bad/redirect-loop": "a 302 that points to itself",
}

_HTML = "text/html; charset=utf-8"
_ARTICLE_START = (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
    "<title>Harbour cranes arrive in Makassar</title>\n</head>\n<body>\n<article>\n"
    "<h1>Harbour cranes arrive in Makassar</h1>\n"
    "<p>Four new container cranes arrived at the port of Makassar on Monday, the operator said.</p>\n"
)


@dataclass
class _Failure:
    status: int
    remaining: int | None  # None: until clear_failures()
    headers: dict[str, str]
    body: bytes


@functools.cache
def gzip_bomb() -> bytes:
    """A gzip stream of an HTML page padded with 50 MB of spaces (built once, ~50 KB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [packer.compress(b"<html><body><p>")]
    block = b" " * (1024 * 1024)
    parts.extend(packer.compress(block) for _ in range(BOMB_INFLATED_BYTES // len(block)))
    parts.append(packer.compress(b"</p></body></html>"))
    parts.append(packer.flush())
    return b"".join(parts)


class ScriptedSite(SiteServer):
    """SiteServer whose files a test can change and whose answers a test can script."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self._failures: dict[str, _Failure] = {}
        self._script_lock = threading.Lock()
        self._arrived: list[str] = []

    @classmethod
    def copy_of(cls, source: Path, into: Path) -> ScriptedSite:
        """Serve a copy of `source` made under `into` (e.g. tmp_path), so writes never touch the original."""
        target = Path(into) / "site"
        shutil.copytree(source, target)
        return cls(target)

    # -- changing files ----------------------------------------------------------------------------------

    def write(self, relative: str, content: str | bytes) -> Path:
        """Create or replace a file under the root; its Last-Modified always moves forward."""
        path = self._inside(relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        old_mtime = path.stat().st_mtime_ns if path.exists() else 0
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        self._bump(path, old_mtime)
        return path

    def touch(self, relative: str) -> None:
        """Change a file's validators (ETag, Last-Modified) but not its content."""
        path = self._inside(relative)
        self._bump(path, path.stat().st_mtime_ns)

    def remove(self, relative: str) -> None:
        self._inside(relative).unlink()

    def _inside(self, relative: str) -> Path:
        path = (self.root / relative.lstrip("/")).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"{relative} is outside the site root")
        return path

    @staticmethod
    def _bump(path: Path, old_mtime_ns: int) -> None:
        # Last-Modified has one-second resolution: a change within the same second would look unmodified
        # to a client that only sends If-Modified-Since.
        new = max(time.time_ns(), old_mtime_ns + 1_000_000_000)
        os.utime(path, ns=(new, new))

    # -- scripted answers --------------------------------------------------------------------------------

    def fail(
        self,
        path: str,
        status: int,
        *,
        times: int | None = 1,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> None:
        """Answer the next `times` requests for `path` (query ignored) with `status`; None means always."""
        text = body if body is not None else f"<h1>{status}</h1>\n".encode()
        with self._script_lock:
            self._failures[path] = _Failure(status, times, dict(headers or {}), text)

    def clear_failures(self) -> None:
        with self._script_lock:
            self._failures.clear()

    def _take_failure(self, path: str) -> _Failure | None:
        with self._script_lock:
            failure = self._failures.get(path)
            if failure is None:
                return None
            if failure.remaining is not None:
                failure.remaining -= 1
                if failure.remaining <= 0:
                    del self._failures[path]
            return failure

    def arrived(self, path: str) -> int:
        """Requests for `path` that reached the server so far, answered or not (requests() lists answers)."""
        with self._script_lock:
            return self._arrived.count(path)

    def respond(self, handler: BaseHTTPRequestHandler, *, head: bool) -> int | None:
        path = urlsplit(handler.path).path
        with self._script_lock:
            self._arrived.append(path)
        failure = self._take_failure(path)
        if failure is not None:
            return send_body(handler, failure.status, failure.body, _HTML, head=head, headers=failure.headers)
        if path in BAD_PAGES:
            return self._bad_page(handler, path, head=head)
        return None

    # -- bad pages ---------------------------------------------------------------------------------------

    def _bad_page(self, handler: BaseHTTPRequestHandler, path: str, *, head: bool) -> int:
        if path == "/bad/oversized":
            return self._oversized(handler, head=head)
        if path == "/bad/gzip-bomb":
            return send_body(
                handler, 200, gzip_bomb(), _HTML, head=head, headers={"Content-Encoding": "gzip"}
            )
        if path == "/bad/invalid-utf8.html":
            body = (
                _ARTICLE_START.encode() + b"<p>Caf\xe9 owners near the port \xff\xfe welcomed the news.</p>\n"
            )
            return send_body(handler, 200, body + b"</article></body></html>\n", _HTML, head=head)
        if path == "/bad/truncated.html":
            cut = _ARTICLE_START + '<p>The cranes were shipped from Shanghai and will be</p>\n<p class="le'
            return send_body(handler, 200, cut.encode(), _HTML, head=head)
        if path == "/bad/not-xml.rss":
            body = b"<html><body><h1>502 Bad Gateway</h1><p>upstream timed out</body>"
            return send_body(handler, 200, body, "application/rss+xml; charset=utf-8", head=head)
        if path == "/bad/redirect-loop":
            handler.send_response(302)
            handler.send_header("Location", handler.path)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return 302
        if path == "/bad/drip":
            return self._drip(handler)
        return self._hang(handler)

    def _oversized(self, handler: BaseHTTPRequestHandler, *, head: bool) -> int:
        chunk = (
            "<p>Filler paragraph for a page that is far too large to be a real news article.</p>\n" * 800
        ).encode()
        count = OVERSIZED_BYTES // len(chunk)
        handler.send_response(200)
        handler.send_header("Content-Type", _HTML)
        handler.send_header("Content-Length", str(len(chunk) * count))
        handler.end_headers()
        if not head:
            for _ in range(count):
                handler.wfile.write(chunk)
        return 200

    def _drip(self, handler: BaseHTTPRequestHandler) -> int:
        handler.send_response(200)
        handler.send_header("Content-Type", _HTML)
        handler.send_header("Content-Length", str(10_000_000))
        handler.end_headers()
        handler.close_connection = True
        while not self.stopping.wait(0.1):
            handler.wfile.write(b" ")
            handler.wfile.flush()
        return 200

    def _hang(self, handler: BaseHTTPRequestHandler) -> int:
        handler.close_connection = True
        self.stopping.wait()
        return 0
