"""The outbox's queries: which deliveries are due, and what became of each attempt.

A mixin of Store (store.queries), kept apart because delivery has its own life: leases, retries, dead
letters, digests, rate limits and the incidents pantau reports about itself.

A sender first *claims* due rows (a short lease, in one UPDATE), sends, then records the outcome. Two
senders (two passes, or later two workers) never hold the same row; a sender killed mid-way leaves a lease
that runs out, after which the row is sent again with the same idempotency key. A sender whose pass outlasts
half its lease renews it for the rows still ahead of it, in the transaction that records a delivery.

Each delivered message is committed on its own, right after the channel took it (one UPDATE per row, on
the store's fast path): a kill -9 can cost at most the message in flight, never a batch of them. The claim
runs on the fast path too: one UPDATE ... RETURNING leases the rows, one SELECT reads them back with their
alerts, their stories and whether another outlet reported the story (only those few ask who else did).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, bindparam, exists, func, or_, select, update
from sqlalchemy.exc import DBAPIError

from pantau.models import Alert
from pantau.store.db import unavailable
from pantau.store.fast import FastPath
from pantau.store.tables import ALERT, ARTICLE, DELIVERY, DIGEST_STATE, INCIDENT

LEASE = timedelta(minutes=2)

# A delivery recorded, and a lease renewed: one row each, run on the fast path (compiled once).
_DELIVERED = (
    update(DELIVERY)
    .where(DELIVERY.c.id == bindparam("row_id"), DELIVERY.c.state == "pending")
    .values(
        state="delivered",
        delivered_at=bindparam("at"),
        attempts=DELIVERY.c.attempts + 1,
        message_key=bindparam("key"),
        last_error=None,
        lease_until=None,
        lease_owner=None,
    )
)
_RENEWED = (
    update(DELIVERY)
    .where(
        DELIVERY.c.id == bindparam("row_id"),
        DELIVERY.c.state == "pending",
        DELIVERY.c.lease_owner == bindparam("owner"),  # a lease another sender took over stays theirs
    )
    .values(lease_until=bindparam("until"))
)


# The claim: lease up to `limit` due, unleased pending rows, oldest first, in one UPDATE.
_FREE = or_(DELIVERY.c.lease_until.is_(None), DELIVERY.c.lease_until <= bindparam("now"))
# Within a channel alerts go out in the order they were matched: a row that failed (or waits behind one
# that did) and is not yet due again holds back every later row of its channel, alerts matched since
# included, so none of them overtakes it. Quiet hours and rate limits postpone without an error: they
# hold back nothing (an urgent rule still goes out in quiet hours).
_EARLIER = DELIVERY.alias("earlier")
_HELD_BACK = exists().where(
    _EARLIER.c.channel == DELIVERY.c.channel,
    _EARLIER.c.state == "pending",
    _EARLIER.c.next_attempt_at > bindparam("now"),
    _EARLIER.c.last_error.is_not(None),
    _EARLIER.c.id < DELIVERY.c.id,
)
_CLAIM = (
    update(DELIVERY)
    .where(
        DELIVERY.c.id.in_(
            select(DELIVERY.c.id)
            .where(
                DELIVERY.c.state == "pending",
                DELIVERY.c.next_attempt_at <= bindparam("now"),
                _FREE,
                ~_HELD_BACK,
            )
            .order_by(DELIVERY.c.id)
            .limit(bindparam("limit"))
            # PostgreSQL: rows another sender is claiming right now are passed over, not waited for
            # (several instances drain one outbox in cluster mode). SQLite ignores it: one writer at a time.
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        ),
        _FREE,  # checked again row by row, so a row another sender claimed meanwhile is skipped
    )
    .values(lease_until=bindparam("until"), lease_owner=bindparam("owner"))
    .returning(DELIVERY.c.id)
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
_OTHER = ARTICLE.alias("other")
# The rows just claimed, read back by their lease (through the index the claim used), with their alerts.
# The lease alone could also match rows this sender claimed earlier with the very same clock reading:
# the ids the claim returned decide.
_CLAIMED = (
    select(
        DELIVERY.c.id,
        DELIVERY.c.channel,
        DELIVERY.c.digest,
        DELIVERY.c.attempts,
        *ALERT_COLUMNS,
        ARTICLE.c.story_id,
        # whether another outlet reported the story: only those alerts ask which outlets did
        exists().where(_OTHER.c.story_id == ARTICLE.c.story_id, _OTHER.c.source != ARTICLE.c.source),
    )
    .join(ALERT, ALERT.c.id == DELIVERY.c.alert_id)
    .join(ARTICLE, ARTICLE.c.id == ALERT.c.article_id)
    .where(
        DELIVERY.c.state == "pending",
        DELIVERY.c.next_attempt_at <= bindparam("now"),
        DELIVERY.c.lease_owner == bindparam("owner"),
        DELIVERY.c.lease_until == bindparam("until"),
    )
    .order_by(DELIVERY.c.id)
)

# The senders holding leases on this host. Only pending rows are ever leased (recording an outcome ends
# the lease), so the outbox's index on state finds them without reading the delivered history.
_LEASE_OWNERS = (
    select(DELIVERY.c.lease_owner)
    .where(
        DELIVERY.c.state == "pending",
        DELIVERY.c.lease_until > bindparam("now"),
        DELIVERY.c.lease_owner.like(bindparam("pattern")),
    )
    .distinct()
)


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
    next_attempt_at: datetime | None = None  # pending: when it is tried (again)


@dataclass(frozen=True)
class Incident:
    id: int
    kind: str
    subject: str
    detail: str
    opened_at: datetime
    closed_at: datetime | None
    open_sent: bool
    close_sent: bool


class OutboxQueries:
    engine: Engine
    _fast: FastPath
    _unrecorded: list[tuple[tuple[int, ...], datetime, str | None]]  # sent while the database was away

    def _read(self) -> Any:
        raise NotImplementedError

    def _insert(self, table: Any) -> Any:
        raise NotImplementedError

    def also_reported_by(self, alert_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        raise NotImplementedError  # the story index (store.stories) answers this

    def alert_stories(self, alert_ids: Sequence[int]) -> dict[int, int]:
        raise NotImplementedError  # the story index (store.stories) answers this

    def _with_others(self, alerts: list[Alert]) -> list[Alert]:
        """The alerts with their story and the other outlets that reported it."""
        if not alerts:
            return alerts
        ids = [a.id for a in alerts]
        others, stories = self.also_reported_by(ids), self.alert_stories(ids)
        return [replace(a, also_reported_by=others.get(a.id, ()), story_id=stories.get(a.id)) for a in alerts]

    # -- sending ------------------------------------------------------------------------------------------

    def claim_due(
        self, now: datetime, limit: int = 1000, lease: timedelta = LEASE, owner: str | None = None
    ) -> list[DueDelivery]:
        """Lease the due, unleased pending rows (oldest alert first) and return them with their alerts."""
        binds = {"now": now, "limit": limit, "until": now + lease, "owner": owner or lease_owner()}
        with self._fast.transaction(write=True) as cur:
            claimed = {row_id for (row_id,) in cur.all(_CLAIM, binds)}
            if not claimed:
                return []
            del binds["limit"]
            rows = [row for row in cur.all(_CLAIMED, binds) if row[0] in claimed]
        others = self.also_reported_by([row[4] for row in rows if row[14]])
        when = self._fast.reader(ALERT.c.created_at)  # text on SQLite -> an aware UTC datetime
        parsed: dict[str, tuple[str, ...]] = {}  # the matched terms, as stored: alerts share a few
        due = []
        for row_id, channel, digest, attempts, alert_id, rule, terms, snippet, *rest in rows:
            created_at, source, url, title, published, story_id, _other = rest
            if (hits := parsed.get(terms)) is None:
                hits = parsed[terms] = tuple(json.loads(terms))
            alert = Alert(
                alert_id,
                rule,
                source,
                url,
                title,
                None if published is None else when(published),
                when(created_at),
                hits,
                snippet,
                others.get(alert_id, ()),
                story_id,
            )
            due.append(DueDelivery(row_id, channel, bool(digest), attempts, alert))
        return due

    def _set(self, ids: Sequence[int], **values: Any) -> None:
        with self.engine.begin() as conn:
            for chunk in chunks(list(ids), 500):
                conn.execute(
                    update(DELIVERY)
                    .where(DELIVERY.c.id.in_(chunk), DELIVERY.c.state == "pending")
                    .values(lease_until=None, lease_owner=None, **values)
                )

    def mark_delivered(
        self,
        ids: Sequence[int],
        at: datetime,
        message_key: str | None = None,
        *,
        renew: Sequence[int] = (),
        lease: timedelta = LEASE,
        owner: str | None = None,
    ) -> None:
        """Record a sent message, committed at once. `renew`: rows this sender (`owner`, by default this
        process) still holds and will send next; their lease is extended to `at + lease` in the same
        transaction. If the database is away at that moment, the record is kept in memory (and the error
        raised): `record_unrecorded` writes it once the database is back, before anything is claimed
        again, so the message is not sent a second time when its lease runs out."""
        renewals: tuple[dict[str, Any], ...] = ()
        if renew:
            holder, until = owner or lease_owner(), at + lease
            renewals = tuple({"row_id": i, "owner": holder, "until": until} for i in renew)
        try:
            self._delivered(tuple(ids), at, message_key, renewals)
        except DBAPIError as exc:
            if unavailable(exc) is not None:
                self._unrecorded.append((tuple(ids), at, message_key))
            raise

    def record_unrecorded(self) -> int:
        """Write the deliveries that were sent while the database was away; how many messages."""
        written = 0
        while self._unrecorded:
            self._delivered(*self._unrecorded[0])
            self._unrecorded.pop(0)
            written += 1
        return written

    def _delivered(
        self,
        ids: tuple[int, ...],
        at: datetime,
        message_key: str | None,
        renewals: Sequence[dict[str, Any]] = (),
    ) -> None:
        if len(ids) == 1 and not renewals:  # most messages: one row, one statement
            with self._fast.transaction(write=True, one_statement=True) as cur:
                cur.execute(_DELIVERED, {"row_id": ids[0], "at": at, "key": message_key})
            return
        with self._fast.transaction(write=True) as cur:
            # a digest or a rate-limit summary (one message, many rows), or a lease renewed with it
            cur.executemany(_DELIVERED, [{"row_id": i, "at": at, "key": message_key} for i in ids])
            cur.executemany(_RENEWED, renewals)

    def mark_failed(
        self, ids: Sequence[int], error: str, retry_at: datetime, *, attempted: bool = True
    ) -> None:
        """Schedule another try; `attempted=False` postpones deliveries queued behind a failed one."""
        values: dict[str, Any] = {"last_error": error, "next_attempt_at": retry_at}
        if attempted:
            values["attempts"] = DELIVERY.c.attempts + 1
        self._set(ids, **values)

    def mark_dead(self, ids: Sequence[int], error: str, at: datetime) -> None:
        self._set(ids, state="dead", dead_at=at, last_error=error, attempts=DELIVERY.c.attempts + 1)

    def postpone(self, ids: Sequence[int], until: datetime, *, digest: bool | None = None) -> None:
        """Not a failure: quiet hours or a rate limit. `digest=True` folds the rows into one message later."""
        values: dict[str, Any] = {"next_attempt_at": until}
        if digest is not None:
            values["digest"] = digest
        self._set(ids, **values)

    def release_orphaned_leases(self, now: datetime) -> int:
        """Free the leases of senders on this host that no longer run (killed, crashed), so their rows go
        out now rather than when the lease would have run out. Returns how many rows were freed."""
        pattern = f"{socket.gethostname()}:%"
        with self._fast.transaction(write=False) as cur:
            owners = cur.all(_LEASE_OWNERS, {"now": now, "pattern": pattern})
        dead = [owner for (owner,) in owners if not _alive(int(owner.rsplit(":", 1)[1]))]
        if not dead:
            return 0
        with self.engine.begin() as conn:
            result = conn.execute(
                update(DELIVERY)
                .where(DELIVERY.c.lease_owner.in_(dead), DELIVERY.c.state == "pending")
                .values(lease_until=None, lease_owner=None)
            )
        return int(result.rowcount)

    def pending_deliveries(self) -> int:
        """Outbox rows not yet delivered nor given up (due now, retrying later, or waiting for a digest)."""
        with self._read() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(DELIVERY).where(DELIVERY.c.state == "pending")
                ).scalar_one()
            )

    def messages_sent_since(self, channel: str, since: datetime) -> tuple[int, datetime | None]:
        """Messages (not rows: a digest is one) delivered to a channel since `since`, and the oldest's time."""
        query = select(
            func.count(func.distinct(DELIVERY.c.message_key)), func.min(DELIVERY.c.delivered_at)
        ).where(
            DELIVERY.c.channel == channel, DELIVERY.c.state == "delivered", DELIVERY.c.delivered_at > since
        )
        with self._read() as conn:
            count, oldest = conn.execute(query).one()
        return int(count), oldest

    # -- dead letters -------------------------------------------------------------------------------------

    def dead_deliveries(self) -> list[tuple[Alert, DeliveryState]]:
        query = (
            select(
                DELIVERY.c.channel,
                DELIVERY.c.state,
                DELIVERY.c.attempts,
                DELIVERY.c.last_error,
                DELIVERY.c.delivered_at,
                DELIVERY.c.next_attempt_at,
                *ALERT_COLUMNS,
            )
            .join(ALERT, ALERT.c.id == DELIVERY.c.alert_id)
            .join(ARTICLE, ARTICLE.c.id == ALERT.c.article_id)
            .where(DELIVERY.c.state == "dead")
            .order_by(DELIVERY.c.id)
        )
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        alerts = self._with_others([alert_from_row(r) for r in rows])
        return [(alert, _state(r)) for r, alert in zip(rows, alerts, strict=True)]

    def retry_dead(self, now: datetime) -> int:
        """Give every dead delivery a fresh start; returns how many."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(DELIVERY)
                .where(DELIVERY.c.state == "dead")
                .values(state="pending", attempts=0, next_attempt_at=now, dead_at=None, lease_until=None)
            )
        return int(result.rowcount)

    # -- digests ------------------------------------------------------------------------------------------

    def digest_sent(self, rule: str, channel: str) -> datetime | None:
        query = select(DIGEST_STATE.c.last_due_at).where(
            DIGEST_STATE.c.rule == rule, DIGEST_STATE.c.channel == channel
        )
        with self._read() as conn:
            found = conn.execute(query).first()
        return found[0] if found else None

    def has_pending_digest(self, rule: str, channel: str, now: datetime) -> bool:
        query = (
            select(DELIVERY.c.id)
            .join(ALERT, ALERT.c.id == DELIVERY.c.alert_id)
            .where(
                ALERT.c.rule == rule,
                DELIVERY.c.channel == channel,
                DELIVERY.c.state == "pending",
                DELIVERY.c.digest.is_(True),
                DELIVERY.c.next_attempt_at <= now,
            )
            .limit(1)
        )
        with self._read() as conn:
            return conn.execute(query).first() is not None

    def record_digest(self, rule: str, channel: str, due_at: datetime) -> None:
        stmt = self._insert(DIGEST_STATE).values(rule=rule, channel=channel, last_due_at=due_at)
        stmt = stmt.on_conflict_do_update(index_elements=["rule", "channel"], set_={"last_due_at": due_at})
        with self.engine.begin() as conn:
            conn.execute(stmt)

    # -- history ------------------------------------------------------------------------------------------

    def alerts_since(self, since: datetime) -> list[tuple[Alert, list[DeliveryState]]]:
        query = (
            select(*ALERT_COLUMNS)
            .join(ARTICLE, ARTICLE.c.id == ALERT.c.article_id)
            .where(ALERT.c.created_at >= since)
            .order_by(ALERT.c.created_at, ALERT.c.id)
        )
        with self._read() as conn:
            alerts = self._with_others([alert_from_row(r) for r in conn.execute(query).mappings()])
            states: dict[int, list[DeliveryState]] = {a.id: [] for a in alerts}
            for chunk in chunks(list(states), 500):
                rows = conn.execute(
                    select(DELIVERY).where(DELIVERY.c.alert_id.in_(chunk)).order_by(DELIVERY.c.channel)
                ).mappings()
                for r in rows:
                    states[r["alert_id"]].append(_state(r))
        return [(alert, states[alert.id]) for alert in alerts]

    # -- incidents ----------------------------------------------------------------------------------------

    def open_incident(self, kind: str, subject: str, detail: str, at: datetime) -> bool:
        """Open an incident unless one of this kind is already open for the subject; True if opened."""
        with self.engine.begin() as conn:
            found = conn.execute(
                select(INCIDENT.c.id).where(
                    INCIDENT.c.kind == kind, INCIDENT.c.subject == subject, INCIDENT.c.closed_at.is_(None)
                )
            ).first()
            if found:
                return False
            conn.execute(INCIDENT.insert().values(kind=kind, subject=subject, detail=detail, opened_at=at))
        return True

    def open_incident_subjects(self, kind: str) -> set[str]:
        """The subjects that have an open incident of this kind (e.g. the channels whose deliveries die)."""
        query = select(INCIDENT.c.subject).where(INCIDENT.c.kind == kind, INCIDENT.c.closed_at.is_(None))
        with self._read() as conn:
            return set(conn.execute(query).scalars())

    def close_incident(self, kind: str, subject: str, at: datetime) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(
                update(INCIDENT)
                .where(INCIDENT.c.kind == kind, INCIDENT.c.subject == subject, INCIDENT.c.closed_at.is_(None))
                .values(closed_at=at)
            )
        return bool(result.rowcount)

    def incidents_to_tell(self) -> list[Incident]:
        """Opened but not yet told, or closed but the close not yet told."""
        query = (
            select(INCIDENT)
            .where(
                or_(
                    INCIDENT.c.open_sent.is_(False),
                    and_(INCIDENT.c.closed_at.is_not(None), INCIDENT.c.close_sent.is_(False)),
                )
            )
            .order_by(INCIDENT.c.id)
        )
        with self._read() as conn:
            return [Incident(**r) for r in conn.execute(query).mappings()]

    def incident_told(self, incident_id: int, *, opening: bool, closing: bool) -> None:
        values: dict[str, Any] = {}
        if opening:
            values["open_sent"] = True
        if closing:
            values["close_sent"] = True
        with self.engine.begin() as conn:
            conn.execute(update(INCIDENT).where(INCIDENT.c.id == incident_id).values(**values))


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


def _state(r: Any) -> DeliveryState:
    return DeliveryState(
        r["channel"], r["state"], r["attempts"], r["last_error"], r["delivered_at"], r["next_attempt_at"]
    )


def lease_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
