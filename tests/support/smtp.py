"""A real SMTP server on 127.0.0.1 for tests: what pantau mails arrives here, parsed.

    with SmtpSink() as sink:
        url = f"mailto://127.0.0.1:{sink.port}?from=pantau@example.org&to=desk@example.org"
        ...
        assert sink.messages[0]["Subject"] == "..."

`reply` scripts the answer to DATA (e.g. "554 rejected") for failure tests; None accepts.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.sink.reply is not None:
            return self.sink.reply
        raw = envelope.original_content or envelope.content
        data = raw if isinstance(raw, bytes) else str(raw).encode()
        message = email.message_from_bytes(data, policy=email.policy.default)
        with self.sink.lock:
            self.sink.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.sink.messages.append(message)
        return "250 Message accepted"


class SmtpSink:
    """An aiosmtpd server in its own thread; `.messages` holds every mail received, in order."""

    def __init__(self) -> None:
        self.port = 0
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []  # (MAIL FROM, RCPT TO list) per message
        self.reply: str | None = None
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> SmtpSink:
        # aiosmtpd needs a concrete port to check readiness; retry if another test grabbed ours meanwhile.
        for attempt in range(5):
            port = free_port()
            controller = Controller(_Handler(self), hostname="127.0.0.1", port=port)
            try:
                controller.start()
            except Exception:
                if attempt == 4:
                    raise
                time.sleep(0.05)
                continue
            self.port, self._controller = port, controller
            return self
        raise RuntimeError("unreachable")

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def url(self, to: str = "desk@example.org", sender: str = "pantau@example.org") -> str:
        """An apprise URL that mails `to` through this server."""
        return f"mailto://127.0.0.1:{self.port}?from={sender}&to={to}"

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        """Everything received once at least `count` have arrived; AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.01)
        with self.lock:
            got = len(self.messages)
        raise AssertionError(f"expected {count} messages within {timeout:g} s, {got} arrived")

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
