"""Working through the outbox: send what is due, mark it delivered only on success, retry the rest later.

Delivery rows are created with their alert (store.save_article); this module only reads the due ones,
renders, sends and records the outcome. Channels are worked on concurrently so one dead channel never
delays another; within a channel, alerts go out in the order they were matched, and a failure postpones
everything queued behind it so the order survives retries.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pantau.clock import Clock
from pantau.errors import DeliveryError
from pantau.notify.deliver import Notifier
from pantau.notify.render import Message, render_alert, render_digest
from pantau.store import DueDelivery, Store

BASE_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int
    failed: int
    errors: tuple[str, ...]


@dataclass(frozen=True)
class _Batch:
    """One message to one channel: a single alert, or a digest of several."""

    channel: str
    message: Message
    ids: tuple[int, ...]
    attempts: int


def backoff(attempts: int, key: int) -> timedelta:
    """Exponential backoff with a deterministic jitter of up to +25%, so retries of many rows spread out."""
    base: timedelta = min(BASE_BACKOFF * (2 ** min(attempts, 20)), MAX_BACKOFF)
    spread = int(hashlib.blake2b(str(key).encode(), digest_size=2).hexdigest(), 16) / 0xFFFF
    jittered: timedelta = base * (1 + spread / 4)
    return jittered


async def deliver_due(store: Store, notifier: Notifier, clock: Clock, tz: ZoneInfo) -> DeliveryReport:
    due = store.due_deliveries(clock())
    by_channel: dict[str, list[_Batch]] = defaultdict(list)
    for batch in _batches(due, tz):
        by_channel[batch.channel].append(batch)
    results = await asyncio.gather(
        *(_send_channel(store, notifier, clock, batches) for batches in by_channel.values())
    )
    delivered = sum(r[0] for r in results)
    errors = tuple(e for r in results for e in r[1])
    return DeliveryReport(delivered=delivered, failed=sum(r[2] for r in results), errors=errors)


def _batches(due: Sequence[DueDelivery], tz: ZoneInfo) -> list[_Batch]:
    batches: list[_Batch] = []
    digests: dict[tuple[str, str], list[DueDelivery]] = defaultdict(list)
    for item in due:
        if item.digest:
            digests[(item.alert.rule, item.channel)].append(item)
        else:
            batches.append(_Batch(item.channel, render_alert(item.alert, tz), (item.id,), item.attempts))
    for (rule, channel), items in digests.items():
        alerts = [item.alert for item in items]
        period = _period(alerts[0].created_at, alerts[-1].created_at, tz)
        message = render_digest(rule, alerts, tz, period)
        batches.append(_Batch(channel, message, tuple(i.id for i in items), max(i.attempts for i in items)))
    return batches


def _period(first: datetime, last: datetime, tz: ZoneInfo) -> str:
    a, b = first.astimezone(tz).date(), last.astimezone(tz).date()
    return a.isoformat() if a == b else f"{a.isoformat()} – {b.isoformat()}"


async def _send_channel(
    store: Store, notifier: Notifier, clock: Clock, batches: list[_Batch]
) -> tuple[int, list[str], int]:
    delivered = 0
    for index, batch in enumerate(batches):
        try:
            await notifier.send(batch.channel, batch.message, key=f"pantau-{batch.channel}-{batch.ids[0]}")
        except DeliveryError as exc:
            now = clock()
            retry_at = now + backoff(batch.attempts, batch.ids[0])
            store.mark_failed(batch.ids, str(exc), retry_at)
            behind = [i for later in batches[index + 1 :] for i in later.ids]
            if behind:
                store.mark_failed(
                    behind, f"waiting behind a failed delivery: {exc}", retry_at, attempted=False
                )
            return delivered, [str(exc)], len(batches) - index
        store.mark_delivered(batch.ids, clock())
        delivered += len(batch.ids)
    return delivered, [], 0
