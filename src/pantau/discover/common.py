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
        elif None in (first.title, first.published, first.summary, first.updated):
            seen[link.url] = Link(
                url=first.url,
                title=first.title or link.title,
                published=first.published or link.published,
                summary=first.summary or link.summary,
                updated=first.updated or link.updated,
            )
    return tuple(seen.values())


def newest_first(links: Iterable[Link]) -> list[Link]:
    """Links with a date (publication, else last change) newest first, then the undated in their order.

    Outlets list their archives oldest first as often as newest first; a per-poll cap must take today's
    news, not the archive's first pages. The sort is stable, so equal dates keep the index's order.
    """
    listed = list(links)
    dated = [link for link in listed if link.dated is not None]
    dated.sort(key=lambda link: link.dated or _EPOCH, reverse=True)
    return dated + [link for link in listed if link.dated is None]


def newest_children(children: Iterable[Link]) -> list[Link]:
    """A sitemap index's children newest first: by <lastmod>, else by a date in their URL
    (sitemap-2026-11.xml, /2026/11/30/), else in the index's order."""
    listed = list(children)
    if not any(child.updated for child in listed):
        listed = [Link(url=c.url, title=c.title, updated=_url_date(c.url)) for c in listed]
    return newest_first(listed)


def _url_date(url: str) -> datetime | None:
    found = _URL_DATE.findall(url)
    if not found:
        return None
    year, month, day = found[-1]
    try:
        return datetime(int(year), int(month), int(day or 1), tzinfo=UTC)
    except ValueError:
        return None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_URL_DATE = re.compile(r"(?<!\d)(20\d\d)[-/_.]?(0[1-9]|1[0-2])(?:[-/_.]?(0[1-9]|[12]\d|3[01]))?(?!\d)")
