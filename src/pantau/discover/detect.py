"""discover(): decide what a source's page is and hand it to the parser for that kind.

Feeds and sitemaps are recognised by their content (then by Content-Type), never by URL. Pure: no
network; a sitemap index or a feed link found on an HTML page is returned for the caller to fetch.
"""

from __future__ import annotations

import re

from pantau.discover.feed import parse_feed, parse_json_feed
from pantau.discover.listing import feed_link, listing_links, parse_html
from pantau.discover.sitemap import parse_sitemap
from pantau.discover.sniff import FEED, JSON_FEED, SITEMAP, sniff
from pantau.errors import DiscoverError
from pantau.models import Discovery, Link, Page


def discover(page: Page, *, links: str | None, link_pattern: re.Pattern[str] | None) -> Discovery:
    """What `page` is and the article links in it (see the package docstring for the rules).

    `link_pattern` filters feed and sitemap links as well as HTML anchors; it is not applied to the
    child sitemaps of a sitemap index, which are not articles.
    """
    if not page.body.strip():
        raise DiscoverError(f"discover: empty response (HTTP {page.status}) from {page.final_url}")
    if page.body.startswith(b"\x1f\x8b"):
        # still gzipped after transport decoding: a sitemap.xml.gz served as application/x-gzip
        return _filtered(parse_sitemap(page), link_pattern)
    kind = sniff(page.body, page.content_type)
    if kind == FEED:
        return Discovery(kind="feed", links=_match(parse_feed(page), link_pattern))
    if kind == JSON_FEED:
        return Discovery(kind="feed", links=_match(parse_json_feed(page), link_pattern))
    if kind == SITEMAP:
        return _filtered(parse_sitemap(page), link_pattern)
    return _html(page, links, link_pattern)


def _html(page: Page, links: str | None, link_pattern: re.Pattern[str] | None) -> Discovery:
    tree = parse_html(page)
    if links is not None or link_pattern is not None:
        found_links = listing_links(tree, page, links=links, link_pattern=link_pattern)
        return Discovery(kind="listing", links=found_links)
    found = feed_link(tree, page)
    if found is None and _claims_feed(page.content_type):
        raise DiscoverError(
            f"discover: not a valid feed (the server sent an HTML page as {page.content_type}) at {page.final_url}"
        )
    if found is None:
        raise DiscoverError(
            f"discover: no feed link on the HTML page {page.final_url} "
            "(hint: give the source `links` or `link_pattern` to read it as a listing page)"
        )
    return Discovery(kind="listing", links=(), feed_url=found)


def _claims_feed(content_type: str) -> bool:
    return content_type.endswith(("rss+xml", "atom+xml", "rdf+xml", "feed+json", "/xml"))


def _filtered(found: Discovery, link_pattern: re.Pattern[str] | None) -> Discovery:
    if found.kind == "sitemap-index":
        return found
    return Discovery(kind=found.kind, links=_match(found.links, link_pattern))


def _match(links: tuple[Link, ...], link_pattern: re.Pattern[str] | None) -> tuple[Link, ...]:
    if link_pattern is None:
        return links
    return tuple(link for link in links if link_pattern.search(link.url))
