"""Cluster mode's shared state: when each source is due, and the few facts instances tell each other.

A mixin of Store (store.queries). Every instance's dispatcher claims the due sources in one transaction
(rows locked with SKIP LOCKED on PostgreSQL, so two dispatchers at once each take different sources) and
moves each one's next time on by its interval, so a source is handed out once per interval however many
instances dispatch. A config loaded by any instance rewrites the schedules for all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, delete, select, update

from pantau.store.tables import CLUSTER_STATE, SOURCE_SCHEDULE

_MOVE_ON = (
    update(SOURCE_SCHEDULE)
    .where(SOURCE_SCHEDULE.c.name == bindparam("source"))
    .values(next_due_at=bindparam("next", type_=SOURCE_SCHEDULE.c.next_due_at.type))
)


@dataclass(frozen=True)
class Schedule:
    name: str
    every: timedelta
    next_due_at: datetime


class ScheduleQueries:
    engine: Engine

    def _read(self) -> Any:
        raise NotImplementedError

    def _insert(self, table: Any) -> Any:
        raise NotImplementedError

    def sync_schedules(self, every: Mapping[str, timedelta], now: datetime) -> None:
        """Make the schedules those of `every` (source -> interval): new sources are due now, removed
        ones are dropped, and a shorter interval takes effect at once rather than after the old one."""
        with self.engine.begin() as conn:
            rows = conn.execute(select(SOURCE_SCHEDULE).with_for_update()).mappings().all()
            known = {r["name"]: r for r in rows}
            gone = [name for name in known if name not in every]
            if gone:
                conn.execute(delete(SOURCE_SCHEDULE).where(SOURCE_SCHEDULE.c.name.in_(gone)))
            for name, interval in every.items():
                seconds = max(1, round(interval.total_seconds()))
                row = known.get(name)
                if row is None:
                    conn.execute(
                        self._insert(SOURCE_SCHEDULE)
                        .values(name=name, every_seconds=seconds, next_due_at=now)
                        .on_conflict_do_nothing(index_elements=["name"])
                    )
                elif row["every_seconds"] != seconds:
                    due = min(row["next_due_at"], now + timedelta(seconds=seconds))
                    conn.execute(
                        update(SOURCE_SCHEDULE)
                        .where(SOURCE_SCHEDULE.c.name == name)
                        .values(every_seconds=seconds, next_due_at=due)
                    )

    def claim_due_sources(self, now: datetime, limit: int = 1000) -> list[str]:
        """The sources due at `now`, oldest first, each moved on to its next time (keeping its cadence;
        after a pause, one interval from now rather than a burst of catch-up polls)."""
        query = (
            select(SOURCE_SCHEDULE)
            .where(SOURCE_SCHEDULE.c.next_due_at <= now)
            .order_by(SOURCE_SCHEDULE.c.next_due_at, SOURCE_SCHEDULE.c.name)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        moved = []
        with self.engine.begin() as conn:
            rows = conn.execute(query).mappings().all()
            for r in rows:
                every = timedelta(seconds=r["every_seconds"])
                following = r["next_due_at"] + every
                moved.append({"source": r["name"], "next": following if following > now else now + every})
            if moved:  # one statement for them all, however many are due
                conn.execute(_MOVE_ON, moved)
        return [r["name"] for r in rows]

    def schedules(self) -> list[Schedule]:
        with self._read() as conn:
            rows = conn.execute(select(SOURCE_SCHEDULE).order_by(SOURCE_SCHEDULE.c.name)).mappings().all()
        return [Schedule(r["name"], timedelta(seconds=r["every_seconds"]), r["next_due_at"]) for r in rows]

    def cluster_fact(self, key: str) -> tuple[str, datetime] | None:
        """A shared fact and when it was last set, or None."""
        with self._read() as conn:
            row = conn.execute(
                select(CLUSTER_STATE.c.value, CLUSTER_STATE.c.updated_at).where(CLUSTER_STATE.c.key == key)
            ).first()
        return None if row is None else (row[0], row[1])

    def set_cluster_fact(self, key: str, value: str, at: datetime) -> None:
        stmt = self._insert(CLUSTER_STATE).values(key=key, value=value, updated_at=at)
        stmt = stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value, "updated_at": at})
        with self.engine.begin() as conn:
            conn.execute(stmt)
