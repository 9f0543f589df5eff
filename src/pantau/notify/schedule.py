"""When digests fall due and when quiet hours end, computed on the user's wall clock.

Pure: parses the config's schedule strings and answers "what is the next due instant after this one?".
It must never read the clock itself (the caller passes `after`), and it takes and returns aware UTC
datetimes only; the user's zone is used for the arithmetic and nowhere else.

Wall-clock rules, so digests keep their local times across daylight-saving changes:
- a slot that does not exist locally (the skipped spring hour) falls due as far after the gap as it was
  into it (02:30 on a 02:00->03:00 day is due at 03:30);
- a slot that exists twice (the repeated autumn hour) falls due once, at its first occurrence;
- "every N" slots count from local midnight each day (00:00, 02:00, ... for "every 2h").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d+)\s*([smhd])")
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DAY = timedelta(days=1)
DIGEST_FORMS = "'daily HH:MM', 'weekdays HH:MM', 'hourly' or 'every N' with N like 30m or 2h"


def parse_duration(text: str) -> timedelta:
    """'30s', '5m', '2h', '1d' (or combined, '1h30m') as a positive timedelta; ValueError otherwise."""
    compact = text.strip().lower() if isinstance(text, str) else ""
    parts = _DURATION.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact.replace(" ", ""):
        raise ValueError(f"invalid duration {text!r}: use a number and a unit (s, m, h, d), e.g. 30s, 5m, 2h")
    seconds = sum(int(number) * _UNITS[unit] for number, unit in parts)
    if seconds <= 0:
        raise ValueError(f"invalid duration {text!r}: it must be longer than zero")
    return timedelta(seconds=seconds)


def parse_clock(text: str) -> time:
    """'08:00' or '7:30' as a time of day; ValueError otherwise."""
    match = _CLOCK.match(text.strip())
    if match is None:
        raise ValueError(f"invalid time of day {text!r}: use HH:MM on a 24-hour clock, e.g. 08:00")
    return time(int(match.group(1)), int(match.group(2)))


def _require_utc(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime {instant.isoformat()}: pass an aware UTC datetime")
    return instant.astimezone(UTC)


def _at(day: date, clock: time, tz: tzinfo) -> datetime:
    """The UTC instant of a local wall-clock time (fold=0: first occurrence; gaps shift forward)."""
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def _next_slot(
    after: datetime, tz: tzinfo, slots: Callable[[date], Iterable[time]], horizon_days: int = 8
) -> datetime:
    """The earliest slot instant strictly after `after`, looking at local days from the day before on.

    Slots map to UTC non-monotonically around a gap, so this takes the minimum over whole days rather
    than the first slot that passes; one further day is checked once something is found.
    """
    after = _require_utc(after)
    first_day = after.astimezone(tz).date() - _DAY
    best: datetime | None = None
    found_on: int | None = None
    for offset in range(horizon_days + 2):
        day = first_day + offset * _DAY
        for clock in slots(day):
            instant = _at(day, clock, tz)
            if instant > after and (best is None or instant < best):
                best = instant
        if best is not None:
            if found_on is not None:
                return best
            found_on = offset
    if best is None:
        raise ValueError("schedule has no slot within a week")  # unreachable for parsed schedules
    return best


@dataclass(frozen=True)
class Digest:
    """A parsed `digest:` value. kind is "daily", "weekdays" or "every"; `at` or `step` says when."""

    kind: str
    at: time | None = None
    step: timedelta | None = None
    text: str = ""

    def __str__(self) -> str:
        return self.text

    def slots(self, day: date) -> list[time]:
        """The local times of day at which this digest falls due on `day`."""
        if self.kind == "weekdays" and day.weekday() >= 5:
            return []
        if self.at is not None:
            return [self.at]
        assert self.step is not None
        step = int(self.step.total_seconds())
        return [time(s // 3600, s % 3600 // 60, s % 60) for s in range(0, 86400, step)]

    def next_due(self, after: datetime, tz: tzinfo) -> datetime:
        """The first due instant strictly after `after` (aware UTC in, aware UTC out)."""
        return _next_slot(after, tz, self.slots)


def parse_digest(text: str) -> Digest:
    """'daily 08:00', 'weekdays 07:30', 'every 2h', 'every 30m', 'hourly'; ValueError otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"invalid digest {text!r}: use {DIGEST_FORMS}")
    words = text.strip().lower().split()
    try:
        if words == ["hourly"]:
            return Digest("every", step=timedelta(hours=1), text=text.strip())
        if len(words) == 2 and words[0] in ("daily", "weekdays"):
            return Digest(words[0], at=parse_clock(words[1]), text=text.strip())
        if len(words) == 2 and words[0] == "every":
            return Digest("every", step=_digest_step(words[1]), text=text.strip())
    except ValueError as exc:
        raise ValueError(f"invalid digest {text!r}: {exc}") from None
    raise ValueError(f"invalid digest {text!r}: use {DIGEST_FORMS}")


def _digest_step(word: str) -> timedelta:
    step = parse_duration(word)
    if step < timedelta(minutes=1) or step > _DAY or step.total_seconds() % 60:
        raise ValueError("the interval must be whole minutes, from 1m to 24h (use 'daily HH:MM' for longer)")
    return step


@dataclass(frozen=True)
class QuietHours:
    """A daily local window [start, end) in which nothing is sent; it may span midnight (22:00-06:00)."""

    start: time
    end: time

    def contains(self, instant: datetime, tz: tzinfo) -> bool:
        clock = _require_utc(instant).astimezone(tz).time()
        if self.start < self.end:
            return self.start <= clock < self.end
        return clock >= self.start or clock < self.end

    def ends_after(self, instant: datetime, tz: tzinfo) -> datetime:
        """The next instant (UTC), strictly after `instant`, at which quiet hours end."""
        return _next_slot(instant, tz, lambda _day: (self.end,))


def parse_quiet(text: str) -> QuietHours:
    """'22:00-06:00' as QuietHours; ValueError on anything else or an empty window."""
    start, dash, end = (text if isinstance(text, str) else "").partition("-")
    if not dash:
        raise ValueError(f"invalid quiet hours {text!r}: use START-END in 24-hour time, e.g. 22:00-06:00")
    try:
        quiet = QuietHours(parse_clock(start), parse_clock(end))
    except ValueError as exc:
        raise ValueError(f"invalid quiet hours {text!r}: {exc}") from None
    if quiet.start == quiet.end:
        raise ValueError(f"invalid quiet hours {text!r}: start and end are the same time")
    return quiet
