"""Working through the outbox: send what is due, mark it delivered only on success, retry the rest later.

Delivery rows are created with their alert (store.place_article); a pass here claims the due ones, applies
quiet hours and rate limits, groups digests, renders, sends and records each outcome. Channels are worked
on concurrently so a dead channel never delays another; within a channel, alerts go out in the order they
were matched, and a failure postpones everything queued behind it so the order survives retries.

Exactly-once holds in normal operation. After a crash, the only duplicate possible is a message the channel
accepted in the moment before pantau recorded it (the commit right after a successful send, one per
message): it is sent again with the same idempotency key (header X-Pantau-Delivery), which a receiver can
use to drop it. A channel slow enough to use up half of the lease taken at the claim renews it for the rows
still ahead of it, with the record of a delivery, so no other sender takes them over mid-pass.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from pantau.clock import Clock
from pantau.config import ChannelConfig, Config, RuleConfig
from pantau.errors import DeliveryError
from pantau.notify.deliver import Notifier
from pantau.notify.ops import check_health, tell_incidents
from pantau.notify.render import Message
from pantau.notify.templates import alert_message, digest_message
from pantau.store import DueDelivery, Store
from pantau.store.outbox import LEASE
from pantau.words import count

BASE_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class ChannelReport:
    """One channel's part of a pass. `failed` counts attempts that failed and will be retried (not the
    rows postponed behind them); `delays` is, per delivered alert, seconds from its article's fetch."""

    channel: str
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    delays: tuple[float, ...] = ()


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int
    failed: int
    errors: tuple[str, ...]
    dead: int = 0
    channels: tuple[ChannelReport, ...] = ()


@dataclass(frozen=True)
class _Batch:
    """One message to one channel: a single alert, a digest, or a rate-limit summary."""

    channel: str
    message: Message
    items: tuple[DueDelivery, ...]

    @property
    def ids(self) -> list[int]:
        return [item.id for item in self.items]

    @property
    def key(self) -> str:
        return f"pantau-{self.channel}-{self.items[0].id}"

    @property
    def digest(self) -> bool:
        """Whether it carries rows that waited for a digest (their rule's digest period then restarts)."""
        return any(item.digest for item in self.items)


@dataclass(frozen=True)
class _Outcome:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    error: str | None = None
    attempted_failed: int = 0  # of `failed`, the rows that were tried (not those waiting behind them)
    delays: tuple[float, ...] = ()


def backoff(attempts: int, key: int) -> timedelta:
    """Exponential backoff with a deterministic jitter of up to +25%, so retries of many rows spread out."""
    base: timedelta = min(BASE_BACKOFF * (2 ** min(attempts, 20)), MAX_BACKOFF)
    spread = int(hashlib.blake2b(str(key).encode(), digest_size=2).hexdigest(), 16) / 0xFFFF
    jittered: timedelta = base * (1 + spread / 4)
    return jittered


async def deliver_due(store: Store, notifier: Notifier, config: Config, clock: Clock) -> DeliveryReport:
    sender = _Sender(store, notifier, config, clock)
    store.record_unrecorded()  # sent while the database was away: recorded before anything is claimed
    store.release_orphaned_leases(clock())
    await sender.empty_digests()
    claimed_at = clock()
    due = store.claim_due(claimed_at)  # leased for LEASE
    sender.lease_until = claimed_at + LEASE
    by_channel: dict[str, list[DueDelivery]] = defaultdict(list)
    for item in due:
        by_channel[item.channel].append(item)
    outcomes = await asyncio.gather(*(sender.channel(name, items) for name, items in by_channel.items()))
    if config.ops is not None:
        check_health(store, config, clock())
        await tell_incidents(store, notifier, config)
    return DeliveryReport(
        delivered=sum(o.delivered for o in outcomes),
        failed=sum(o.failed for o in outcomes),
        errors=tuple(o.error for o in outcomes if o.error),
        dead=sum(o.dead for o in outcomes),
        channels=tuple(
            ChannelReport(name, o.delivered, o.attempted_failed, o.dead, o.delays)
            for name, o in zip(by_channel, outcomes, strict=True)
        ),
    )


class _Sender:
    def __init__(self, store: Store, notifier: Notifier, config: Config, clock: Clock) -> None:
        self.store = store
        self.notifier = notifier
        self.config = config
        self.clock = clock
        self._rules = {rule.name: rule for rule in config.rules}  # looked up for every due row
        self.lease_until = clock() + LEASE  # when the lease on the claimed rows runs out (set at the claim)
        # Channels with an open "deliveries dying" incident: read once a pass, at its first delivery, so a
        # pass closes each such incident once and one with none open asks nothing more.
        self._dying: set[str] | None = None

    def rule(self, name: str) -> RuleConfig | None:
        """None for a rule removed from the config since it matched: its alerts are delivered plainly."""
        return self._rules.get(name)

    def settings(self, name: str) -> ChannelConfig:
        return self.config.channels.get(name) or ChannelConfig(name=name, urls=())

    async def channel(self, name: str, items: list[DueDelivery]) -> _Outcome:
        channel = self.settings(name)
        items = self._outside_quiet_hours(channel, items)
        batches = self._batches(channel, items)
        batches = self._within_rate_limit(channel, batches)
        return await self._send_in_order(batches)

    def _outside_quiet_hours(self, channel: ChannelConfig, items: list[DueDelivery]) -> list[DueDelivery]:
        now, tz = self.clock(), self.config.timezone
        ready: list[DueDelivery] = []
        waiting: dict[tuple[datetime, bool], list[int]] = defaultdict(list)
        for item in items:
            rule = self.rule(item.alert.rule)
            quiet = (rule.quiet if rule and rule.quiet else None) or channel.quiet
            if quiet is None or (rule is not None and rule.urgent) or not quiet.contains(now, tz):
                ready.append(item)
                continue
            waiting[(quiet.ends_after(now, tz), channel.quiet_digest or item.digest)].append(item.id)
        for (until, as_digest), ids in waiting.items():
            self.store.postpone(ids, until, digest=as_digest)
        return ready

    def _batches(self, channel: ChannelConfig, items: list[DueDelivery]) -> list[_Batch]:
        tz = self.config.timezone
        batches: list[_Batch] = []
        digests: dict[str, list[DueDelivery]] = defaultdict(list)
        for item in items:
            if item.digest:
                digests[item.alert.rule].append(item)
                continue
            rule = self.rule(item.alert.rule)
            template = (rule.template if rule else None) or channel.template
            message = alert_message(item.alert, tz, channel.format, template)
            batches.append(_Batch(channel.name, message, (item,)))
        for rule_name, group in digests.items():
            rule = self.rule(rule_name)
            template = (rule.template if rule else None) or channel.template
            for start in range(0, len(group), channel.max_items):
                part = group[start : start + channel.max_items]
                alerts = [i.alert for i in part]
                period = _period(alerts[0].created_at, alerts[-1].created_at, self.config)
                message = digest_message(rule_name, alerts, tz, period, channel.format, template)
                batches.append(_Batch(channel.name, message, tuple(part)))
        return batches

    def _within_rate_limit(self, channel: ChannelConfig, batches: list[_Batch]) -> list[_Batch]:
        if channel.max_per_hour is None or not batches:
            return batches
        now = self.clock()
        sent, oldest = self.store.messages_sent_since(channel.name, now - HOUR)
        budget = channel.max_per_hour - sent
        if budget <= 0:
            later = (oldest + HOUR) if oldest else now + HOUR
            self.store.postpone([i for b in batches for i in b.ids], later)
            return []
        if len(batches) <= budget:
            return batches
        # The last message of the hour carries everything else, so nothing waits and nothing is lost.
        kept, rest = batches[: budget - 1], batches[budget - 1 :]
        items = tuple(item for batch in rest for item in batch.items)
        alerts = [item.alert for item in items]
        period = f"{count(len(alerts), 'alert')} over the limit of {count(channel.max_per_hour, 'message')} an hour"
        summary = digest_message("several rules", alerts, self.config.timezone, period, channel.format)
        title = (
            f"[{channel.name}] {count(len(alerts), 'more alert')} (rate limit {channel.max_per_hour}/hour)"
        )
        return [*kept, _Batch(channel.name, Message(title, summary.body, summary.format), items)]

    async def _send_in_order(self, batches: list[_Batch]) -> _Outcome:
        delays: list[float] = []
        renew_from = self.lease_until - LEASE / 2  # from then on, half of the lease is used up
        send, record = self.notifier.send, self.store.mark_delivered
        for index, batch in enumerate(batches):
            key = batch.key
            try:
                await send(batch.channel, batch.message, key=key)
            except DeliveryError as exc:
                return replace(
                    self._failed(batch, batches[index + 1 :], str(exc), len(delays)), delays=tuple(delays)
                )
            now = self.clock()
            renew: list[int] = []
            if now >= renew_from:  # a slow channel: keep the rows still ahead of it
                renew = [i for later in batches[index + 1 :] for i in later.ids]
                renew_from = now + LEASE / 2
            record(batch.ids, now, key, renew=renew)
            if not delays:
                self._recovered(batch.channel, now)
            if batch.digest:
                self._digest_sent(batch, now)
            delays.extend((now - item.alert.created_at).total_seconds() for item in batch.items)
        return _Outcome(delivered=len(delays), delays=tuple(delays))

    def _recovered(self, channel: str, now: datetime) -> None:
        """A channel took a message: its "deliveries dying" incident, if one is open, is closed."""
        if self._dying is None:
            self._dying = self.store.open_incident_subjects("delivery-dying")
        if channel in self._dying:
            self._dying.discard(channel)
            self.store.close_incident("delivery-dying", channel, now)

    def _failed(self, batch: _Batch, behind: Sequence[_Batch], error: str, delivered: int) -> _Outcome:
        now = self.clock()
        limits = self.config.delivery
        attempts = max(item.attempts for item in batch.items) + 1
        oldest = min(item.alert.created_at for item in batch.items)
        retry_at = now + backoff(attempts - 1, batch.items[0].id)
        dead = attempts >= limits.max_attempts or now - oldest >= limits.give_up_after
        if dead:
            self.store.mark_dead(batch.ids, error, now)
            detail = (
                f"gave up on {count(len(batch.items), 'alert')} after {count(attempts, 'attempt')}: {error}"
            )
            self.store.open_incident("delivery-dying", batch.channel, detail, now)
        else:
            self.store.mark_failed(batch.ids, error, retry_at)
        waiting = [i for later in behind for i in later.ids]
        if waiting:
            self.store.mark_failed(
                waiting, f"waiting behind a failed delivery: {error}", retry_at, attempted=False
            )
        failed = len(batch.items) + len(waiting)
        return _Outcome(
            delivered=delivered,
            failed=failed,
            dead=len(batch.items) if dead else 0,
            error=error,
            attempted_failed=0 if dead else len(batch.items),
        )

    def _digest_sent(self, batch: _Batch, now: datetime) -> None:
        rules = {item.alert.rule for item in batch.items if item.digest}
        for name in rules:
            self.store.record_digest(name, batch.channel, now)

    async def empty_digests(self) -> None:
        """Rules with `digest_empty: true` say "nothing new" when a period passes without alerts."""
        now, tz = self.clock(), self.config.timezone
        for rule in self.config.rules:
            if rule.digest is None or not rule.digest_empty:
                continue
            for name in rule.notify:
                last = self.store.digest_sent(rule.name, name)
                if last is None:
                    self.store.record_digest(rule.name, name, now)  # the first period starts now
                    continue
                due = rule.digest.next_due(last, tz)
                if due > now or self.store.has_pending_digest(rule.name, name, now):
                    continue
                channel = self.settings(name)
                period = _period(last, now, self.config)
                message = digest_message(
                    rule.name, [], tz, period, channel.format, rule.template or channel.template
                )
                try:
                    await self.notifier.send(
                        name, message, key=f"pantau-empty-{rule.name}-{name}-{due:%Y%m%d%H%M}"
                    )
                except DeliveryError:
                    continue  # tried again on the next pass
                self.store.record_digest(rule.name, name, now)


def _period(first: datetime, last: datetime, config: Config) -> str:
    a, b = first.astimezone(config.timezone).date(), last.astimezone(config.timezone).date()
    return a.isoformat() if a == b else f"{a.isoformat()} – {b.isoformat()}"
