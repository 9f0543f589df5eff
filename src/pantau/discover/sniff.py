"""Tell what a fetched page is by its first bytes: feed, sitemap, JSON Feed or HTML.

Content first, then Content-Type, because outlets serve feeds as text/html and HTML as text/xml. Pure.
"""

from __future__ import annotations

import codecs
import re

FEED, JSON_FEED, SITEMAP, HTML, UNKNOWN = "feed", "json-feed", "sitemap", "html", "unknown"

_ROOTS = {"rss": FEED, "rdf": FEED, "feed": FEED, "urlset": SITEMAP, "sitemapindex": SITEMAP}
_HTML_ROOTS = {"html", "head", "body", "meta", "title", "div", "script", "link", "style", "!doctype"}
_FEED_TYPES = {
    "application/rss+xml": FEED,
    "application/atom+xml": FEED,
    "application/rdf+xml": FEED,
    "application/xml": FEED,
    "text/xml": FEED,
    "application/feed+json": JSON_FEED,
    "application/json": JSON_FEED,
    "text/html": HTML,
    "application/xhtml+xml": HTML,
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_TAG = re.compile(r"<([A-Za-z_][\w.:-]*)")


def head_text(body: bytes, limit: int = 4096) -> str:
    """The first `limit` bytes as text, BOM removed, enough to find the root element."""
    head = body[:limit]
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return head[len(bom) :].decode(codec, "ignore")
    return head.decode("utf-8", "ignore")


def sniff(body: bytes, content_type: str) -> str:
    """FEED, JSON_FEED, SITEMAP or HTML; UNKNOWN if neither the bytes nor the Content-Type say."""
    kind = _by_content(head_text(body))
    if kind != UNKNOWN:
        return kind
    return _FEED_TYPES.get(content_type, UNKNOWN)


def _by_content(text: str) -> str:
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return JSON_FEED if "jsonfeed.org" in stripped[:2048].lower() else UNKNOWN
    name = _root_name(stripped)
    if name is None:
        return UNKNOWN
    if name in _ROOTS:
        return _ROOTS[name]
    return HTML if name in _HTML_ROOTS else UNKNOWN


def _root_name(text: str) -> str | None:
    """Local name (lower case) of the first element, skipping the XML declaration, comments, PIs, DOCTYPE."""
    pos = 0
    while True:
        pos = _skip_space(text, pos)
        if text.startswith("<?", pos):
            pos = _after(text, "?>", pos)
        elif text.startswith("<!--", pos):
            pos = _after(text, "-->", pos)
        elif text[pos : pos + 9].lower() == "<!doctype":
            if text[pos + 9 : pos + 15].strip().lower().startswith("html"):
                return "!doctype"
            close = text.find(">", pos)
            bracket = text.find("[", pos)
            pos = _after(text, "]>", pos) if bracket != -1 and bracket < close else _after(text, ">", pos)
        else:
            break
        if pos < 0:
            return None
    match = _TAG.match(text, pos)
    if match is None:
        return None
    return match.group(1).rpartition(":")[2].lower()


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _after(text: str, token: str, pos: int) -> int:
    found = text.find(token, pos)
    return -1 if found < 0 else found + len(token)
