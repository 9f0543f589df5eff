"""Discovery: a source's page (feed, sitemap or HTML listing) -> article links.

Public face:
    discover(page: Page, *, links: str | None, link_pattern: re.Pattern[str] | None) -> Discovery
        Recognises feeds (RSS 2.0, RSS 1.0/RDF, Atom, JSON Feed) and sitemaps by content, not by URL.
        An HTML page with `links` and/or `link_pattern` yields the matching anchors (absolute, http/https,
        deduplicated, in page order). An HTML page with neither yields Discovery(kind="listing", links=(),
        feed_url=<its <link rel="alternate"> feed>) or raises DiscoverError if it has none.
        Raises DiscoverError("discover: ...") for anything unreadable (e.g. a feed that is not XML).
        kind is "feed", "sitemap", "listing" or "sitemap-index" (links = child sitemaps, for the caller to
        fetch). `link_pattern` also filters feed and sitemap entries, never the children of an index.
    newest_first(links) -> list[Link]: dated links (publication, else <lastmod>) newest first, then the rest.
    newest_children(children) -> list[Link]: an index's children newest first (<lastmod>, URL date, order).

Pure: no network.
"""

from pantau.discover.common import newest_children, newest_first
from pantau.discover.detect import discover

__all__ = ["discover", "newest_children", "newest_first"]
