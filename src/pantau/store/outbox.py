"""The outbox's queries: which deliveries are due, and what became of each attempt.

A mixin of Store (store.queries), kept apart because delivery has its own life: states, retries, digests.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update

from pantau.models import Alert
from pantau.store.tables import ALERT, ARTICLE, DELIVERY


@dataclass(frozen=True)
class DueDelivery:
    id: int
    channel: str
    digest: bool
    attempts: int
    alert: Alert


@dataclass(frozen=True)
class DeliveryState:
    channel: str
    state: str
    attempts: int
    last_error: str | None
    delivered_at: datetime | None


class OutboxQueries:
    engine: Engine

    def _read(self) -> Any:
        raise NotImplementedError

    def due_deliveries(self, now: datetime, limit: int = 500) -> list[DueDelivery]:
        query = (
            select(DELIVERY.c.id, DELIVERY.c.channel, DELIVERY.c.digest, DELIVERY.c.attempts, *ALERT_COLUMNS)
            .join(ALERT, ALERT.c.id == DELIVERY.c.alert_id)
            .join(ARTICLE, ARTICLE.c.id == ALERT.c.article_id)
            .where(DELIVERY.c.state == "pending", DELIVERY.c.next_attempt_at <= now)
            .order_by(DELIVERY.c.next_attempt_at, DELIVERY.c.id)
            .limit(limit)
        )
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            DueDelivery(r["id"], r["channel"], r["digest"], r["attempts"], alert_from_row(r)) for r in rows
        ]

    def mark_delivered(self, ids: Sequence[int], at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(DELIVERY)
                .where(DELIVERY.c.id.in_(ids), DELIVERY.c.state == "pending")
                .values(state="delivered", delivered_at=at, attempts=DELIVERY.c.attempts + 1, last_error=None)
            )

    def mark_failed(
        self, ids: Sequence[int], error: str, retry_at: datetime, *, attempted: bool = True
    ) -> None:
        """Schedule another try; `attempted=False` postpones deliveries queued behind a failed one."""
        values: dict[str, Any] = {"last_error": error, "next_attempt_at": retry_at}
        if attempted:
            values["attempts"] = DELIVERY.c.attempts + 1
        with self.engine.begin() as conn:
            conn.execute(
                update(DELIVERY).where(DELIVERY.c.id.in_(ids), DELIVERY.c.state == "pending").values(**values)
            )


ALERT_COLUMNS = (
    ALERT.c.id.label("alert_id"),
    ALERT.c.rule,
    ALERT.c.terms,
    ALERT.c.snippet,
    ALERT.c.created_at,
    ARTICLE.c.source,
    ARTICLE.c.url,
    ARTICLE.c.title,
    ARTICLE.c.published,
)


def alert_from_row(row: Any) -> Alert:
    return Alert(
        id=row["alert_id"],
        rule=row["rule"],
        source=row["source"],
        url=row["url"],
        title=row["title"],
        published=row["published"],
        created_at=row["created_at"],
        terms=tuple(json.loads(row["terms"])),
        snippet=row["snippet"],
    )


def chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
