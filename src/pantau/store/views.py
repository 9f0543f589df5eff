"""Read-only queries for the web view: pages of alerts with their deliveries, a story's copies, article
counts per source. A mixin of Store (store.queries); nothing here writes.

Every query is bounded (a page, a story, one GROUP BY over a recent window) so a page answers quickly on a
store with hundreds of thousands of articles.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, select

from pantau.models import Alert
from pantau.store.outbox import ALERT_COLUMNS, alert_from_row, chunks
from pantau.store.tables import ALERT, ARTICLE, DELIVERY

if TYPE_CHECKING:
    from pantau.store.queries import StoredArticle


@dataclass(frozen=True)
class DeliveryView:
    """One channel's delivery of an alert, as an operator wants to see it."""

    channel: str
    state: str  # pending | delivered | dead
    attempts: int
    last_error: str | None
    delivered_at: datetime | None
    next_attempt_at: datetime | None  # meaningful while pending
    digest: bool


@dataclass(frozen=True)
class AlertView:
    alert: Alert
    article_id: int
    story_id: int | None
    deliveries: tuple[DeliveryView, ...]


@dataclass(frozen=True)
class AlertFilter:
    """Which alerts a page shows: all of them unless narrowed. `before` is an alert id (the next page)."""

    rule: str | None = None
    source: str | None = None
    since: datetime | None = None
    before: int | None = None


@dataclass(frozen=True)
class StoryCopy:
    """One outlet's article in a story, with the alerts it raised."""

    id: int
    source: str
    url: str
    title: str
    published: datetime | None
    fetched_at: datetime
    lang: str | None
    alerts: tuple[AlertView, ...]


class ViewQueries:
    engine: Engine

    def _read(self) -> Any:
        raise NotImplementedError

    def _with_others(self, alerts: list[Alert]) -> list[Alert]:
        raise NotImplementedError  # store.outbox answers this

    def alert_page(self, where: AlertFilter, limit: int) -> list[AlertView]:
        """Up to `limit` alerts matching `where`, newest first (by id: ids grow with time)."""
        query = select(*ALERT_COLUMNS, ALERT.c.article_id, ARTICLE.c.story_id).join(
            ARTICLE, ARTICLE.c.id == ALERT.c.article_id
        )
        if where.rule is not None:
            query = query.where(ALERT.c.rule == where.rule)
        if where.source is not None:
            query = query.where(ARTICLE.c.source == where.source)
        if where.since is not None:
            query = query.where(ALERT.c.created_at >= where.since)
        if where.before is not None:
            query = query.where(ALERT.c.id < where.before)
        query = query.order_by(ALERT.c.id.desc()).limit(limit)
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
            deliveries = _deliveries(conn, [r["alert_id"] for r in rows])
        alerts = self._with_others([alert_from_row(r) for r in rows])
        return [
            AlertView(alert, r["article_id"], r["story_id"], deliveries.get(alert.id, ()))
            for r, alert in zip(rows, alerts, strict=True)
        ]

    def story_copies(self, story_id: int) -> list[StoryCopy]:
        """Every article of a story, first fetched first, each with its alerts (empty: no such story)."""
        articles = (
            select(
                ARTICLE.c.id,
                ARTICLE.c.source,
                ARTICLE.c.url,
                ARTICLE.c.title,
                ARTICLE.c.published,
                ARTICLE.c.fetched_at,
                ARTICLE.c.lang,
            )
            .where(ARTICLE.c.story_id == story_id)
            .order_by(ARTICLE.c.fetched_at, ARTICLE.c.id)
        )
        alerts = (
            select(*ALERT_COLUMNS, ALERT.c.article_id)
            .join(ARTICLE, ARTICLE.c.id == ALERT.c.article_id)
            .where(ARTICLE.c.story_id == story_id)
            .order_by(ALERT.c.id)
        )
        with self._read() as conn:
            copies = conn.execute(articles).mappings().all()
            alert_rows = conn.execute(alerts).mappings().all()
            deliveries = _deliveries(conn, [r["alert_id"] for r in alert_rows])
        by_article: dict[int, list[AlertView]] = {}
        for r in alert_rows:
            alert = alert_from_row(r)
            view = AlertView(alert, r["article_id"], story_id, deliveries.get(alert.id, ()))
            by_article.setdefault(r["article_id"], []).append(view)
        return [
            StoryCopy(
                id=c["id"],
                source=c["source"],
                url=c["url"],
                title=c["title"],
                published=c["published"],
                fetched_at=c["fetched_at"],
                lang=c["lang"],
                alerts=tuple(by_article.get(c["id"], ())),
            )
            for c in copies
        ]

    def newest_articles(self, since: datetime, limit: int) -> Iterator[StoredArticle]:
        """Up to `limit` articles fetched since `since`, newest first (read as they are used)."""
        from pantau.store.queries import stored_article

        query = (
            select(ARTICLE)
            .where(ARTICLE.c.fetched_at >= since)
            .order_by(ARTICLE.c.fetched_at.desc(), ARTICLE.c.id.desc())
            .limit(limit)
        )
        with self._read() as conn:
            for row in conn.execute(query).mappings():
                yield stored_article(row)

    def articles_per_source(self, since: datetime) -> dict[str, int]:
        """How many articles each source gave since `since` (sources with none are absent)."""
        query = (
            select(ARTICLE.c.source, func.count())
            .where(ARTICLE.c.fetched_at >= since)
            .group_by(ARTICLE.c.source)
        )
        with self._read() as conn:
            return {source: int(count) for source, count in conn.execute(query)}


def _deliveries(conn: Any, alert_ids: Sequence[int]) -> dict[int, tuple[DeliveryView, ...]]:
    found: dict[int, list[DeliveryView]] = {}
    for chunk in chunks(list(alert_ids), 500):
        query = (
            select(
                DELIVERY.c.alert_id,
                DELIVERY.c.channel,
                DELIVERY.c.state,
                DELIVERY.c.attempts,
                DELIVERY.c.last_error,
                DELIVERY.c.delivered_at,
                DELIVERY.c.next_attempt_at,
                DELIVERY.c.digest,
            )
            .where(DELIVERY.c.alert_id.in_(chunk))
            .order_by(DELIVERY.c.alert_id, DELIVERY.c.channel)
        )
        for r in conn.execute(query).mappings():
            view = DeliveryView(
                channel=r["channel"],
                state=r["state"],
                attempts=r["attempts"],
                last_error=r["last_error"],
                delivered_at=r["delivered_at"],
                next_attempt_at=r["next_attempt_at"],
                digest=bool(r["digest"]),
            )
            found.setdefault(r["alert_id"], []).append(view)
    return {alert_id: tuple(views) for alert_id, views in found.items()}
