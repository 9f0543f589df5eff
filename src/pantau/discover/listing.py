"""HTML listing pages -> article links, and feed autodiscovery.

Anchors are chosen by a CSS selector (Lexbor) and/or a regular expression searched in the absolute URL;
when both are given both must hold. Relative hrefs resolve against <base href> and the page's final URL.
Never follows anything and never returns javascript:, mailto:, fragment-only or non-http(s) links.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from pantau.discover.common import absolute_http, clean_text, unique_links
from pantau.errors import DiscoverError
from pantau.extract import decode_html
from pantau.models import Link, Page

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/rdf+xml",
)


def parse_html(page: Page) -> LexborHTMLParser:
    return LexborHTMLParser(decode_html(page.body, page.charset))


def base_url(tree: LexborHTMLParser, page: Page) -> str:
    node = tree.css_first("base[href]")
    href = node.attributes.get("href") if node is not None else None
    return absolute_http(href, page.final_url) or page.final_url


def listing_links(
    tree: LexborHTMLParser, page: Page, *, links: str | None, link_pattern: re.Pattern[str] | None
) -> tuple[Link, ...]:
    """Anchors picked by `links` (CSS) and/or `link_pattern` (regex on the absolute URL), in page order."""
    base = base_url(tree, page)
    try:
        nodes = list(_anchors(tree, links))
    except SelectolaxError:
        raise DiscoverError(f"discover: invalid CSS selector {links!r} for {page.final_url}") from None
    found: list[Link] = []
    for node in nodes:
        url = absolute_http(node.attributes.get("href"), base)
        if url is None or (link_pattern is not None and not link_pattern.search(url)):
            continue
        title = clean_text(node.text(separator=" ")) or clean_text(node.attributes.get("title"))
        found.append(Link(url=url, title=title))
    return unique_links(found)


def feed_link(tree: LexborHTMLParser, page: Page) -> str | None:
    """The first <link rel="alternate"> that names a feed type, as an absolute URL.

    A comments feed is taken only when it is the only one: blogs list it beside the articles feed.
    """
    base = base_url(tree, page)
    found: list[tuple[bool, str]] = []
    for node in tree.css("link[rel][href][type]"):
        rel = (node.attributes.get("rel") or "").lower().split()
        kind = (node.attributes.get("type") or "").split(";")[0].strip().lower()
        url = absolute_http(node.attributes.get("href"), base)
        if "alternate" in rel and kind in FEED_TYPES and url is not None:
            label = f"{node.attributes.get('title') or ''} {url}".lower()
            found.append(("comment" in label, url))
    found.sort(key=lambda item: item[0])  # stable: page order within each group
    return found[0][1] if found else None


def _anchors(tree: LexborHTMLParser, selector: str | None) -> Iterator[LexborNode]:
    """Anchors with an href: those the selector picks, or inside what it picks (a headline <h2>, say)."""
    if selector is None:
        yield from tree.css("a[href]")
        return
    for node in tree.css(selector):
        if node.attributes.get("href") is not None:
            yield node
        else:
            yield from node.css("a[href]")
