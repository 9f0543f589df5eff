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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

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


def format_duration(delta: timedelta) -> str:
    """The inverse of parse_duration for display: the largest unit that divides it, e.g. '10m', '2h', '90s'."""
    seconds = int(delta.total_seconds())
    for unit in "dhm":
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


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


# Offsets of one zone differ by at most a few hours across the year (DST is 1 h, 30 min on Lord Howe,
# 2 h in Antarctica's Troll), so a wall time this far from another cannot swap places with it in UTC.
_SLACK = timedelta(hours=4)


def _next_slot(after: datetime, tz: tzinfo, walls: Callable[[datetime], Iterator[datetime]]) -> datetime:
    """The earliest slot instant strictly after `after`.

    `walls(start)` yields the schedule's naive local wall times from `start` on, in order. Around a gap
    they map to UTC out of order (02:30 -> 03:30 comes after 03:00), so this keeps the minimum and stops
    only once wall times are too far ahead to beat it.
    """
    after = _require_utc(after)
    local = after.astimezone(tz).replace(tzinfo=None)
    best: datetime | None = None
    best_wall = local
    for wall in walls(local - _SLACK):
        if best is not None and wall > best_wall + _SLACK:
            return best
        # fold=0: a repeated time means its first occurrence; a skipped one shifts forward by the gap.
        instant = wall.replace(tzinfo=tz).astimezone(UTC)
        if instant > after and (best is None or instant < best):
            best, best_wall = instant, wall
    raise ValueError("schedule has no slot")  # unreachable: every schedule yields wall times forever


def _daily(clock: time, weekdays_only: bool = False) -> Callable[[datetime], Iterator[datetime]]:
    def walls(start: datetime) -> Iterator[datetime]:
        day = start.date()
        while True:
            wall = datetime.combine(day, clock)
            if wall >= start and not (weekdays_only and day.weekday() >= 5):
                yield wall
            day += _DAY

    return walls


def _every(step: timedelta) -> Callable[[datetime], Iterator[datetime]]:
    def walls(start: datetime) -> Iterator[datetime]:
        midnight = datetime.combine(start.date(), time(0))
        count = -((midnight - start) // step)  # the first slot at or after start, counted from midnight
        while True:
            wall = midnight + count * step
            if wall.date() != midnight.date():  # slots restart at each local midnight
                midnight, count = midnight + _DAY, 0
                continue
            yield wall
            count += 1

    return walls


@dataclass(frozen=True)
class Digest:
    """A parsed `digest:` value. kind is "daily", "weekdays" or "every"; `at` or `step` says when."""

    kind: str
    at: time | None = None
    step: timedelta | None = None
    text: str = ""

    def __str__(self) -> str:
        return self.text

    def _walls(self) -> Callable[[datetime], Iterator[datetime]]:
        if self.at is not None:
            return _daily(self.at, weekdays_only=self.kind == "weekdays")
        assert self.step is not None, "a Digest has either `at` or `step`"
        return _every(self.step)

    def next_due(self, after: datetime, tz: tzinfo) -> datetime:
        """The first due instant strictly after `after` (aware UTC in, aware UTC out)."""
        return _next_slot(after, tz, self._walls())


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
        return _next_slot(instant, tz, _daily(self.end))


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
