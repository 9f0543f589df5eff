"""Feeds -> article links: RSS 2.0, RSS 1.0 (RDF) and Atom through feedparser; JSON Feed by hand.

Never lets feedparser near the network or the file system (it is only ever handed a byte stream), and
never returns a relative or non-http(s) link.
"""

from __future__ import annotations

import io
import json
import time
from datetime import UTC, datetime
from typing import Any

from pantau.discover.common import absolute_http, clean_text, html_text, parse_w3c_datetime, unique_links
from pantau.errors import DiscoverError
from pantau.models import Link, Page

SUMMARY_MAX = 1000


def parse_feed(page: Page) -> tuple[Link, ...]:
    """Entries of an RSS/RDF/Atom feed; DiscoverError if the bytes are not a feed."""
    import feedparser  # here, not at the top: most sources are listings, and `once` starts sooner

    headers = {"content-location": page.final_url, "content-type": _content_type(page)}
    # A BytesIO, never bytes: feedparser opens a bytes argument as a local file name if it can.
    parsed = feedparser.parse(io.BytesIO(page.body), response_headers=headers, sanitize_html=True)
    entries: list[Any] = list(parsed.get("entries", []))
    if not entries:
        if parsed.get("bozo"):
            reason = _reason(parsed.get("bozo_exception"))
            raise DiscoverError(f"discover: not a valid feed ({reason}) at {page.final_url}")
        if not parsed.get("version"):
            raise DiscoverError(f"discover: not a valid feed (no RSS, RDF or Atom root) at {page.final_url}")
    base = page.final_url
    return unique_links(link for entry in entries if (link := _entry_link(entry, base)) is not None)


def parse_json_feed(page: Page) -> tuple[Link, ...]:
    """Items of a JSON Feed (https://jsonfeed.org, version 1 and 1.1)."""
    try:
        doc = json.loads(page.body.decode(page.charset or "utf-8", "replace"))
    except (json.JSONDecodeError, LookupError, RecursionError) as exc:
        raise DiscoverError(f"discover: not a valid feed (invalid JSON: {exc}) at {page.final_url}") from None
    if not isinstance(doc, dict) or "jsonfeed.org" not in str(doc.get("version", "")):
        reason = "JSON without a jsonfeed version"
        raise DiscoverError(f"discover: not a valid feed ({reason}) at {page.final_url}")
    items = doc.get("items")
    if not isinstance(items, list):
        raise DiscoverError(f"discover: not a valid feed (JSON Feed without items) at {page.final_url}")
    return unique_links(link for item in items if (link := _item_link(item, page.final_url)) is not None)


def _entry_link(entry: Any, base: str) -> Link | None:
    url = absolute_http(entry.get("link"), base)
    if url is None:
        for alt in entry.get("links", []):
            if alt.get("rel", "alternate") == "alternate" and (url := absolute_http(alt.get("href"), base)):
                break
    if url is None and entry.get("guidislink"):
        url = absolute_http(entry.get("id"), base)
    if url is None:
        return None
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    title_type = (entry.get("title_detail") or {}).get("type", "")
    title = _plain(entry.get("title")) if title_type == "text/html" else clean_text(entry.get("title"))
    return Link(
        url=url,
        title=title,
        published=_from_struct(parsed),
        summary=_plain(entry.get("summary")),
    )


def _item_link(item: Any, base: str) -> Link | None:
    if not isinstance(item, dict):
        return None
    url = absolute_http(_str(item.get("url")), base) or absolute_http(_str(item.get("external_url")), base)
    if url is None:
        return None
    summary = _str(item.get("summary")) or _str(item.get("content_text"))
    return Link(
        url=url,
        title=clean_text(_str(item.get("title"))),
        published=parse_w3c_datetime(_str(item.get("date_published")) or _str(item.get("date_modified"))),
        summary=_plain(summary) if summary else _plain(_str(item.get("content_html"))),
    )


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _plain(html: str | None) -> str | None:
    """Feed summaries are HTML fragments; the rest of pantau wants text."""
    if not html:
        return None
    text = clean_text(html_text(html)) if "<" in html else clean_text(html)
    if text and len(text) > SUMMARY_MAX:
        text = text[: SUMMARY_MAX - 1].rstrip() + "…"
    return text


def _from_struct(value: time.struct_time | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _content_type(page: Page) -> str:
    if page.charset:
        return f"{page.content_type or 'application/xml'}; charset={page.charset}"
    return page.content_type or "application/xml"


def _reason(exc: object) -> str:
    text = " ".join(str(exc).split()) if exc is not None else ""
    return text or "unreadable XML"
