"""A real HTTP webhook receiver on 127.0.0.1 for tests: records every POST, answers scripted statuses.

with WebhookSink() as hook:
    url = hook.url("/hook")                 # "json://127.0.0.1:PORT/hook" for apprise
    hook.statuses = [500, 200]              # answers, consumed one per request; then 200
    ...
    path, headers, body = hook.requests[0]  # headers keyed in lower case, body parsed JSON (or None)
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, NamedTuple


class WebhookRequest(NamedTuple):
    path: str
    headers: dict[str, str]  # lower-case names
    json: Any  # the parsed body, or None when it was not JSON


class WebhookSink:
    """An http.server in a thread; `.requests` lists what arrived, `.statuses` scripts the answers."""

    def __init__(self) -> None:
        self.requests: list[WebhookRequest] = []
        self.statuses: list[int] = []
        self.delay = 0.0  # seconds to wait before answering each request (a slow receiver)
        # when set: each answer waits (up to 30 s) until the test sets the event, whatever the machine's load
        self.gate: threading.Event | None = None
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "WebhookSink is not started"
        port: int = self._server.server_address[1]
        return port

    def url(self, path: str = "/hook", scheme: str = "json") -> str:
        """An apprise URL (json://, xml://, form://) or with scheme="http" a plain URL to this receiver."""
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def _record(self, path: str, headers: dict[str, str], body: bytes) -> int:
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        with self.lock:
            self.requests.append(WebhookRequest(path, headers, parsed))
            return self.statuses.pop(0) if self.statuses else 200

    def start(self) -> WebhookSink:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                status = sink._record(self.path, headers, body)
                if sink.delay:
                    time.sleep(sink.delay)
                gate = sink.gate
                if gate is not None:
                    gate.wait(timeout=30)
                payload = b'{"ok": true}' if status < 400 else b'{"error": "scripted failure"}'
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender went away (a test killed it): what arrived is recorded all the same

            do_PUT = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for(self, count: int, timeout: float = 5.0) -> list[WebhookRequest]:
        """Everything received once at least `count` have arrived; AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.01)
        with self.lock:
            got = len(self.requests)
        raise AssertionError(f"expected {count} requests within {timeout:g} s, {got} arrived")

    def __enter__(self) -> WebhookSink:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
