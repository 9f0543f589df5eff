"""Articles fetched again for updates (the `recheck` table), and matching articles held back as too old
(the `held_back` table). A mixin of Store (store.queries).

A re-checked article that changed is stored as a revision: a new article row in the original's story
(its URL is the original's with a `#update-…` fragment, so the same revision is stored once however many
workers read it), and its alerts are planned against that story like a copy's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, cast

from sqlalchemy import Engine, bindparam, delete, func, select, update

from pantau.dedupe import Fingerprint, PriorAlert, StoryView
from pantau.models import Article, Match
from pantau.store.fast import FastCursor, FastPath
from pantau.store.stories import StoryLink
from pantau.store.tables import ARTICLE, HELD_BACK, RECHECK


@dataclass(frozen=True)
class Watch:
    """Fetch this article again (its first page `url`) from `next_at` until `until`."""

    url: str
    etag: str | None
    last_modified: str | None
    next_at: datetime
    until: datetime


@dataclass(frozen=True)
class DueRecheck:
    article_id: int
    url: str
    etag: str | None
    last_modified: str | None
    content_hash: str
    first_seen_at: datetime
    until: datetime
    story_id: int | None
    original_url: str  # the stored article's canonical URL


@dataclass(frozen=True)
class Rechecked:
    """One check of a watched article, to note: the validators read, the next check (None: watch no
    more) and, when its text changed, the new text's hash."""

    article_id: int
    next_at: datetime | None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None


class RecheckQueries:
    engine: Engine
    _fast: FastPath
    _story_alerts: Any  # StoryQueries': a story's alerts (rule, terms, source)

    def _read(self) -> Any:
        raise NotImplementedError

    def _insert(self, table: Any) -> Any:
        raise NotImplementedError

    def _one_placement_at_a_time(self, cur: FastCursor) -> None:
        raise NotImplementedError

    def _known(self, cur: FastCursor, url: str, content_hash: str, source: str | None) -> bool:
        raise NotImplementedError

    def _save(
        self,
        cur: FastCursor,
        article: Article,
        matches: Sequence[tuple[Match, Sequence[Any]]],
        link_url: str,
        story: StoryLink | None,
    ) -> int | None:
        raise NotImplementedError

    def _watch_and_hold(
        self,
        cur: FastCursor,
        article_id: int,
        article: Article,
        watch: Watch | None,
        held: Sequence[str],
    ) -> None:
        """In the article's own transaction: start watching it for updates, note it as held back."""
        if watch is not None:
            row = {
                "article_id": article_id,
                "source": article.source,
                "url": watch.url,
                "etag": watch.etag,
                "last_modified": watch.last_modified,
                "content_hash": article.content_hash,
                "first_seen_at": article.fetched_at,
                "next_at": watch.next_at,
                "until": watch.until,
            }
            cur.execute(self._add_watch, row)
        if held:
            hold = {"article_id": article_id, "source": article.source, "at": article.fetched_at}
            cur.execute(self._add_held, {**hold, "rules": json.dumps(list(held), ensure_ascii=False)})

    @cached_property
    def _add_watch(self) -> Any:
        return self._insert(RECHECK).on_conflict_do_nothing(index_elements=["article_id"])

    @cached_property
    def _add_held(self) -> Any:
        return self._insert(HELD_BACK).on_conflict_do_nothing(index_elements=["article_id"])

    def due_rechecks(self, source: str, now: datetime, limit: int) -> list[DueRecheck]:
        """This source's watched articles whose next check is due, longest waiting first."""
        with self._fast.transaction(write=False) as cur:
            rows = cur.all(self._due_checks, {"source": source, "now": now, "limit": limit})
        when = self._when
        return [
            DueRecheck(
                article_id, url, etag, modified, content_hash, when(first), when(until), story, original
            )
            for article_id, url, etag, modified, content_hash, first, until, story, original in rows
        ]

    def rechecked(
        self,
        article_id: int,
        *,
        next_at: datetime | None,
        etag: str | None = None,
        last_modified: str | None = None,
        content_hash: str | None = None,
    ) -> None:
        """Note a check: the validators and text hash it read, and the next check (None: watch no more).
        The pipeline notes a poll's checks with the poll itself (Store.record_poll)."""
        with self._fast.transaction(write=True) as cur:
            self._write_rechecks(cur, [Rechecked(article_id, next_at, etag, last_modified, content_hash)])

    def _write_rechecks(self, cur: FastCursor, checks: Sequence[Rechecked]) -> None:
        ended = [{"id": c.article_id} for c in checks if c.next_at is None]
        moved = [
            {
                "id": c.article_id,
                "at": c.next_at,
                "etag": c.etag,
                "modified": c.last_modified,
                "hash": c.content_hash,
            }
            for c in checks
            if c.next_at is not None
        ]
        cur.executemany(self._unwatch, ended)
        cur.executemany(self._check_moved, moved)

    @cached_property
    def _due_checks(self) -> Any:
        return (
            select(
                RECHECK.c.article_id,
                RECHECK.c.url,
                RECHECK.c.etag,
                RECHECK.c.last_modified,
                RECHECK.c.content_hash,
                RECHECK.c.first_seen_at,
                RECHECK.c.until,
                ARTICLE.c.story_id,
                ARTICLE.c.url,
            )
            .join(ARTICLE, ARTICLE.c.id == RECHECK.c.article_id)
            .where(
                RECHECK.c.source == bindparam("source"),
                RECHECK.c.next_at <= bindparam("now"),
                RECHECK.c.until > bindparam("now"),
            )
            .order_by(RECHECK.c.next_at, RECHECK.c.article_id)
            .limit(bindparam("limit"))
        )

    @cached_property
    def _recheck_due(self) -> Any:
        """Is any watched article of this source due (Store.poll_state)?"""
        return (
            select(RECHECK.c.article_id)
            .where(
                RECHECK.c.source == bindparam("source"),
                RECHECK.c.next_at <= bindparam("now"),
                RECHECK.c.until > bindparam("now"),
            )
            .limit(1)
        )

    @cached_property
    def _when(self) -> Callable[[Any], datetime]:
        """A datetime column's value as the driver returns it -> an aware UTC datetime (the fast path
        leaves result values as they come: text on SQLite)."""
        return cast(Callable[[Any], datetime], self._fast.reader(RECHECK.c.until))

    @cached_property
    def _unwatch(self) -> Any:
        return delete(RECHECK).where(RECHECK.c.article_id == bindparam("id"))

    @cached_property
    def _check_moved(self) -> Any:
        return (
            update(RECHECK)
            .where(RECHECK.c.article_id == bindparam("id"))
            .values(
                next_at=bindparam("at", type_=RECHECK.c.next_at.type),
                etag=bindparam("etag"),
                last_modified=bindparam("modified"),
                content_hash=func.coalesce(
                    bindparam("hash", type_=RECHECK.c.content_hash.type), RECHECK.c.content_hash
                ),
            )
        )

    def place_revision(
        self,
        article: Article,
        story_id: int | None,
        fp: Fingerprint,
        *,
        indexed: bool,
        held: Sequence[str],
        plan: Callable[[StoryView | None], Sequence[tuple[Match, Sequence[Any]]]],
    ) -> tuple[int | None, int]:
        """Store a changed article as a revision in its original's story; (its id, alerts), or (None, 0)
        when this revision was stored already (or the source already had this text: an update undone)."""
        with self._fast.transaction(write=True) as cur:
            self._one_placement_at_a_time(cur)
            if self._known(cur, article.url, article.content_hash, article.source):
                return None, 0
            story = None
            if story_id is not None:
                rows = cur.all(self._story_alerts, {"story_id": story_id})
                alerts = tuple(PriorAlert(rule, src, tuple(json.loads(terms))) for rule, terms, src in rows)
                story = StoryView(story_id, alerts)
            planned = plan(story)
            placement = StoryLink(story_id, fp if indexed else None)
            article_id = self._save(cur, article, planned, article.url, placement)
            if article_id is not None and held:
                self._watch_and_hold(cur, article_id, article, None, held)
        return article_id, len(planned) if article_id is not None else 0

    def held_back_counts(self, since: datetime | None = None) -> dict[str, int]:
        """Source -> articles that matched a rule but were too old to alert (since `since`, if given)."""
        query = select(HELD_BACK.c.source, func.count()).group_by(HELD_BACK.c.source)
        if since is not None:
            query = query.where(HELD_BACK.c.at >= since)
        with self._read() as conn:
            return {source: int(count) for source, count in conn.execute(query)}
