"""Credentials out of everything pantau shows: URLs and free text, before a terminal, log, store or message.

Pure (no I/O, no clock). For a notification URL that apprise can read, apprise's own privacy rendering
(`url(privacy=True)`, which masks what each plugin declares private) says which parts are secret; on top
of that, and alone for URLs apprise cannot read, generic rules hide the password of `user:password@`,
token-like host and path parts of service URLs, and the values of secret-named query parameters
(`?api_key=…`, `?token=…`, `?+X-Token=…`). It must never make a URL longer or reveal more than it got.
"""

from __future__ import annotations

import difflib
import logging
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote

REDACTED = "***"
MIN_SECRET = 3  # shorter "secrets" would mangle ordinary words when scrubbed out of free text

# Schemes that are no apprise service (web pages, and pantau's own stdout://): no need to load apprise.
_NOT_APPRISE = frozenset({"http", "https", "stdout"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
# Schemes whose host, user and path are addresses, not credentials: only passwords and secret-named
# query values are hidden there. Every other service tends to carry tokens in host and path segments.
_ADDRESS_SCHEMES = frozenset(
    {"json", "jsons", "xml", "xmls", "form", "forms", "mailto", "mailtos", "stdout", "http", "https"}
)
_SECRET_WORDS = ("pass", "pwd", "pw", "secret", "token", "key", "auth", "sig", "cred", "session")
_DELIMS = "/:@?&=#,"
_PARTS = re.compile(r"([/:@?&=#,])")
# A URL inside free text: up to white space or a quote; trailing sentence punctuation is not part of it.
_URL_IN_TEXT = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]*")
_USERINFO_IN_TEXT = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@")


def redact_url(url: str) -> str:
    """The URL with passwords, tokens and keys replaced by "***", safe to print, log or store."""
    merged: list[list[int]] = []
    for begin, end in sorted(_secret_spans(url) + _occurrences(url, _apprise_secrets(url))):
        if merged and begin <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        elif end > begin:
            merged.append([begin, end])
    out: list[str] = []
    pos = 0
    for begin, end in merged:
        out += [url[pos:begin], REDACTED]
        pos = end
    out.append(url[pos:])
    return "".join(out)


def secrets_of(url: str) -> frozenset[str]:
    """The credential strings inside a URL (as written and percent-decoded), for scrubbing free text."""
    found = {url[begin:end] for begin, end in _secret_spans(url)} | set(_apprise_secrets(url))
    found |= {unquote(secret) for secret in found}
    # A library that misreads a password with an unencoded "/" or "@" logs pieces of it: hide those too.
    pieces = {piece for secret in found for piece in _PARTS.split(secret) if len(piece) > MIN_SECRET}
    return frozenset(secret for secret in found | pieces if len(secret) >= MIN_SECRET)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Free text (an error reason, a log line) with every URL in it redacted and every known secret hidden.

    `secrets` are strings known to be secret wherever they appear: the credentials of the configured
    channel URLs and the values substituted from the environment into them.
    """
    for secret in sorted({s for s in secrets if len(s) >= MIN_SECRET}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
        encoded = quote(secret, safe="")
        if encoded != secret:
            text = text.replace(encoded, REDACTED)
    text = _URL_IN_TEXT.sub(lambda m: _redact_url_in_text(m.group(0)), text)
    return _USERINFO_IN_TEXT.sub(rf"\1{REDACTED}@", text)


class LogScrubber(logging.Filter):
    """Rewrites the records of the loggers it guards (apprise's) so they carry no secret: every
    URL in them is redacted and every known secret (`add`) hidden. pantau's own log lines are redacted
    where they are written; these loggers belong to libraries that print URLs as they got them."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    def add(self, secrets: Iterable[str]) -> None:
        with self._lock:
            self.secrets |= set(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_text(message, self.secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


SCRUBBER = LogScrubber()


def guard_logger(name: str) -> None:
    """Put SCRUBBER on a library's logger (once): its records lose their secrets before any handler."""
    logger = logging.getLogger(name)
    if SCRUBBER not in logger.filters:
        logger.addFilter(SCRUBBER)


def _redact_url_in_text(found: str) -> str:
    url = found.rstrip(".,;:)]}")
    return redact_url(url) + found[len(url) :]


# --- apprise's own view of what is private ------------------------------------------------------------


class _Collect(logging.Filter):
    """Takes the apprise records of one thread out of the log and keeps the text of its warnings.

    Whoever reads a URL reports its own redacted message, so apprise's line for the same problem is not
    shown too; records from other threads (sends in progress) pass untouched.
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
def apprise_warnings() -> Iterator[list[str]]:
    """Within the block, this thread's apprise log records are kept out of the log and collected."""
    collector = _Collect()
    logger = logging.getLogger("apprise")
    logger.addFilter(collector)
    try:
        yield collector.messages
    finally:
        logger.removeFilter(collector)


@lru_cache(maxsize=1)
def plugins() -> Any:
    """apprise's plugin table (scheme -> plugin class), imported on first use: apprise takes a visible
    share of a second to load, and commands that never read a channel URL should not pay it."""
    from apprise.manager_plugins import NotificationManager

    return NotificationManager()  # type: ignore[no-untyped-call]


@lru_cache(maxsize=512)
def _apprise_secrets(url: str) -> tuple[str, ...]:
    """What apprise masks when it prints this URL privately: the parts that differ from the plain print."""
    match = _SCHEME.match(url)
    if match is None or match.group(1).lower() in _NOT_APPRISE or match.group(1).lower() not in plugins():
        return ()
    import apprise

    try:
        with apprise_warnings():
            service = apprise.Apprise.instantiate(url, suppress_exceptions=False)
            if service is None:
                return ()
            plain = service.url(privacy=False)  # type: ignore[no-untyped-call]
            private = service.url(privacy=True)  # type: ignore[no-untyped-call]
    except Exception:  # any URL apprise cannot read is left to the generic rules
        return ()
    a, b = _PARTS.split(plain), _PARTS.split(private)
    secrets: set[str] = set()
    for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            secret = "".join(a[i1:i2]).strip(_DELIMS)
            if secret:
                secrets |= {secret, unquote(secret)}
    return tuple(sorted(secrets))


def _occurrences(url: str, secrets: Iterable[str]) -> list[tuple[int, int]]:
    """Where each secret stands in the URL as a whole part (between delimiters), as written or encoded."""
    spans: list[tuple[int, int]] = []
    for secret in secrets:
        for form in {secret, quote(secret, safe="")}:
            pattern = rf"(?<![^{re.escape(_DELIMS)}]){re.escape(form)}(?![^{re.escape(_DELIMS)}])"
            spans += [m.span() for m in re.finditer(pattern, url)]
    return spans


# --- generic rules --------------------------------------------------------------------------------------


def _tokenish(part: str) -> bool:
    """Does this host/user/path part of a service URL look like a credential rather than an address?"""
    if len(part) < 8 or "." in part or part[0] in "#@":
        return False
    return not part.lstrip("+-").isdigit()


def _secret_spans(url: str) -> list[tuple[int, int]]:
    """Where the credentials sit in a URL by the generic rules, as (start, end) character offsets."""
    match = _SCHEME.match(url)
    if match is None:
        return [(0, len(url))] if url else []  # no recognisable shape: hide all of it
    scheme, start = match.group(1).lower(), match.end()
    address = scheme in _ADDRESS_SCHEMES
    # Tokens in host and path are guessed only where apprise could not say which parts are private.
    guess = not address and not _apprise_secrets(url)
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
        if guess and _tokenish(url[start:user_end]):
            spans.append((start, user_end))
        host_start = at + 1
    slash = url.find("/", host_start, main_end)
    auth_end = slash if slash >= 0 else main_end
    if guess:
        spans += _token_parts(url, host_start, auth_end, main_end)
    if query_at >= 0:
        spans += _secret_query_values(url, query_at + 1)
    return spans


_HOST_THEN_END = re.compile(r"(?:[A-Za-z0-9._~%-]+|\[[0-9A-Fa-f:.]+\])(?::[^/?#@\s]*)?(?:[/?#]|$)")


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
