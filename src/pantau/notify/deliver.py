"""Messages -> channels: hands a message to every apprise URL of a channel and says whether all took it.

This is an I/O edge (the network, and standard output for the built-in `stdout://`). It never renders,
retries or decides what is due (the outbox does), and it must never let a channel secret (password, token,
key) reach an exception message or a log line: reasons are redacted before anyone sees them, and a filter
on the `apprise` logger scrubs the secrets of every channel URL pantau has been given.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import apprise
from apprise.decorators import notify as apprise_notify

from pantau.channels import instantiate, validate_channel_url
from pantau.errors import ConfigError, DeliveryError
from pantau.notify.render import Message, to_plain
from pantau.redact import SCRUBBER, guard_logger, plugins, redact_text, redact_url, secrets_of

DELIVERY_HEADER = "X-Pantau-Delivery"
STDOUT_SEPARATOR = "-" * 60  # ends every message on stdout://, so one alert never runs into the next
_STDOUT_LOCK = threading.Lock()


def _print_to_stdout(body: str, title: str, *args: Any, **kwargs: Any) -> bool:
    """The built-in `stdout://` channel: the plain body, flushed at once (systemd, pipes)."""
    fmt = kwargs.get("body_format")
    if str(getattr(fmt, "value", fmt)).lower() == "markdown":
        body = to_plain(body)  # titles are plain text already (see render.Message)
    # pantau's bodies open with the article title, so the subject line would only repeat it here.
    text = body if body.strip() else title
    with _STDOUT_LOCK:  # apprise sends from a thread pool: keep two messages from interleaving
        sys.stdout.write(text.rstrip("\n") + "\n" + STDOUT_SEPARATOR + "\n\n")
        sys.stdout.flush()
    return True


if "stdout" not in plugins():  # registering twice makes apprise warn and keep the first
    apprise_notify(on="stdout", name="pantau standard output")(_print_to_stdout)  # type: ignore[no-untyped-call]


guard_logger("apprise")  # apprise logs URLs and server answers as it got them


# --- delivery --------------------------------------------------------------------------------------


class Notifier:
    """Sends messages to named channels; each channel is one or more apprise URLs that must all succeed."""

    def __init__(self, channels: Mapping[str, Sequence[str]], secrets: Iterable[str] = ()) -> None:
        """`secrets`: values known to be secret beyond what the URLs show (those substituted from the
        environment into them); they are scrubbed from every reason and apprise log line too."""
        self._channels: dict[str, tuple[str, ...]] = {}
        self._secrets = frozenset(secrets)
        for name, urls in channels.items():
            urls = tuple(u.strip() for u in ((urls,) if isinstance(urls, str) else urls))
            for url in urls:
                problem = validate_channel_url(url)
                if problem is not None:
                    raise ConfigError(f"channels.{name}: {problem}")
            self._channels[name] = urls
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
        headers = {DELIVERY_HEADER: _header_value(key)} if key else None
        reasons = await asyncio.gather(*(self._send_one(url, message, headers) for url in urls))
        failed = [reason for reason in reasons if reason is not None]
        if failed:
            raise DeliveryError(f"notify: channel '{channel}' failed: " + "; ".join(failed))

    async def _send_one(self, url: str, message: Message, headers: Mapping[str, str] | None) -> str | None:
        """None on success, else the redacted reason (prefixed with the redacted URL)."""
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
