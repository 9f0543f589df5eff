"""Channel settings read and checked, never sent: apprise URLs, message formats and template syntax.

Pure enough to run at config load (apprise builds a service object from a URL without touching the
network). config checks every channel with it, and notify builds its senders with `instantiate`; sending
is notify's job. Every problem it reports is already redacted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pantau.redact import apprise_warnings, plugins, redact_text, redact_url, secrets_of

FORMATS = ("markdown", "text", "html")
BUILTIN_SCHEMES = ("stdout",)  # pantau's own: written by notify.deliver itself, without apprise
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
# host:port after the scheme or after any "@" (a password may hold an unencoded "@" or "/", so every
# place a host could start is tried); a bot token "123:abc" is not a port.
_PORT = re.compile(r"(?:^[A-Za-z][A-Za-z0-9+.-]*://|@)(?:\[[^\]]*\]|[^:/?#@\[]*):(\d+)(?=[/?#@]|$)")


def port_problem(url: str) -> str | None:
    """'port 99999 is outside 1-65535' when the URL names such a port, else None."""
    for match in _PORT.finditer(url.split("?", 1)[0]):
        port = int(match.group(1))
        if not 1 <= port <= 65535:
            return f"port {port} is outside 1-65535"
    return None


def validate_channel_url(url: str) -> str | None:
    """None when apprise can build a service from the URL; otherwise what is wrong, with secrets redacted."""
    if not isinstance(url, str) or not url.strip():
        return "empty notification URL"
    url = url.strip()
    match = _SCHEME.match(url)
    if match is None:
        return "notification URL has no scheme (expected e.g. mailtos://user:pass@host or tgram://token/chat)"
    scheme = match.group(1).lower()
    shown = redact_url(url)
    problem = port_problem(url)
    if problem:
        return f"invalid {scheme}:// URL {shown}: {problem}"
    if scheme in BUILTIN_SCHEMES:
        return None
    if scheme not in plugins():
        return f"unsupported notification URL scheme '{scheme}://'"
    if not plugins()[scheme].enabled:
        return f"notification URL scheme '{scheme}://' is not available on this system (missing dependency)"
    with apprise_warnings() as warnings:
        try:
            service = instantiate(url)
        except Exception as exc:  # apprise reports a bad URL by raising from the plugin's constructor
            warnings.append(str(exc) or type(exc).__name__)
            service = None
    if service is not None:
        return None
    reason = warnings[-1] if warnings else "apprise could not read it"
    return f"invalid {scheme}:// URL {shown}: {redact_text(reason, secrets_of(url))}"


def instantiate(url: str, headers: Mapping[str, str] | None = None) -> Any:
    """An apprise service for the URL (with extra HTTP/mail headers where the service takes them)."""
    scheme = url.split("://", 1)[0].lower()
    import apprise

    plugin = plugins()[scheme]
    spec: str | dict[str, Any] = url
    if headers and "headers" in getattr(plugin, "template_kwargs", {}):
        parsed = plugin.parse_url(url)
        if parsed is not None:
            parsed["headers"] = {**(parsed.get("headers") or {}), **headers}
            spec = parsed
    return apprise.Apprise.instantiate(spec, suppress_exceptions=False)


def template_problem(text: str) -> str | None:
    """None when a message template parses; else its syntax error (escaping is notify's, per format)."""
    from jinja2 import Environment, TemplateSyntaxError

    try:
        Environment().parse(text)
    except TemplateSyntaxError as exc:
        return f"template syntax error on its line {exc.lineno}: {exc.message}"
    return None
