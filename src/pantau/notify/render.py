"""Alerts -> messages: the words a user reads, in markdown, with every scraped string made harmless.

Pure: takes alerts and a time zone, returns `Message` values. It must never send, log, read the clock or
let scraped text (titles, snippets, source names, URLs) become markdown syntax or raw HTML: apprise turns
markdown into HTML email and passes HTML inside markdown straight through.

Every scraped string is placed after fixed text on its line, so it can never start a block (heading, list,
quote); inline it is backslash-escaped, and `<`, `>`, `&` become HTML entities (a backslash does not stop
`&copy;` from being read as an entity).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from pantau.models import Alert

TITLE_LIMIT = 200  # subjects longer than this get cut by most mail clients and chat previews anyway
_ZERO = timedelta(0)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Punctuation that means something to markdown or HTML *inline*; block markers (#, -, +, 1.) need no
# escape because scraped text never starts a line.
_MD_SPECIAL = frozenset("\\`*_[]()|~")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ESCAPES = str.maketrans({**{ch: "\\" + ch for ch in _MD_SPECIAL}, **_ENTITIES})
# Characters that would end or break a markdown link destination; percent-encoding keeps the URL's meaning.
_URL_UNSAFE = frozenset(" <>()\"'\\`[]*_{}|^")
_URL_ESCAPES = str.maketrans({ch: f"%{ord(ch):02X}" for ch in _URL_UNSAFE})
# Unicode's control characters (category Cc) but tab and line breaks, which split() turns into spaces.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NUMBERED = re.compile(r"^(\d+)([.)])")  # what would start a numbered list


@dataclass(frozen=True)
class Message:
    """What a channel receives: a one-line plain title and a body in `format` ("markdown" or "text")."""

    title: str
    body: str
    format: str = "markdown"


def clean_text(text: str) -> str:
    """Scraped text on one line: control characters dropped, runs of whitespace made one space."""
    if not text.isprintable():  # printable text has no control character: most titles and snippets
        text = _CONTROL.sub("", text)
    return " ".join(text.split())


def escape_markdown(text: str) -> str:
    """Make scraped text literal in markdown: it renders as itself, never as formatting or HTML."""
    return _escape(clean_text(text))


def _escape(text: str) -> str:
    return text.translate(_ESCAPES)


# Rule names, source names and matched terms: a few values that come back in every alert of a pass.
_escape_name = lru_cache(maxsize=512)(escape_markdown)


def _safe_url(url: str) -> str | None:
    """The URL as a link destination, or None when it is not a plain http(s) URL worth linking."""
    url = clean_text(url).replace(" ", "%20")
    if url.isascii() and "[" not in url and "]" not in url:
        # What urlsplit would say, without splitting: the scheme is what comes before the first colon, and
        # only brackets (an IPv6 host) or non-ASCII characters in a host can make it refuse a URL.
        if not url[:6].lower().startswith(("http:", "https:")):
            return None
    else:
        try:
            if urlsplit(url).scheme.lower() not in ("http", "https"):
                return None
        except ValueError:  # e.g. a bracketed host that is no IPv6 address
            return None
    return url.translate(_URL_ESCAPES)


def _link(url: str) -> str:
    target = _safe_url(url)
    label = escape_markdown(url)
    return f"[{label}]({target})" if target else label


def format_time(when: datetime, tz: tzinfo) -> str:
    """'25 Nov 2026 14:05 WIB (UTC+07:00)': the zone's abbreviation for people, the offset for certainty."""
    local = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(tz)
    # Read from the fields, not strftime (a C call with time-zone work behind it, several per alert).
    offset = local.utcoffset()
    offset_text = "UTC"
    if offset:
        minutes = int(abs(offset).total_seconds()) // 60  # seconds of an odd historical offset dropped
        offset_text = f"UTC{'-' if offset < _ZERO else '+'}{minutes // 60:02d}:{minutes % 60:02d}"
    abbrev = local.tzname() or ""
    # Zones without a letter abbreviation report "+07" as their name; the offset alone says it better.
    name = f"{abbrev} ({offset_text})" if abbrev and abbrev[0].isalpha() and abbrev != "UTC" else offset_text
    return f"{local.day} {_MONTHS[local.month - 1]} {local.year} {local.hour:02d}:{local.minute:02d} {name}"


def _snippet(snippet: str) -> str:
    """Escape a snippet and turn its «hit» marks into bold; an unpaired mark stays as literal text."""
    parts: list[str] = []
    rest = clean_text(snippet)
    while True:
        start = rest.find("«")
        end = rest.find("»", start + 1) if start >= 0 else -1
        if start < 0 or end < 0:
            parts.append(_escape(rest))
            return "".join(parts)
        parts.append(_escape(rest[:start]))
        hit = rest[start + 1 : end]
        # Markdown only bolds text that does not begin or end with a space: keep the spaces outside.
        inner = hit.strip()
        lead, trail = hit[: len(hit) - len(hit.lstrip())], hit[len(hit.rstrip()) :]
        parts.append(f"{lead}**{_escape(inner)}**{trail}" if inner else _escape(rest[start : end + 1]))
        rest = rest[end + 1 :]


def _not_a_block(escaped: str) -> str:
    """Inside a quote the text starts a line: a leading '#', '>', '-', '+' or '1.' must stay literal."""
    if escaped[:1] in ("#", ">", "-", "+", "="):
        return "\\" + escaped
    return _NUMBERED.sub(r"\1\\\2", escaped) if escaped[:1].isdigit() else escaped


def _title_line(text: str) -> str:
    line = clean_text(text)
    if len(line) > TITLE_LIMIT:
        line = line[: TITLE_LIMIT - 1].rstrip() + "…"
    return line


def _when(alert: Alert, tz: tzinfo) -> str:
    if alert.published is not None:
        return format_time(alert.published, tz)
    return f"time unknown (found {format_time(alert.created_at, tz)})"


def render_alert(alert: Alert, tz: tzinfo) -> Message:
    """One alert as one message: rule, title, source, time, link, matched terms, snippet, other outlets."""
    lines = [
        f"**{escape_markdown(alert.title) or '(untitled)'}**",
        "",
        f"Rule: {_escape_name(alert.rule)}",
        f"Source: {_escape_name(alert.source)}",
        f"Published: {_when(alert, tz)}",
        f"Link: {_link(alert.url)}",
    ]
    if alert.terms:
        lines.append("Matched: " + ", ".join(map(_escape_name, alert.terms)))
    if alert.also_reported_by:
        story = f" (story {alert.story_id})" if alert.story_id is not None else ""
        lines.append("Also reported by: " + ", ".join(map(_escape_name, alert.also_reported_by)) + story)
    if clean_text(alert.snippet):
        lines += ["", f"> {_not_a_block(_snippet(alert.snippet))}"]
    title = _title_line(f"[{alert.rule}] {alert.title}")
    return Message(title=title, body="\n".join(lines) + "\n", format="markdown")


def _newest_first(alerts: Sequence[Alert]) -> list[Alert]:
    def when(alert: Alert) -> datetime:
        return alert.published or alert.created_at

    # Ties (same minute from two outlets) keep a stable order by id so digests are reproducible.
    return sorted(alerts, key=lambda a: (when(a), a.id), reverse=True)


def render_digest(rule: str, alerts: Sequence[Alert], tz: tzinfo, period: str) -> Message:
    """Many alerts of one rule as one message: one item per story, newest first."""
    count = len(alerts)
    noun = "article" if count == 1 else "articles"
    lines = [f"**Digest for {escape_markdown(rule)}: {count} {noun}** ({escape_markdown(period)})", ""]
    for alert in _newest_first(alerts):
        lines.append(f"- **{escape_markdown(alert.title) or '(untitled)'}**")
        detail = f"  {_escape_name(alert.source)} · {_when(alert, tz)}"
        if alert.also_reported_by:
            detail += " · also: " + ", ".join(map(_escape_name, alert.also_reported_by))
        lines.append(detail)
        lines.append(f"  {_link(alert.url)}")
    if not alerts:
        lines.append("Nothing new.")
    title = _title_line(f"[{rule}] digest {period}: {count} {noun}")
    return Message(title=title, body="\n".join(lines) + "\n", format="markdown")


_PLAIN_TOKEN = re.compile(r"\\(.)|&(amp|lt|gt);|\*\*|\[((?:\\.|[^\]\\])*)\]\(([^)\s]*)\)", re.DOTALL)


def to_plain(body: str) -> str:
    """The text a reader sees in a body this module rendered, without markdown marks or escapes."""
    return _PLAIN_TOKEN.sub(_plain_token, body)


_ENTITY_TEXT = {"amp": "&", "lt": "<", "gt": ">"}


def _plain_token(match: re.Match[str]) -> str:
    # The last group taken says which token this is: an escape (1), an entity (2), bold marks (none)
    # or a link (its label 3 and target 4).
    last = match.lastindex
    if last is None:
        return ""
    if last == 1:
        return match[1]
    if last == 2:
        return _ENTITY_TEXT[match[2]]
    label, target = to_plain(match[3]), match[4]
    return label if unquote(label) == unquote(target) else f"{label} ({target})"
