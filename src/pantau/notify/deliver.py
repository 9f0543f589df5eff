"""Messages -> channels: hands a message to every apprise URL of a channel and says whether all took it.

This is an I/O edge (the network, and standard output for the built-in `stdout://`). It never renders,
retries or decides what is due (the outbox does), and it must never let a channel secret (password, token,
key) reach an exception message or a log line: reasons are redacted before anyone sees them, and a filter
on the `apprise` logger scrubs the secrets of every channel URL pantau has been given.

`stdout://` is pantau's own channel and written here directly: apprise (~0.2 s to import, ~0.3 s more for
its plugin table) is loaded only when a message goes to a URL of another scheme.
"""

from __future__ import annotations

import asyncio
import os
import select
import stat
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import IO, Any

from pantau.channels import instantiate, validate_channel_url
from pantau.errors import ConfigError, DeliveryError
from pantau.notify.render import Message, to_plain
from pantau.redact import SCRUBBER, guard_logger, redact_text, redact_url, secrets_of

DELIVERY_HEADER = "X-Pantau-Delivery"
STDOUT_SEPARATOR = "-" * 60  # ends every message on stdout://, so one alert never runs into the next
_STDOUT_LOCK = threading.Lock()  # two channels printing at once never interleave their messages


def _stdout_text(message: Message) -> str:
    """The built-in `stdout://` channel shows the plain body, then the separator and a blank line."""
    body = message.body.rstrip()  # as apprise hands a body to its plugins
    if message.format == "markdown":
        body = to_plain(body)
    # pantau's bodies open with the article title, so the subject line would only repeat it here.
    text = body if body.strip() else message.title.strip()
    return text.rstrip("\n") + "\n" + STDOUT_SEPARATOR + "\n\n"


def _write(stream: IO[str], text: str) -> None:
    stream.write(text)
    stream.flush()  # at once: systemd, pipes


def _write_locked(stream: IO[str], text: str) -> None:
    with _STDOUT_LOCK:
        _write(stream, text)


def _cannot_block(stream: IO[str], text: str) -> bool:
    """Whether writing `text` now is sure to return at once: a file, /dev/null or an in-memory stream,
    or a pipe, socket or terminal with room for it (no more than PIPE_BUF bytes, so written whole)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return True  # no descriptor: an in-memory stream
    try:
        found = os.fstat(fd)
    except OSError:
        return False
    if stat.S_ISREG(found.st_mode) or (stat.S_ISCHR(found.st_mode) and found.st_rdev == _null_device()):
        return True  # without asking poll(), a system call more per message
    if not hasattr(select, "poll") or len(text.encode(errors="replace")) > select.PIPE_BUF:
        return False
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & select.POLLOUT for _fd, events in poller.poll(0))


@cache
def _null_device() -> int | None:
    """The device number of /dev/null (a character device, like a terminal, but one that never blocks)."""
    try:
        found = os.stat(os.devnull)
    except OSError:
        return None
    return found.st_rdev if stat.S_ISCHR(found.st_mode) else None


async def _print(message: Message) -> None:
    """Print on the event loop when that cannot block; else from a thread, so a reader that stopped
    reading (a full pipe, a paused terminal) holds up this channel only, never the service."""
    stream, text = sys.stdout, _stdout_text(message)  # looked up at each use: redirection is honoured
    if _STDOUT_LOCK.acquire(blocking=False):
        try:
            if _cannot_block(stream, text):
                _write(stream, text)
                return
        finally:
            _STDOUT_LOCK.release()
    await asyncio.get_running_loop().run_in_executor(None, _write_locked, stream, text)


guard_logger("apprise")  # apprise logs URLs and server answers as it got them


# --- delivery --------------------------------------------------------------------------------------


class Notifier:
    """Sends messages to named channels; each channel is one or more apprise URLs that must all succeed."""

    def __init__(self, channels: Mapping[str, Sequence[str]], secrets: Iterable[str] = ()) -> None:
        """`secrets`: values known to be secret beyond what the URLs show (those substituted from the
        environment into them); they are scrubbed from every reason and apprise log line too."""
        self._channels: dict[str, tuple[str, ...]] = {}
        self._secrets = frozenset(secrets)
        self._stdout: set[str] = set()  # the URLs of the built-in stdout:// channel, printed here
        for name, urls in channels.items():
            urls = tuple(u.strip() for u in ((urls,) if isinstance(urls, str) else urls))
            for url in urls:
                problem = validate_channel_url(url)
                if problem is not None:
                    raise ConfigError(f"channels.{name}: {problem}")
            self._channels[name] = urls
            self._stdout |= {url for url in urls if url.lower().startswith("stdout://")}
            self._secrets |= set().union(*(secrets_of(url) for url in urls))
        SCRUBBER.add(self._secrets)

    async def send(self, channel: str, message: Message, *, key: str | None = None) -> None:
        """Deliver to every URL of `channel` at once; DeliveryError unless every one reported success.

        `key` is the delivery's idempotency key: HTTP webhooks and mail get it as an X-Pantau-Delivery
        header so a receiver can drop a repeat after a retry.
        """
        urls = self._channels.get(channel)
        if urls is None:
            known = ", ".join(sorted(self._channels)) or "none"
            raise DeliveryError(f"notify: unknown channel '{channel}' (configured: {known})")
        if len(urls) == 1:  # the common case, without a task per URL
            reasons = [await self._send_one(urls[0], message, key)]
        else:
            reasons = await asyncio.gather(*(self._send_one(url, message, key) for url in urls))
        failed = [reason for reason in reasons if reason is not None]
        if failed:
            raise DeliveryError(f"notify: channel '{channel}' failed: " + "; ".join(failed))

    async def _send_one(self, url: str, message: Message, key: str | None) -> str | None:
        """None on success, else the redacted reason (prefixed with the redacted URL)."""
        if url in self._stdout:
            try:
                await _print(message)
            except (OSError, ValueError) as exc:  # standard output closed or gone
                return f"{redact_url(url)}: {str(exc) or type(exc).__name__}"
            return None
        import apprise  # only now: see the module's docstring

        headers = {DELIVERY_HEADER: _header_value(key)} if key else None

        where = redact_url(url)

        try:
            service = instantiate(url, headers)
            sender = apprise.Apprise()
            sender.add(service)
            result = await sender.async_notify(
                body=message.body, title=message.title, body_format=_body_format(message)
            )
        except Exception as exc:  # any plugin failure is the channel's failure, never a crash of the poll
            return f"{where}: {redact_text(str(exc) or type(exc).__name__, self._secrets)}"
        if result:
            return None
        return f"{where}: {redact_text(_reason(result), self._secrets)}"


def _body_format(message: Message) -> str:
    import apprise

    formats = {"markdown": apprise.NotifyFormat.MARKDOWN, "html": apprise.NotifyFormat.HTML}
    return formats.get(message.format, apprise.NotifyFormat.TEXT)


def _header_value(key: str) -> str:
    # A header value must stay on one line; a key with CR/LF would otherwise split the request.
    return "".join(ch for ch in key if ch.isprintable())


def _reason(result: Any) -> str:
    """The last warning apprise logged for a failed send, else its status name."""
    messages: list[str] = []
    for service_result in result:
        for entry in service_result.logs():
            if str(entry.level).upper() in ("WARNING", "ERROR", "CRITICAL"):
                messages.append(str(entry.message))
    if messages:
        return messages[-1]
    return str(getattr(result.status, "name", "failed")).lower()
