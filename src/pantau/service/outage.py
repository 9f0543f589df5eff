"""The store going away, as an operational event: noticed, logged in one line, told to ops, recovered from.

The database being unreachable (PostgreSQL stopped or restarting, the network down, SQLite locked by a
backup) is not a bug: every poll and delivery pass that meets it fails whole and is done again once the
store is back, so nothing is lost. `StoreOutage` keeps what the service needs to say about it: since
when, why, and whether the ops channel has heard. It lives in memory, because the store it would be
written to is the thing that is gone. No I/O here: the service sends the messages it is handed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pantau.notify.render import Message, format_time


@dataclass
class StoreOutage:
    tell_after: timedelta  # how long it may last before the ops channel hears of it
    since: datetime | None = None
    reason: str | None = None
    told_at: datetime | None = None  # the ops channel heard "unavailable" (and so must hear "recovered")
    # (since, until, reason) of an outage whose end the ops channel is still owed
    recovered: tuple[datetime, datetime, str] | None = None
    _down_since: datetime | None = None  # the last outage's start and end
    _up_at: datetime | None = None

    @property
    def ongoing(self) -> bool:
        return self.since is not None

    def failed(self, reason: str, now: datetime) -> bool:
        """The store failed a poll or a delivery pass. True when this starts an outage."""
        self.reason = reason
        if self.since is not None:
            return False
        self.since = now
        return True

    def answered(self, now: datetime) -> timedelta | None:
        """The store did its part of a poll or delivery pass. When that ends an outage: how long it was."""
        if self.since is None:
            return None
        since, self.since = self.since, None
        self._down_since, self._up_at = since, now
        if self.told_at is not None:
            self.recovered = (since, now, self.reason or "")
            self.told_at = None
        return now - since

    def to_tell(self, now: datetime, tz: ZoneInfo) -> tuple[Message, str] | None:
        """The message the ops channel is owed now, if any, with its idempotency key; call `told` once
        it is sent."""
        if self.recovered is not None:
            since, until, reason = self.recovered
            body = (
                f"The database answers again at {format_time(until, tz)}, after {_took(until - since)}"
                f" ({reason}, since {format_time(since, tz)}). Polls and deliveries have resumed; nothing was lost."
            )
            return Message("[pantau] store: recovered", body, "text"), f"pantau-store-up-{since:%Y%m%d%H%M%S}"
        if self.since is not None and self.told_at is None and now - self.since >= self.tell_after:
            body = (
                f"{self.reason}, since {format_time(self.since, tz)}. Polls and deliveries wait for it and are"
                " done again when it is back; nothing is lost. You will hear when it recovers."
            )
            return (
                Message("[pantau] store: database unavailable", body, "text"),
                f"pantau-store-down-{self.since:%Y%m%d%H%M%S}",
            )
        return None

    def told(self, message: Message, now: datetime) -> None:
        """`message` (from `to_tell`) reached the ops channel."""
        if message.title.endswith("recovered"):
            self.recovered = None
        elif self.since is not None:
            self.told_at = now
        else:  # it recovered while the message was on its way: the recovery is owed too
            self.recovered = (self._down_since or now, self._up_at or now, self.reason or "")


def _took(delta: timedelta) -> str:
    seconds = max(int(delta.total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
