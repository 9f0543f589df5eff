"""Values that pipeline stages pass to one another.

Every stage takes these and returns new ones; none is ever mutated after it is made. Times are always
timezone-aware UTC datetimes; conversion to the user's zone happens only when a message is rendered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Page:
    """One HTTP response, already size-capped and decompressed."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int
    content_type: str  # the media type without parameters, lower case ("" when absent)
    charset: str | None  # from the Content-Type header, if given
    body: bytes
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: datetime | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class Link:
    """An article URL found on a listing page, feed or sitemap, with what the index said about it."""

    url: str  # absolute http(s) URL
    title: str | None = None
    published: datetime | None = None
    summary: str | None = None
    updated: datetime | None = None  # a sitemap's <lastmod>: when the page last changed, not when it appeared

    @property
    def dated(self) -> datetime | None:
        """The best date the index gave: publication, else last change."""
        return self.published or self.updated


@dataclass(frozen=True)
class Discovery:
    """What a source's page turned out to be and the article links in it."""

    kind: str  # "feed", "listing", "sitemap"
    links: tuple[Link, ...]
    feed_url: str | None = None  # set when an HTML page pointed to its feed and nothing else was asked


@dataclass(frozen=True)
class ArticleSelectors:
    """Per-source CSS selectors that override automatic extraction."""

    body: str | None = None
    title: str | None = None
    published: str | None = None
    drop: tuple[str, ...] = ()


@dataclass(frozen=True)
class Extracted:
    """What extraction read from one article page."""

    title: str
    body: str  # paragraphs separated by blank lines ("\n\n")
    published: datetime | None = None  # aware UTC
    updated: datetime | None = None
    author: str | None = None
    lang: str | None = None  # ISO 639-1 such as "id", "en", "ja"
    canonical_url: str | None = None  # rel=canonical or og:url, absolute, as the page gives it
    image: str | None = None


@dataclass(frozen=True)
class Article:
    """An extracted article attributed to a source, ready to store and match."""

    source: str
    url: str  # canonical URL: the article's identity
    title: str
    body: str
    published: datetime | None
    author: str | None
    lang: str | None
    content_hash: str
    fetched_at: datetime


@dataclass(frozen=True)
class Hit:
    """One place where a query term matched."""

    term: str  # the term as written in the rule (a concept hit names the alias that matched)
    field: str  # "title" or "body" (or "source"/"lang" for those fields)
    start: int  # character offsets into that field's original text
    end: int
    text: str  # the matched text as it appears in the article


@dataclass(frozen=True)
class Match:
    """A rule that matched an article, with its evidence."""

    rule: str
    hits: tuple[Hit, ...]
    snippet: str  # a sentence around the best hit, with hits marked as «…»


@dataclass(frozen=True)
class Alert:
    """A stored match that is to be delivered, as the notifier sees it."""

    id: int
    rule: str
    source: str
    url: str
    title: str
    published: datetime | None
    created_at: datetime
    terms: tuple[str, ...]
    snippet: str
    also_reported_by: tuple[str, ...] = field(default=())
    story_id: int | None = None  # the story the alerted article is in (other outlets' copies join it)
