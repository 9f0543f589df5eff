"""Small pure helpers that turn stored values into what a page shows: relative and exact times, highlighted
text segments, and the order of sources on the health summary. No I/O, no HTML (templates escape)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pantau.models import Hit

EXCERPT_CONTEXT = 90  # characters of body text shown on either side of a hit
MAX_EXCERPTS = 3


@dataclass(frozen=True)
class Times:
    """Times as a page shows them: relative to `now`, exact in the configured time zone."""

    now: datetime
    tz: ZoneInfo

    def exact(self, moment: datetime | None) -> str:
        if moment is None:
            return "never"
        return moment.astimezone(self.tz).strftime("%Y-%m-%d %H:%M:%S %Z")

    def iso(self, moment: datetime | None) -> str:
        return "" if moment is None else moment.astimezone(self.tz).isoformat(timespec="seconds")

    def due(self, moment: datetime | None) -> str:
        """For planned moments (next poll, next attempt): 'due now' once they have come."""
        if moment is not None and moment <= self.now:
            return "due now"
        return self.ago(moment)

    def ago(self, moment: datetime | None) -> str:
        if moment is None:
            return "never"
        return relative(moment - self.now)


def relative(delta: timedelta) -> str:
    """'3 min ago', 'in 2 h', 'just now': the largest unit, rounded down."""
    seconds = int(delta.total_seconds())
    future, seconds = seconds > 0, abs(seconds)
    if seconds < 10:
        return "just now" if not future else "now"
    for size, unit in ((86400, "day"), (3600, "h"), (60, "min"), (1, "s")):
        if seconds >= size:
            count = seconds // size
            text = f"{count} {unit}{'s' if unit == 'day' and count != 1 else ''}"
            return f"in {text}" if future else f"{text} ago"
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Segment:
    text: str
    hit: bool = False


def highlight(text: str, spans: Sequence[tuple[int, int]]) -> list[Segment]:
    """`text` cut into plain and hit segments at the (start, end) spans (overlaps merged)."""
    out: list[Segment] = []
    at = 0
    for start, end in _merged(spans, len(text)):
        if start > at:
            out.append(Segment(text[at:start]))
        out.append(Segment(text[start:end], True))
        at = end
    if at < len(text):
        out.append(Segment(text[at:]))
    return out


def marked(snippet: str) -> list[Segment]:
    """A stored snippet, whose hits are marked «like this», as segments."""
    out = []
    for i, part in enumerate(snippet.replace("»", "«").split("«")):
        if part:
            out.append(Segment(part, hit=i % 2 == 1))
    return out


def excerpts(text: str, hits: Sequence[Hit]) -> list[list[Segment]]:
    """Up to MAX_EXCERPTS pieces of `text` around its hits, each cut into highlighted segments; pieces
    that would overlap are joined. A piece that starts or ends mid-text gets an ellipsis."""
    spans = _merged([(h.start, h.end) for h in hits], len(text))
    windows: list[tuple[int, int, list[tuple[int, int]]]] = []
    for start, end in spans:
        lo, hi = max(0, start - EXCERPT_CONTEXT), min(len(text), end + EXCERPT_CONTEXT)
        if windows and lo <= windows[-1][1]:
            prev_lo, _prev_hi, inside = windows[-1]
            windows[-1] = (prev_lo, hi, [*inside, (start, end)])
        else:
            if len(windows) == MAX_EXCERPTS:
                break
            windows.append((lo, hi, [(start, end)]))
    out = []
    for lo, hi, inside in windows:
        lo, hi = _word_edge(text, lo, back=True), _word_edge(text, hi, back=False)
        piece = highlight(text[lo:hi], [(s - lo, e - lo) for s, e in inside])
        if lo > 0:
            piece.insert(0, Segment("… "))
        if hi < len(text):
            piece.append(Segment(" …"))
        out.append([Segment(" ".join(s.text.split("\n")), s.hit) for s in piece])
    return out


def _merged(spans: Sequence[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted((max(0, s), min(length, e)) for s, e in spans):
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _word_edge(text: str, at: int, *, back: bool) -> int:
    """Move a cut point to the nearest space (at most 20 characters) so words stay whole."""
    step = -1 if back else 1
    for moved in range(20):
        i = at + step * moved
        if i <= 0 or i >= len(text):
            return max(0, min(i, len(text)))
        if text[i].isspace():
            return i + 1 if back else i
    return at
