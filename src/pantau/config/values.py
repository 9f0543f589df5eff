"""One reader per value type of the key table: a YAML value in, a typed value out, or Invalid.

Pure functions of the value (the key's limits and choices come with it); where the value sits in the file
is the builder's business. A message starts with what is wrong; the hint says how to write it instead, so
the two never say the same thing twice.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pantau.channels import port_problem, template_problem, validate_channel_url
from pantau.config.keys import Key
from pantau.extract import selector_error
from pantau.redact import redact_url
from pantau.schedule import parse_digest, parse_duration, parse_quiet

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_HTTP_URL = re.compile(r"^https?://[^/\s]+")
POSTGRES_HINT = "pip install 'pantau[postgres]'"


class Invalid(ValueError):
    """A value that does not fit its key: `message` starts with "must …" or says what is wrong."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


def listed(value: Any) -> list[Any]:
    """The items of a YAML list, or the one value where a list may be written as a single item."""
    return value if isinstance(value, list) else [value]


def text(value: Any, key: Key | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(
            "must be a non-empty text", "quote the value" if isinstance(value, bool | int | float) else None
        )
    return value.strip()


def texts(value: Any, key: Key | None = None) -> tuple[str, ...]:
    if isinstance(value, list) and not value:
        raise Invalid("must not be empty")
    return tuple(text(item) for item in listed(value))


def name(value: Any, key: Key | None = None) -> str:
    written = text(value)
    if not NAME.match(written):
        raise Invalid(f"'{written}' may only use letters, digits, '_', '-' and '.'")
    return written


def duration(value: Any, key: Key | None = None) -> timedelta:
    try:
        return parse_duration(text(value))
    except ValueError as exc:
        raise Invalid(str(exc)) from None  # the message says how to write one


def duration_or_off(value: Any, key: Key | None = None) -> timedelta | None:
    """A duration, or None for `off` (YAML reads a bare off as false)."""
    if value is False or (isinstance(value, str) and value.strip().lower() == "off"):
        return None
    try:
        return parse_duration(text(value))
    except ValueError as exc:
        raise Invalid(str(exc), "or off, for none") from None


def quiet(value: Any, key: Key | None = None) -> Any:
    try:
        return parse_quiet(text(value))
    except ValueError as exc:
        raise Invalid(str(exc)) from None


def digest(value: Any, key: Key | None = None) -> Any:
    try:
        return parse_digest(text(value))
    except ValueError as exc:
        raise Invalid(str(exc)) from None


def count(value: Any, key: Key | None = None) -> int:
    return integer(value, key, default_minimum=1)


def integer(value: Any, key: Key | None = None, default_minimum: int | None = None) -> int:
    low = key.minimum if key and key.minimum is not None else default_minimum
    high = key.maximum if key else None
    if isinstance(value, bool) or not isinstance(value, int):
        quoted = isinstance(value, str) and value.strip().lstrip("-").isdigit()
        raise Invalid(_whole(low, high), "write it without quotes" if quoted else None)
    if (low is not None and value < low) or (high is not None and value > high):
        raise Invalid(_whole(low, high))
    return value


def _whole(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"must be a whole number from {low} to {high}"
    return f"must be a whole number of at least {low}" if low is not None else "must be a whole number"


def flag(value: Any, key: Key | None = None) -> bool:
    if not isinstance(value, bool):
        quoted = isinstance(value, str) and value.strip().lower() in ("true", "false")
        raise Invalid("must be true or false", "remove the quotes" if quoted else None)
    return value


def choice(value: Any, key: Key | None = None) -> str:
    choices = key.choices if key else ()
    written = text(value)
    if written not in choices:
        raise Invalid(f"must be one of {', '.join(choices)}, not '{written}'")
    return written


def selector(value: Any, key: Key | None = None) -> str:
    css = text(value)
    if selector_error(css):
        raise Invalid(f"invalid CSS selector {css!r}")
    return css


def selectors(value: Any, key: Key | None = None) -> tuple[str, ...]:
    return tuple(selector(item) for item in listed(value))


def pattern(value: Any, key: Key | None = None) -> re.Pattern[str]:
    written = text(value)
    try:
        return re.compile(written)
    except re.error as exc:
        raise Invalid(f"is not a valid regular expression: {exc}") from None


def template(value: Any, key: Key | None = None) -> str:
    written = text(value)
    problem = template_problem(written)
    if problem:
        raise Invalid(problem)
    return written


def timezone(value: Any, key: Key | None = None) -> ZoneInfo:
    written = text(value)
    try:
        return ZoneInfo(written)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"unknown time zone '{written}'", "use an IANA name such as Asia/Jakarta") from None


def http_url(value: Any, key: Key | None = None) -> str:
    url = text(value)
    if not _HTTP_URL.match(url):
        raise Invalid(f"must start with http:// or https:// ({redact_url(url)})")
    problem = port_problem(url)
    if problem:
        raise Invalid(f"{problem} in {redact_url(url)}")
    return url


def channel_urls(value: Any, key: Key | None = None) -> tuple[str, ...]:
    urls = texts(value)
    for url in urls:
        problem = validate_channel_url(url)
        if problem:
            raise Invalid(problem, "see the Apprise URL formats: https://github.com/caronc/apprise/wiki")
    return urls


def database(value: Any, key: Key | None = None) -> str:
    """The SQLAlchemy URL as written, checked: a known scheme, a sane port, the driver importable."""
    url = text(value)
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        problem = port_problem(url)
        if problem:
            raise Invalid(f"{problem} in {redact_url(url)}")
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise Invalid(
                "PostgreSQL needs the psycopg driver, which is not installed", POSTGRES_HINT
            ) from None
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if scheme == "sqlite":
        return url
    raise Invalid(
        f"unsupported database URL {redact_url(url)}",
        "write sqlite:///FILE (e.g. sqlite:///pantau.db) or postgresql://USER@HOST/DB",
    )


def listen(value: Any, key: Key | None = None) -> tuple[str, int]:
    """`HOST:PORT` (IPv6 in brackets: `[::1]:8787`) -> (host, port); port 0 takes any free port."""
    written = text(value)
    host, sep, port = written.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise Invalid(f"'{written}' is not HOST:PORT", "e.g. 127.0.0.1:8787 or 0.0.0.0:8787")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise Invalid(f"'{written}' is not HOST:PORT", "write an IPv6 address in brackets, e.g. [::1]:8787")
    return host, int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may well resolve to a public address


READERS: dict[str, Callable[..., Any]] = {
    "text": text,
    "name": name,
    "ref": text,
    "refs": texts,
    "selector": selector,
    "selectors": selectors,
    "pattern": pattern,
    "template": template,
    "timezone": timezone,
    "database": database,
    "http_url": http_url,
    "channel_urls": channel_urls,
    "duration": duration,
    "duration_or_off": duration_or_off,
    "quiet": quiet,
    "digest": digest,
    "count": count,
    "integer": integer,
    "flag": flag,
    "choice": choice,
    "listen": listen,
}
