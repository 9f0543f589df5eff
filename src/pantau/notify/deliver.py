"""Messages -> channels: hands a message to every apprise URL of a channel and says whether all took it.

This is an I/O edge (the network, and standard output for the built-in `stdout://`). It never renders,
retries or decides what is due (the outbox does), and it must never let a channel secret (password, token,
key) reach an exception message or a log line: reasons are redacted before anyone sees them, and a filter
on the `apprise` logger scrubs the secrets of every channel URL pantau has been given.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote

import apprise
from apprise.decorators import notify as apprise_notify
from apprise.manager_plugins import NotificationManager

from pantau.errors import ConfigError, DeliveryError
from pantau.notify.render import Message, to_plain

DELIVERY_HEADER = "X-Pantau-Delivery"
REDACTED = "***"

_PLUGINS = NotificationManager()  # type: ignore[no-untyped-call]
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
# Schemes whose host, user and path are addresses, not credentials: only passwords and secret-named
# query values are hidden there. Every other service tends to carry tokens in host and path segments.
_ADDRESS_SCHEMES = frozenset(
    {"json", "jsons", "xml", "xmls", "form", "forms", "mailto", "mailtos", "stdout", "http", "https"}
)
_SECRET_WORDS = ("pass", "pwd", "pw", "secret", "token", "key", "auth", "sig", "cred", "session")
_STDOUT_LOCK = threading.Lock()
_MIN_SCRUB = 3  # shorter "secrets" would mangle ordinary words when scrubbed out of free text


def _print_to_stdout(body: str, title: str, *args: Any, **kwargs: Any) -> bool:
    """The built-in `stdout://` channel: the plain body, flushed at once (systemd, pipes)."""
    fmt = kwargs.get("body_format")
    if str(getattr(fmt, "value", fmt)).lower() == "markdown":
        body = to_plain(body)  # titles are plain text already (see render.Message)
    # pantau's bodies open with the article title, so the subject line would only repeat it here.
    text = body if body.strip() else title
    with _STDOUT_LOCK:  # apprise sends from a thread pool: keep two messages from interleaving
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
    return True


if "stdout" not in _PLUGINS:  # registering twice makes apprise warn and keep the first
    apprise_notify(on="stdout", name="pantau standard output")(_print_to_stdout)  # type: ignore[no-untyped-call]


# --- redaction -------------------------------------------------------------------------------------


def _tokenish(part: str) -> bool:
    """Does this host/user/path part of a service URL look like a credential rather than an address?"""
    if len(part) < 8 or "." in part or part[0] in "#@":
        return False
    return not part.lstrip("+-").isdigit()


def _secret_spans(url: str) -> list[tuple[int, int]]:
    """Where the credentials sit in a notification URL, as (start, end) character offsets."""
    match = _SCHEME.match(url)
    if match is None:
        return [(0, len(url))] if url else []  # no recognisable shape: hide all of it
    scheme, start = match.group(1).lower(), match.end()
    address = scheme in _ADDRESS_SCHEMES
    at = _userinfo_end(url, start) if address else _token_userinfo_end(url, start)
    query_at = url.find("?", max(at, start))
    main_end = query_at if query_at >= 0 else len(url)
    spans: list[tuple[int, int]] = []
    host_start = start
    if at >= 0:
        colon = url.find(":", start, at)
        user_end = colon if colon >= 0 else at
        if colon >= 0 and colon + 1 < at:
            spans.append((colon + 1, at))
        if not address and _tokenish(url[start:user_end]):
            spans.append((start, user_end))
        host_start = at + 1
    slash = url.find("/", host_start, main_end)
    auth_end = slash if slash >= 0 else main_end
    if not address:
        spans += _token_parts(url, host_start, auth_end, main_end)
    if query_at >= 0:
        spans += _secret_query_values(url, query_at + 1)
    return spans


_HOST_THEN_END = re.compile(r"(?:[A-Za-z0-9._~%-]+|\[[0-9A-Fa-f:.]+\])(?::\d*)?(?:[/?#]|$)")


def _userinfo_end(url: str, start: int) -> int:
    """The "@" that ends user:password in a mail/webhook URL, or -1.

    Passwords pasted from the environment may hold an unencoded "@", "/", "?" or "#", so this takes the
    last "@" that is followed by a host name, skipping any inside a query value such as to=desk@example.org.
    """
    for at in range(len(url) - 1, start - 1, -1):
        if url[at] != "@":
            continue
        before = url[start:at]
        segment = before[max(before.rfind("?"), before.rfind("&")) :]
        if ("?" in before or "&" in before) and "=" in segment:
            continue
        if _HOST_THEN_END.match(url, at + 1):
            return at
    return -1


def _token_userinfo_end(url: str, start: int) -> int:
    ends = [i for i in (url.find("/", start), url.find("?", start)) if i >= 0]
    return url.rfind("@", start, min(ends) if ends else len(url))


def _token_parts(url: str, host_start: int, auth_end: int, main_end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    colon = url.find(":", host_start, auth_end)
    host_end = colon if colon >= 0 else auth_end
    if colon >= 0 and not url[colon + 1 : auth_end].isdigit():
        spans.append((colon + 1, auth_end))  # "id:secret" bot tokens sit where a port would
    pos = host_start
    for part in re.split(r"[/:]", url[host_start:main_end]):
        if _tokenish(part) and not (pos < host_end and pos + len(part) > host_end):
            spans.append((pos, pos + len(part)))
        pos += len(part) + 1
    return spans


def _secret_query_values(url: str, start: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = start
    for pair in url[start:].split("&"):
        name, eq, value = pair.partition("=")
        lowered = name.lower().lstrip("+-:")
        if eq and value and any(word in lowered for word in _SECRET_WORDS):
            spans.append((pos + len(name) + 1, pos + len(pair)))
        pos += len(pair) + 1
    return spans


def redact_url(url: str) -> str:
    """The URL with passwords, tokens and keys replaced by "***", safe to print or log."""
    out: list[str] = []
    pos = 0
    for begin, end in sorted(_secret_spans(url)):
        if end <= pos:
            continue
        out += [url[pos : max(begin, pos)], REDACTED]
        pos = end
    out.append(url[pos:])
    return "".join(out)


def secrets_of(url: str) -> set[str]:
    """The credential strings inside a channel URL (as written and percent-decoded)."""
    found = {url[begin:end] for begin, end in _secret_spans(url)}
    found |= {unquote(secret) for secret in found}
    return {secret for secret in found if len(secret) >= _MIN_SCRUB}


def redact_text(text: str, urls: Sequence[str]) -> str:
    """Free text (an error reason, a log line) with every secret of `urls` replaced by "***"."""
    for secret in sorted(set().union(*(secrets_of(u) for u in urls)) if urls else (), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    # Any URL with a password that we were not told about still loses the password.
    return re.sub(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@", rf"\1{REDACTED}@", text)


class _ScrubApprise(logging.Filter):
    """Rewrites apprise's own log records so they cannot carry a secret of a known channel URL."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: set[str] = set()
        self._lock = threading.Lock()

    def add(self, urls: Sequence[str]) -> None:
        with self._lock:
            self.urls |= set(urls)

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            urls = sorted(self.urls)
        message = record.getMessage()
        cleaned = redact_text(message, urls)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_SCRUBBER = _ScrubApprise()
logging.getLogger("apprise").addFilter(_SCRUBBER)


# --- validation ------------------------------------------------------------------------------------


class _Collect(logging.Filter):
    """Takes the apprise records of one thread out of the log and keeps their text as the reason.

    Validation reports its own redacted message, so apprise's line for the same problem is not shown too;
    records from other threads (sends in progress) pass untouched.
    """

    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.thread != self.thread:
            return True
        if record.levelno >= logging.WARNING:
            self.messages.append(record.getMessage())
        return False


@contextmanager
def _apprise_warnings() -> Iterator[list[str]]:
    collector = _Collect()
    logger = logging.getLogger("apprise")
    logger.addFilter(collector)
    try:
        yield collector.messages
    finally:
        logger.removeFilter(collector)


def _instantiate(url: str, headers: Mapping[str, str] | None = None) -> Any:
    """An apprise service for the URL (with extra HTTP/mail headers where the service takes them)."""
    scheme = url.split("://", 1)[0].lower()
    plugin = _PLUGINS[scheme]
    spec: str | dict[str, Any] = url
    if headers and "headers" in getattr(plugin, "template_kwargs", {}):
        parsed = plugin.parse_url(url)
        if parsed is not None:
            parsed["headers"] = {**(parsed.get("headers") or {}), **headers}
            spec = parsed
    return apprise.Apprise.instantiate(spec, suppress_exceptions=False)


def validate_channel_url(url: str) -> str | None:
    """None when apprise can build a service from the URL; otherwise what is wrong, with secrets redacted."""
    if not isinstance(url, str) or not url.strip():
        return "empty notification URL"
    match = _SCHEME.match(url.strip())
    if match is None:
        return "notification URL has no scheme (expected e.g. mailtos://user:pass@host or tgram://token/chat)"
    scheme = match.group(1).lower()
    if scheme not in _PLUGINS:
        return f"unsupported notification URL scheme '{scheme}://'"
    _SCRUBBER.add([url])
    if not _PLUGINS[scheme].enabled:
        return f"notification URL scheme '{scheme}://' is not available on this system (missing dependency)"
    with _apprise_warnings() as warnings:
        try:
            service = _instantiate(url.strip())
        except Exception as exc:  # apprise reports a bad URL by raising from the plugin's constructor
            warnings.append(str(exc) or type(exc).__name__)
            service = None
    if service is not None:
        return None
    reason = warnings[-1] if warnings else "apprise could not read it"
    return f"invalid {scheme}:// URL {redact_url(url.strip())}: {redact_text(reason, [url])}"


# --- delivery --------------------------------------------------------------------------------------


class Notifier:
    """Sends messages to named channels; each channel is one or more apprise URLs that must all succeed."""

    def __init__(self, channels: Mapping[str, Sequence[str]]) -> None:
        self._channels: dict[str, tuple[str, ...]] = {}
        for name, urls in channels.items():
            urls = tuple(u.strip() for u in ((urls,) if isinstance(urls, str) else urls))
            for url in urls:
                problem = validate_channel_url(url)
                if problem is not None:
                    raise ConfigError(f"channels.{name}: {problem}")
            self._channels[name] = urls
            _SCRUBBER.add(urls)

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
            service = _instantiate(url, headers)
            sender = apprise.Apprise()
            sender.add(service)
            result = await sender.async_notify(
                body=message.body, title=message.title, body_format=_body_format(message)
            )
        except Exception as exc:  # any plugin failure is the channel's failure, never a crash of the poll
            return f"{where}: {redact_text(str(exc) or type(exc).__name__, [url])}"
        if result:
            return None
        return f"{where}: {redact_text(_reason(result), [url])}"


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
