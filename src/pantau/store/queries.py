"""Everything pantau reads from and writes to its database, as short transactions with plain values out.

Callers never see a session or a row object. No network I/O ever happens inside a transaction here: the
pipeline fetches first, then hands finished values to one write. The same SQL runs on SQLite and PostgreSQL
(inserts that may race use the dialect's ON CONFLICT DO NOTHING).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Engine, and_, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from pantau.dedupe import Fingerprint, StoryView
from pantau.models import Article, Match
from pantau.store.db import make_engine, migrate
from pantau.store.fast import FastCursor, FastPath
from pantau.store.outbox import OutboxQueries, chunks, lease_owner
from pantau.store.recheck import Rechecked, RecheckQueries, Watch
from pantau.store.schedule import ScheduleQueries
from pantau.store.stories import StoryLink, StoryQueries
from pantau.store.tables import (
    ALERT,
    ARTICLE,
    DELIVERY,
    SEEN_LINK,
    SOURCE_STATE,
)
from pantau.store.views import ViewQueries

# Which of a listing's links are done: one statement of LINKS_PER_LOOKUP URLs (the rest bound to NULL),
# compiled once for the fast path, instead of an IN list of each listing's length rendered on every poll.
LINKS_PER_LOOKUP = 100
_LINK_KEYS = tuple(f"u{i}" for i in range(LINKS_PER_LOOKUP))
_FINISHED_LINKS = select(SEEN_LINK.c.url).where(
    SEEN_LINK.c.source == bindparam("source"),
    SEEN_LINK.c.url.in_([bindparam(key, type_=SEEN_LINK.c.url.type) for key in _LINK_KEYS]),
    SEEN_LINK.c.done | (SEEN_LINK.c.attempts >= bindparam("max")),
)


@dataclass(frozen=True)
class SourceHealth:
    name: str
    feed_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_poll_at: datetime | None = None
    last_success_at: datetime | None = None
    last_new_article_at: datetime | None = None
    consecutive_failures: int = 0
    last_error: str | None = None
    articles_seen: int = 0
    last_poll_by: str | None = None  # the instance (host:pid) that polled it last


@dataclass(frozen=True)
class PollState:
    """What a poll of a source reads before it fetches (Store.poll_state)."""

    feed_url: str | None
    etag: str | None
    last_modified: str | None
    unfinished: tuple[str, ...]  # links that failed before and have attempts left, oldest first
    recheck_due: bool = False  # a watched article is due for a re-check


@dataclass(frozen=True)
class Outgoing:
    """An alert to send to one channel now (matched, or waiting for a digest)."""

    rule: str
    channel: str
    due_at: datetime


@dataclass(frozen=True)
class Placed:
    """What `place_article` did: the new article's id and alerts, or None when it was known already."""

    article_id: int | None
    alerts: int


@dataclass(frozen=True)
class Placement:
    """One article for `Store.place_articles`: what `place_article` takes, as a value."""

    article: Article
    link_url: str
    fingerprint: Fingerprint
    since: datetime  # story window: index entries older than this are not looked at
    cited: bool
    plan: Callable[[StoryView | None], Sequence[tuple[Match, Sequence[Outgoing]]]]
    indexed: bool = True
    watch: Watch | None = None
    held: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoredArticle:
    id: int
    article: Article


class Store(StoryQueries, RecheckQueries, OutboxQueries, ViewQueries, ScheduleQueries):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.instance = lease_owner()  # recorded as who polled a source last (host:pid)
        self._fast = FastPath(engine)
        self._unrecorded = []
        self._indexed_rows = {}
        self._written = {}
        # The hot path's statements, built once: an article, its alerts and outbox rows, the link it came from.
        # (FastCursor.insert_id reads the new rows' ids)
        self._add_article = self._insert(ARTICLE).on_conflict_do_nothing(index_elements=["url"])
        self._add_alert = self._insert(ALERT).on_conflict_do_nothing(index_elements=["article_id", "rule"])
        self._add_delivery = self._insert(DELIVERY).on_conflict_do_nothing(
            index_elements=["alert_id", "channel"]
        )
        self._link_done = self._insert(SEEN_LINK).on_conflict_do_update(
            index_elements=["source", "url"], set_={"done": True}
        )
        self._count_article = (
            update(SOURCE_STATE)
            .where(SOURCE_STATE.c.name == bindparam("source_name"))
            .values(
                articles_seen=SOURCE_STATE.c.articles_seen + bindparam("n"),
                last_new_article_at=bindparam("at"),
            )
        )
        # The source is compared in Python: in SQL it led SQLite to scan the source's index.
        self._find_copies = (
            select(ARTICLE.c.url, ARTICLE.c.source)
            .where((ARTICLE.c.url == bindparam("url")) | (ARTICLE.c.content_hash == bindparam("hash")))
            .limit(50)
        )

    def _read(self) -> Any:
        """A connection for reading only: on SQLite it begins DEFERRED, so readers never queue for the
        write lock that `engine.begin()` takes up front."""
        return self.engine.connect().execution_options(pantau_read=True)

    @classmethod
    def open(cls, url: str) -> Store:
        engine = make_engine(url)
        migrate(engine)
        return cls(engine)

    def close(self) -> None:
        self._fast.close()
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _insert(self, table: Any) -> Any:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    # -- sources ------------------------------------------------------------------------------------------
    # A poll reads what it needs in one go (poll_state) and writes once at its end (record_poll), both on
    # the fast path: most polls of a big deployment find nothing new, and then these two are all it costs.

    def source_health(self, name: str) -> SourceHealth:
        with self._read() as conn:
            row = conn.execute(select(SOURCE_STATE).where(SOURCE_STATE.c.name == name)).mappings().first()
        return SourceHealth(**row) if row else SourceHealth(name=name)

    def all_source_health(self) -> list[SourceHealth]:
        with self._read() as conn:
            rows = conn.execute(select(SOURCE_STATE).order_by(SOURCE_STATE.c.name)).mappings().all()
        return [SourceHealth(**row) for row in rows]

    def poll_state(self, name: str, max_attempts: int, now: datetime | None = None) -> PollState:
        """What a poll of this source starts from, in one read: its validators and feed, the links that
        failed before with attempts left (oldest first), and, given `now`, whether a watched article is
        due for a re-check. The source gets its row on its first poll.

        The first statement of a poll: when the held connection turns out to be gone (a restarted
        PostgreSQL), it is read once more on a new one, as the pool's pre-ping would, so that a poll fails
        only when the database cannot be reached now."""
        try:
            row, unfinished, due = self._poll_state(name, max_attempts, now)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            row, unfinished, due = self._poll_state(name, max_attempts, now)
        if row is None:
            self.ensure_source(name)
            row = (None, None, None)
        return PollState(row[0], row[1], row[2], tuple(unfinished), recheck_due=due)

    def _poll_state(self, name: str, max_attempts: int, now: datetime | None) -> tuple[Any, list[str], bool]:
        with self._fast.transaction(write=False) as cur:
            row = cur.execute(self._state_of, {"name": name}).fetchone()
            unfinished = [
                url for (url,) in cur.execute(self._unfinished, {"source": name, "max": max_attempts})
            ]
            due = now is not None and cur.execute(self._recheck_due, {"source": name, "now": now}).fetchone()
        return row, unfinished, bool(due)

    def record_poll(
        self,
        name: str,
        at: datetime,
        *,
        error: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        feed_url: str | None = None,
        rechecks: Sequence[Rechecked] = (),
    ) -> None:
        """Note one poll of a source: a success resets the failure count, a failure adds one. `rechecks`:
        the articles it checked again, written in the same transaction (see RecheckQueries.rechecked)."""
        values: dict[str, Any] = {
            "name": name,
            "last_poll_at": at,
            "last_error": error,
            "last_poll_by": self.instance,
            "articles_seen": 0,
        }
        if error is None:
            values.update(
                consecutive_failures=0,
                last_success_at=at,
                etag=etag,
                last_modified=last_modified,
                feed_url=feed_url,
            )
        else:
            values.update(consecutive_failures=1)
        with self._fast.transaction(write=True) as cur:
            cur.execute(self._polled_ok if error is None else self._polled_failed, values)
            self._write_rechecks(cur, rechecks)

    def ensure_source(self, name: str) -> None:
        with self._fast.transaction(write=True) as cur:
            cur.execute(self._add_source, {"name": name, "consecutive_failures": 0, "articles_seen": 0})

    @cached_property
    def _state_of(self) -> Any:
        state = SOURCE_STATE.c
        return select(state.feed_url, state.etag, state.last_modified).where(state.name == bindparam("name"))

    @cached_property
    def _unfinished(self) -> Any:
        return (
            select(SEEN_LINK.c.url)
            .where(
                SEEN_LINK.c.source == bindparam("source"),
                SEEN_LINK.c.done == False,  # noqa: E712 (SQL, not Python)
                SEEN_LINK.c.attempts < bindparam("max"),
            )
            .order_by(SEEN_LINK.c.first_seen_at, SEEN_LINK.c.url)
        )

    @cached_property
    def _add_source(self) -> Any:
        return self._insert(SOURCE_STATE).on_conflict_do_nothing(index_elements=["name"])

    @cached_property
    def _polled_ok(self) -> Any:
        stmt = self._insert(SOURCE_STATE)
        kept = (
            "last_poll_at",
            "last_error",
            "last_poll_by",
            "consecutive_failures",
            "last_success_at",
            "etag",
            "last_modified",
            "feed_url",
        )
        return stmt.on_conflict_do_update(
            index_elements=["name"], set_={column: stmt.excluded[column] for column in kept}
        )

    @cached_property
    def _polled_failed(self) -> Any:
        stmt = self._insert(SOURCE_STATE)
        set_: dict[str, Any] = {
            column: stmt.excluded[column] for column in ("last_poll_at", "last_error", "last_poll_by")
        }
        set_["consecutive_failures"] = SOURCE_STATE.c.consecutive_failures + 1
        return stmt.on_conflict_do_update(index_elements=["name"], set_=set_)

    # -- links --------------------------------------------------------------------------------------------

    def links_to_fetch(self, source: str, urls: Sequence[str], max_attempts: int) -> list[str]:
        """The URLs not yet done for this source (and not given up on), in the order given."""
        wanted = list(dict.fromkeys(urls))
        if not wanted:
            return []
        finished: set[str] = set()
        with self._fast.transaction(write=False) as cur:
            for chunk in chunks(wanted, LINKS_PER_LOOKUP):
                values: dict[str, Any] = {"source": source, "max": max_attempts}
                values.update(zip(_LINK_KEYS, chunk, strict=False))
                values.update(dict.fromkeys(_LINK_KEYS[len(chunk) :]))  # NULL matches no URL
                finished.update(url for (url,) in cur.execute(_FINISHED_LINKS, values))
        return [url for url in wanted if url not in finished]

    def unfinished_links(self, source: str, max_attempts: int) -> list[str]:
        """Links of this source that failed and have attempts left, oldest first: tried again on the next
        poll even when the listing is unchanged (304) or no longer shows them."""
        with self._fast.transaction(write=False) as cur:
            return [url for (url,) in cur.execute(self._unfinished, {"source": source, "max": max_attempts})]

    def mark_link(self, source: str, url: str, at: datetime, *, done: bool, error: str | None = None) -> None:
        row = {
            "source": source,
            "url": url,
            "first_seen_at": at,
            "done": done,
            "attempts": 1,
            "last_error": error,
        }
        with self._fast.transaction(write=True) as cur:
            cur.execute(self._link_tried, row)

    @cached_property
    def _link_tried(self) -> Any:
        stmt = self._insert(SEEN_LINK)
        return stmt.on_conflict_do_update(
            index_elements=["source", "url"],
            set_={
                "done": stmt.excluded.done,
                "attempts": SEEN_LINK.c.attempts + 1,
                "last_error": stmt.excluded.last_error,
            },
        )

    # -- articles and alerts ------------------------------------------------------------------------------

    def _known(self, cur: FastCursor, url: str, content_hash: str, source: str | None) -> bool:
        rows = cur.all(self._find_copies, {"url": url, "hash": content_hash})
        return any(found_url == url or source in (None, found_source) for found_url, found_source in rows)

    def place_article(
        self,
        article: Article,
        link_url: str,
        fp: Fingerprint,
        *,
        since: datetime,
        cited: bool,
        plan: Callable[[StoryView | None], Sequence[tuple[Match, Sequence[Outgoing]]]],
        indexed: bool = True,
        watch: Watch | None = None,
        held: Sequence[str] = (),
    ) -> Placed:
        """The pipeline's one write per article: unless it is known already (the URL, or the same text from
        the same source), find its story (indexed since `since`), let `plan` decide its alerts from that
        story, and store it all: the article, its story and index rows, its alerts and their outbox rows.
        One transaction, and one at a time across every process that shares the store (SQLite's write
        lock; an advisory lock on PostgreSQL), so two workers saving two copies of a story at the same moment
        put them in one story and alert once. `indexed`: whether the article enters the near-duplicate index
        (the pipeline indexes every article, matched or not; benchmarks and tests may leave it out).
        `watch`: fetch it again for updates; `held`: the rules it matched but may not alert on (too old).
        """
        placement = Placement(article, link_url, fp, since, cited, plan, indexed, watch, tuple(held))
        return self._place_together([placement])[0]

    def place_articles(self, placements: Sequence[Placement]) -> list[Placed | Exception]:
        """Several `place_article`s in one transaction, in order, each seeing the ones before it (a copy
        placed after its original joins the original's story), with one commit for all of them.

        If one of them fails, nothing of the batch is kept and each is placed again in a transaction of
        its own, so that only the failing ones fail: their exceptions are returned in their places. (Not a
        savepoint each: on SQLite those cost more than the commit they save.) A single placement raises."""
        try:
            return list(self._place_together(placements))
        except Exception:
            if len(placements) == 1:
                raise
        results: list[Placed | Exception] = []
        for placement in placements:
            try:
                results.extend(self._place_together([placement]))
            except Exception as exc:  # returned to whoever asked for this one placement
                results.append(exc)
        return results

    def _place_together(self, placements: Sequence[Placement]) -> list[Placed]:
        self._written.clear()
        with self._fast.transaction(write=True) as cur:
            self._one_placement_at_a_time(cur)
            placed = [self._place(cur, placement) for placement in placements]
            # Written once for the batch (nothing placed reads them): every link is done, known or new.
            links = [self._done_link(p.article, p.link_url) for p in placements]
            cur.executemany(self._link_done, links)
            stored = [
                p.article for p, done in zip(placements, placed, strict=True) if done.article_id is not None
            ]
            self._count_articles(cur, stored)
        self._settle_index()
        return placed

    def _count_articles(self, cur: FastCursor, stored: Sequence[Article]) -> None:
        """Add the new articles to their sources' counts: one row per source, not per article; a source's
        last new article is the last one placed."""
        counts: dict[str, int] = {}
        last: dict[str, datetime] = {}
        for article in stored:
            counts[article.source] = counts.get(article.source, 0) + 1
            last[article.source] = article.fetched_at
        rows = [{"source_name": source, "n": n, "at": last[source]} for source, n in counts.items()]
        cur.executemany(self._count_article, rows)

    def _place(self, cur: FastCursor, p: Placement) -> Placed:
        """One placement of a batch; its link and its source's count are left to _place_together."""
        article = p.article
        if self._known(cur, article.url, article.content_hash, article.source):
            return Placed(None, 0)
        story = self._find_story(cur, p.fingerprint, p.since, lang=article.lang, cited=p.cited)
        planned = p.plan(story)
        placement = StoryLink(story.id if story else None, p.fingerprint if p.indexed else None)
        article_id = self._save(cur, article, planned, p.link_url, placement, batched=True)
        if article_id is not None and (p.watch is not None or p.held):
            self._watch_and_hold(cur, article_id, article, p.watch, p.held)
        return Placed(article_id, len(planned) if article_id is not None else 0)

    def _save(
        self,
        cur: FastCursor,
        article: Article,
        matches: Sequence[tuple[Match, Sequence[Outgoing]]],
        link_url: str,
        story: StoryLink | None,
        *,
        batched: bool = False,
    ) -> int | None:
        """Store a new article with its alerts and outbox rows, add it to its source's count and mark its
        link done; `batched`: leave those two to the caller (place_articles writes them for the batch)."""
        now = article.fetched_at
        article_id = self._add_article_in_story(cur, article, story)
        if article_id is not None:
            for match, outgoing in matches:
                alert_id = cur.insert_id(
                    self._add_alert,
                    {
                        "article_id": article_id,
                        "rule": match.rule,
                        "terms": _JSON.encode(_terms(match)),
                        "hits": _JSON.encode([h.__dict__ for h in match.hits]),
                        "snippet": match.snippet,
                        "created_at": now,
                    },
                )
                if alert_id is not None and outgoing:
                    rows = [
                        {
                            "alert_id": alert_id,
                            "channel": out.channel,
                            "digest": out.due_at > now,
                            "next_attempt_at": out.due_at,
                            "state": "pending",
                            "attempts": 0,
                        }
                        for out in outgoing
                    ]
                    cur.executemany(self._add_delivery, rows)
        if not batched:
            if article_id is not None:
                self._count_articles(cur, [article])
            cur.execute(self._link_done, self._done_link(article, link_url))
        return article_id

    @staticmethod
    def _done_link(article: Article, link_url: str) -> dict[str, Any]:
        return {
            "source": article.source,
            "url": link_url,
            "first_seen_at": article.fetched_at,
            "done": True,
            "attempts": 1,
        }

    def article(self, key: int | str) -> StoredArticle | None:
        column = ARTICLE.c.id if isinstance(key, int) else ARTICLE.c.url
        with self._read() as conn:
            row = conn.execute(select(ARTICLE).where(column == key)).mappings().first()
        return stored_article(row) if row else None

    def articles_since(self, since: datetime) -> Iterable[StoredArticle]:
        with self._read() as conn:
            rows = conn.execute(
                select(ARTICLE).where(ARTICLE.c.fetched_at >= since).order_by(ARTICLE.c.id)
            ).mappings()
            for row in rows:
                yield stored_article(row)

    # -- health and metrics: one cheap query each, run when /healthz or /metrics is asked -----------------

    def ping(self) -> None:
        """Raise (a DBAPIError) unless the database answers."""
        with self._read() as conn:
            conn.execute(select(1)).scalar_one()

    def pending_by_channel(self) -> dict[str, int]:
        """Deliveries not yet delivered nor given up, per channel."""
        query = (
            select(DELIVERY.c.channel, func.count())
            .where(DELIVERY.c.state == "pending")
            .group_by(DELIVERY.c.channel)
        )
        with self._read() as conn:
            return {channel: int(n) for channel, n in conn.execute(query)}

    def last_success_by_source(self) -> dict[str, datetime]:
        query = select(SOURCE_STATE.c.name, SOURCE_STATE.c.last_success_at).where(
            SOURCE_STATE.c.last_success_at.is_not(None)
        )
        with self._read() as conn:
            return {name: at for name, at in conn.execute(query)}

    def counts(self) -> dict[str, int]:
        with self._read() as conn:
            return {
                "articles": conn.execute(select(func.count()).select_from(ARTICLE)).scalar_one(),
                "alerts": conn.execute(select(func.count()).select_from(ALERT)).scalar_one(),
                "pending": conn.execute(
                    select(func.count()).select_from(DELIVERY).where(and_(DELIVERY.c.state == "pending"))
                ).scalar_one(),
            }


# json.dumps(..., ensure_ascii=False) builds an encoder on every call; one encoder writes the same text.
_JSON = json.JSONEncoder(ensure_ascii=False)


def stored_article(row: Any) -> StoredArticle:
    fields = {k: row[k] for k in Article.__dataclass_fields__}
    return StoredArticle(id=row["id"], article=Article(**fields))


def _terms(match: Match) -> list[str]:
    seen: dict[str, str] = {}
    for hit in match.hits:
        seen.setdefault(hit.term.casefold(), hit.term)
    return list(seen.values())
