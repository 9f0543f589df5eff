"""When a source is polled next, as far as the store can tell (the CLI and the web view show it).

The running service knows better (its scheduler adds jitter); this is its plan without jitter: the last poll
plus the source's interval, or now when that moment has passed or the source was never polled.
"""

from __future__ import annotations

from datetime import datetime, timedelta


def next_poll(last_poll_at: datetime | None, every: timedelta, now: datetime) -> datetime:
    if last_poll_at is None:
        return now
    return max(now, last_poll_at + every)
