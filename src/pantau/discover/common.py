"""Helpers shared by the discovery parsers: URL resolution, text clean-up, date reading, link lists.

Pure functions; nothing here touches the network.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

from pantau.models import Link

_WS = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?)\]])")
_YEAR = re.compile(r"\d{4}")
_YEAR_MONTH = re.compile(r"\d{4}-\d{2}")
_REFUSED_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "sms:", "whatsapp:")


def absolute_http(href: str | None, base: str) -> str | None:
    """`href` resolved against `base` without its fragment, or None unless it is an http(s) URL."""
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith("#") or href.lower().startswith(_REFUSED_SCHEMES):
        return None
    try:
        url = urljoin(base, href)
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url.partition("#")[0]


def clean_text(text: str | None) -> str | None:
    """Whitespace collapsed and trimmed; None for nothing."""
    if text is None:
        return None
    text = _WS.sub(" ", text).strip()
    return text or None


def html_text(html: str) -> str:
    """Visible text of an HTML fragment, words apart but no space before punctuation."""
    text = LexborHTMLParser(html).text(separator=" ")
    return _SPACE_BEFORE_PUNCT.sub(r"\1", _WS.sub(" ", text)).strip()


def parse_w3c_datetime(value: str | None) -> datetime | None:
    """ISO 8601 / W3C datetime as aware UTC (date-only means midnight UTC); None if unreadable."""
    if not value:
        return None
    value = value.strip()
    if _YEAR.fullmatch(value):
        value += "-01-01"
    elif _YEAR_MONTH.fullmatch(value):
        value += "-01"
    try:
        when = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return None
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def unique_links(links: Iterable[Link]) -> tuple[Link, ...]:
    """First occurrence of each URL, in order; a later duplicate fills in a title or date the first lacked."""
    seen: dict[str, Link] = {}
    for link in links:
        first = seen.get(link.url)
        if first is None:
            seen[link.url] = link
        elif first.title is None or first.published is None or first.summary is None:
            seen[link.url] = Link(
                url=first.url,
                title=first.title or link.title,
                published=first.published or link.published,
                summary=first.summary or link.summary,
            )
    return tuple(seen.values())
