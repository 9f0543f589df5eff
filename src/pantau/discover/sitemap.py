"""Sitemaps -> article links: <urlset> (with Google News extensions) and <sitemapindex>.

Parsed with expat and refused outright if the document declares a DTD: a sitemap has no use for one, and
entity expansion ("billion laughs") is how an XML file turns 1 KB into gigabytes. Gzipped sitemaps are
inflated up to a cap. Pure: an index yields its child sitemap URLs for the caller to fetch.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from xml.parsers import expat

from pantau.discover.common import absolute_http, clean_text, parse_w3c_datetime, unique_links
from pantau.errors import DiscoverError
from pantau.models import Discovery, Link, Page

GZIP_MAX_BYTES = 50_000_000  # the sitemap protocol's own limit for an uncompressed file


class _Refused(Exception):
    pass


@dataclass
class _Entry:
    loc: str | None = None
    title: str | None = None
    published: str | None = None
    lastmod: str | None = None


@dataclass
class _Reader:
    """Expat callbacks that collect <loc>, <lastmod>, <news:title> and <news:publication_date> per entry."""

    path: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    entries: list[_Entry] = field(default_factory=list)
    root: str | None = None

    def start(self, name: str, _attrs: object) -> None:
        local = name.rpartition(" ")[2].lower()
        if self.root is None:
            self.root = local
        if local in ("url", "sitemap") and len(self.path) == 1:
            self.entries.append(_Entry())
        self.path.append(local)
        self.text = []

    def end(self, _name: str) -> None:
        local = self.path.pop()
        if not self.entries or len(self.path) < 2:
            return
        value = "".join(self.text).strip()
        entry, parent = self.entries[-1], self.path[-1]
        if local == "loc" and len(self.path) == 2:
            entry.loc = value
        elif local == "lastmod" and len(self.path) == 2:
            entry.lastmod = value
        elif parent == "news" and local == "title":
            entry.title = value
        elif parent == "news" and local == "publication_date":
            entry.published = value

    def chars(self, data: str) -> None:
        self.text.append(data)


def parse_sitemap(page: Page) -> Discovery:
    """Discovery(kind="sitemap") for a urlset, Discovery(kind="sitemap-index") for an index."""
    body = _inflate(page)
    reader = _Reader()
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.chars
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    try:
        parser.Parse(body, True)
    except _Refused:
        raise DiscoverError(
            f"discover: not a valid sitemap (DTD and entity declarations are refused) at {page.final_url}"
        ) from None
    except expat.ExpatError as exc:
        raise DiscoverError(f"discover: not a valid sitemap ({exc}) at {page.final_url}") from None
    if reader.root not in ("urlset", "sitemapindex"):
        raise DiscoverError(f"discover: not a valid sitemap (root <{reader.root}>) at {page.final_url}")
    links = unique_links(link for entry in reader.entries if (link := _link(entry, page.final_url)))
    return Discovery(kind="sitemap-index" if reader.root == "sitemapindex" else "sitemap", links=links)


def _link(entry: _Entry, base: str) -> Link | None:
    url = absolute_http(entry.loc, base)
    if url is None:
        return None
    return Link(
        url=url,
        title=clean_text(entry.title),
        published=parse_w3c_datetime(entry.published),
        updated=parse_w3c_datetime(entry.lastmod),
    )


def _refuse(*_args: object) -> None:
    raise _Refused


def _inflate(page: Page) -> bytes:
    if not page.body.startswith(b"\x1f\x8b"):
        return page.body
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(page.body, GZIP_MAX_BYTES)
    except zlib.error as exc:
        raise DiscoverError(f"discover: not a valid sitemap (bad gzip: {exc}) at {page.final_url}") from None
    if inflater.unconsumed_tail:
        raise DiscoverError(f"discover: sitemap larger than 50 MB uncompressed at {page.final_url}")
    return body
