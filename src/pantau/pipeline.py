"""The one path an article takes: source page -> links -> article pages -> extract -> story -> match -> store.

`poll_source` is idempotent and keeps all of its state in the store, so the embedded scheduler and, later,
distributed workers can call it for the same source without creating a second alert: links already done are
skipped, an article URL is stored once, and alert and outbox rows are written in the same transaction as the
article. Before rules are matched, the article is placed in a story (an earlier copy from any outlet within
the story window): a rule alerts once per story, so later copies are only recorded as "also reported by".
A failing source or article is recorded and reported, never raised.

Links are taken newest first (a sitemap index's newest children, then by date) before the per-poll cap; an
article older than the source's `max_age` is stored and indexed but held back from alerting. An article
split over pages is read whole (pantau.reading), and recent articles are asked for again after the new
links are done (pantau.recheck).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from pantau.analyse import Analyser, WorkerDied
from pantau.analyse import analyser_for as analyser_for  # where the services and benchmarks import it from
from pantau.clock import Clock
from pantau.config import Config, SourceConfig
from pantau.dedupe import canonical_url
from pantau.discover import discover, newest_children, newest_first
from pantau.due import Planner, article_from, too_old
from pantau.errors import DiscoverError, ExtractError, FetchError
from pantau.fetch import Fetcher
from pantau.models import Discovery, Link, Page
from pantau.placing import Placer
from pantau.reading import Reader, read_article
from pantau.recheck import recheck_source
from pantau.redact import redact_text
from pantau.store import Placement, Store, Watch

log = logging.getLogger(__name__)

MAX_LINK_ATTEMPTS = 3  # an article page that fails this many polls in a row is given up on
MAX_ARTICLES_PER_POLL = 200  # a huge first listing is worked through over several polls, newest first
MAX_CHILD_SITEMAPS = 5  # the newest children of a sitemap index
ARTICLES_IN_FLIGHT = 8  # per source
# Sources polled at once by poll_all: many more than the HTTP client's 64 connections, so slow hosts do not
# hold the others up, but not 10,000 polls in flight, each with its task, its request and its stack.
POLLS_IN_FLIGHT = 500
STORY_WINDOW = timedelta(hours=72)  # copies further apart than this are separate stories
PRUNE_SLACK = timedelta(hours=1)  # index entries are removed in hourly batches, not on every poll


@dataclass(frozen=True)
class Context:
    """What a poll needs, passed in whole. The service builds a new one when the config is reloaded."""

    config: Config
    store: Store
    fetcher: Fetcher
    clock: Clock
    analyser: Analyser  # reads article pages (in worker processes, if it has any); see analyser_for

    def reader(self, source: SourceConfig) -> Reader:
        return Reader(
            self.fetcher, self.analyser, source.name, source.user_agent, source.timeout, source.article
        )

    @cached_property
    def placer(self) -> Placer:
        """Writes the new articles, several to a transaction when they are ready together."""
        return Placer(self.store)

    @cached_property
    def per_source_rules(self) -> frozenset[str]:
        return frozenset(r.name for r in self.config.rules if r.repeat == "per-source")

    @cached_property
    def term_key(self) -> Callable[[str], str]:
        """Matched term -> the watched term it stands for: every alias of a concept is that concept."""
        aliases = {
            alias.casefold(): "@" + concept.name
            for concept in self.config.concepts.values()
            for terms in concept.terms.values()
            for alias in terms
        }
        return lambda term: aliases.get(term.casefold(), term.casefold())


@dataclass(frozen=True)
class PollResult:
    source: str
    new_articles: int
    alerts: int
    errors: tuple[str, ...]  # one line each: "fetch: HTTP 500 for https://…"
    source_failed: bool  # the source's own page could not be read
    held_back: int = 0  # new articles that matched a rule but were older than the source's max_age
    rechecked: int = 0  # earlier articles asked for again (see pantau.recheck)
    updated: int = 0  # ... of which had changed
    not_modified: bool = False  # the source's page answered 304 Not Modified
    alert_rules: tuple[str, ...] = ()  # the rule of each alert made, one entry per alert

    @property
    def outcome(self) -> str:
        """For metrics: failed, not_modified or ok."""
        return "failed" if self.source_failed else "not_modified" if self.not_modified else "ok"

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _ArticleOutcome:
    stored: bool = False
    alert_rules: tuple[str, ...] = ()
    error: str | None = None
    held_back: bool = False


def _shown(exc: Exception, ctx: Context) -> str:
    """An error as it may be logged, stored and sent to the ops channel: URLs redacted (a feed URL may
    carry ?api_key=…), secrets of the config hidden."""
    return redact_text(str(exc), ctx.config.secrets)


async def poll_source(source: SourceConfig, ctx: Context) -> PollResult:
    # A quiet poll (the listing answers 304, nothing failed before, no re-check due) is one read, one
    # conditional GET and one write.
    store, now = ctx.store, ctx.clock()
    state = store.poll_state(source.name, MAX_LINK_ATTEMPTS, now if source.recheck is not None else None)
    try:
        page, links, feed_url = await _read_index(
            source, ctx, state.feed_url, state.etag, state.last_modified
        )
    except (FetchError, DiscoverError) as exc:
        why = _shown(exc, ctx)
        store.record_poll(source.name, now, error=why)
        return PollResult(source.name, 0, 0, (why,), source_failed=True)

    by_identity: dict[str, Link] = {}
    for link in newest_first(links):
        by_identity.setdefault(canonical_url(link.url), link)
    if by_identity:
        for url in state.unfinished:  # failed before: try again
            by_identity.setdefault(url, Link(url=url))
        todo = store.links_to_fetch(source.name, list(by_identity), MAX_LINK_ATTEMPTS)
    else:  # nothing listed (a 304): only the links that failed before, which are unfinished by definition
        by_identity = {url: Link(url=url) for url in state.unfinished}
        todo = list(by_identity)
    todo = todo[:MAX_ARTICLES_PER_POLL]
    outcomes = await _process_links(source, todo, by_identity, ctx)
    rechecks = await recheck_source(source, ctx, due=state.recheck_due)
    store.record_poll(
        source.name,
        ctx.clock(),
        etag=page.etag,
        last_modified=page.last_modified,
        feed_url=feed_url,
        rechecks=rechecks.notes,
    )
    if todo:
        store.prune_story_index(now - STORY_WINDOW, slack=PRUNE_SLACK)
    errors = tuple(o.error for o in outcomes if o.error)
    rules = tuple(rule for o in outcomes for rule in o.alert_rules) + rechecks.alert_rules
    return PollResult(
        source.name,
        new_articles=sum(o.stored for o in outcomes),
        alerts=len(rules),
        errors=errors,
        source_failed=False,
        held_back=sum(o.held_back for o in outcomes),
        rechecked=rechecks.checked,
        updated=rechecks.changed,
        not_modified=page.not_modified,
        alert_rules=rules,
    )


async def _read_index(
    source: SourceConfig, ctx: Context, feed_url: str | None, etag: str | None, last_modified: str | None
) -> tuple[Page, list[Link], str | None]:
    """Fetch the source's page (or the feed found on it earlier) and return its article links."""
    url = feed_url or source.url
    page = await ctx.fetcher.get(
        url, user_agent=source.user_agent, etag=etag, last_modified=last_modified, timeout=source.timeout
    )
    if page.not_modified:
        return page, [], feed_url
    found = discover(page, links=source.links, link_pattern=source.link_pattern)
    if found.feed_url and not found.links:
        feed_url = found.feed_url
        page = await ctx.fetcher.get(feed_url, user_agent=source.user_agent, timeout=source.timeout)
        found = discover(page, links=None, link_pattern=source.link_pattern)
    links = list(found.links) if found.kind != "sitemap-index" else await _child_sitemaps(source, ctx, found)
    if found.kind == "listing" and not links and (source.links or source.link_pattern):
        # A news listing with no article on it has changed its layout, or is a block or consent page:
        # a failure of the source, so that its health and the ops channel show it, not a quiet poll.
        wanted = [f"links {source.links!r}"] if source.links else []
        wanted += [f"link_pattern {source.link_pattern.pattern!r}"] if source.link_pattern else []
        raise DiscoverError(
            f"discover: no article links on {page.final_url} match {' and '.join(wanted)}"
            " (has the page changed its layout?)"
        )
    return page, links, feed_url


async def _child_sitemaps(source: SourceConfig, ctx: Context, index: Discovery) -> list[Link]:
    links: list[Link] = []
    for child in newest_children(index.links)[:MAX_CHILD_SITEMAPS]:
        page = await ctx.fetcher.get(child.url, user_agent=source.user_agent, timeout=source.timeout)
        found = discover(page, links=None, link_pattern=source.link_pattern)
        if found.kind != "sitemap-index":  # an index inside an index is not followed: one level is plenty
            links.extend(found.links)
    return links


async def _process_links(
    source: SourceConfig, todo: list[str], by_identity: dict[str, Link], ctx: Context
) -> list[_ArticleOutcome]:
    """The outcome of each link in `todo`, in its order. A few articles of a source are in flight at a
    time (the host allows two requests anyway), each of a few tasks taking the next link when it is done:
    a task and a wait per link would only cost scheduling."""
    outcomes: list[_ArticleOutcome | None] = [None] * len(todo)
    links = iter(enumerate(todo))  # shared by the tasks: each link is taken once
    reader = ctx.reader(source)

    async def take() -> None:
        for index, key in links:
            outcomes[index] = await _process_link(source, reader, by_identity[key], key, ctx)

    await asyncio.gather(*(take() for _ in range(min(ARTICLES_IN_FLIGHT, len(todo)))))
    return [outcome for outcome in outcomes if outcome is not None]


async def _process_link(
    source: SourceConfig, reader: Reader, link: Link, identity: str, ctx: Context
) -> _ArticleOutcome:
    store = ctx.store
    try:
        read = await read_article(reader, link.url, link_title=link.title)
    except (FetchError, WorkerDied) as exc:
        store.mark_link(source.name, identity, ctx.clock(), done=False, error=_shown(exc, ctx))
        return _ArticleOutcome(error=_shown(exc, ctx))
    except ExtractError as exc:
        # Retrying a page with no article in it would only fail again.
        store.mark_link(source.name, identity, ctx.clock(), done=True, error=_shown(exc, ctx))
        return _ArticleOutcome(error=_shown(exc, ctx))
    page, found = read.page, read.analysis
    if found is None:  # a 304 to a request without validators: nothing to read
        return _ArticleOutcome()

    now, extracted, matches = ctx.clock(), found.extracted, list(found.matches)
    published = extracted.published or link.published
    # Held back: stored and indexed (a later copy still joins its story), never alerted.
    old = too_old(published or link.updated, source, now)
    held = tuple(m.rule for m in matches) if old else ()
    article = article_from(found, source.name, found.url, published, now)
    plan = Planner(matches, source.name, ctx.config, now, ctx.per_source_rules, ctx.term_key, too_old=old)

    # Every article enters the story index, matched or not: a later copy that matches (a rewrite that adds
    # a watched term) must join the earlier story and name the outlets that published it first.
    placed = await ctx.placer.place(
        Placement(
            article,
            identity,
            found.fingerprint,
            since=now - STORY_WINDOW,
            cited=found.cites_wire,
            plan=plan,
            watch=_watch(source, page, now),
            held=held,
        )
    )
    if placed.article_id is None:
        return _ArticleOutcome()
    return _ArticleOutcome(
        stored=True, alert_rules=tuple(match.rule for match, _ in plan.planned), held_back=bool(held)
    )


def _watch(source: SourceConfig, page: Page, now: datetime) -> Watch | None:
    """Re-check a new article from one poll interval on, until `recheck` after it was first seen."""
    if source.recheck is None or source.recheck <= source.every:
        return None
    return Watch(page.final_url, page.etag, page.last_modified, now + source.every, now + source.recheck)


async def poll_all(ctx: Context, only: str | None = None) -> list[PollResult]:
    """Poll every source (or the one named `only`) once, at most POLLS_IN_FLIGHT at a time; the results
    in the config's order."""
    sources = [s for s in ctx.config.sources if only is None or s.name == only]
    results: list[PollResult | None] = [None] * len(sources)
    todo = iter(enumerate(sources))

    async def poller() -> None:
        for index, source in todo:  # one iterator shared by all pollers: each source is taken once
            results[index] = await poll_source(source, ctx)

    await asyncio.gather(*(poller() for _ in range(min(POLLS_IN_FLIGHT, len(sources)))))
    return [result for result in results if result is not None]
