"""Date strings as outlets write them -> aware UTC datetimes.

Reads ISO 8601 (and its sloppy variants), Indonesian ("Selasa, 5 Maret 2024 10.20 WIB"), English
("March 5, 2024, 10:20 a.m. JST", "5 Mar 2024") and Japanese ("2024年3月5日 10時20分") forms, plus numeric
day/month/year, and relative dates against a reference time the caller passes in (relative_dates.py).
Never raises and never reads the clock: text it cannot read gives None.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from pantau.extract.relative_dates import parse_relative

_HOUR = 3600

# Zone abbreviations the outlets we follow use. Fixed offsets: summer time is spelled out by the
# abbreviation itself (AEDT, NZDT ...), and ambiguous ones (IST, CST) are left out on purpose.
ZONES: dict[str, int] = {
    "UTC": 0, "GMT": 0, "Z": 0, "WIB": 7, "WITA": 8, "WIT": 9, "JST": 9, "KST": 9, "SGT": 8, "MYT": 8,
    "PHT": 8, "HKT": 8, "ICT": 7, "AEST": 10, "AEDT": 11, "ACST": 9, "AWST": 8, "NZST": 12, "NZDT": 13,
    "CET": 1, "CEST": 2, "BST": 1, "EET": 2, "EEST": 3, "MSK": 3, "EST": -5, "EDT": -4, "ET": -5,
    "CDT": -5, "PST": -8, "PDT": -7, "PT": -8,
}  # fmt: skip

# When a page gives a time without a zone we assume the zone where most outlets in its language publish:
# Indonesian -> WIB (Jakarta), Japanese -> JST, Chinese -> UTC+8 (Beijing, Taipei, Hong Kong, Singapore),
# Korean -> KST. Anything else (English is global; Europe has summer time) -> UTC.
LANG_ZONES: dict[str, int] = {"id": 7, "ja": 9, "zh": 8, "ko": 9}

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "january jan januari",
        "february feb februari pebruari peb",
        "march mar maret mrt",
        "april apr",
        "may mei",
        "june jun juni",
        "july jul juli",
        "august aug agustus agu agt ags agst",
        "september sep sept",
        "october oct oktober okt",
        "november nov nop",
        "december dec desember des",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number

_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ZONE_RE = "|".join(sorted(ZONES, key=len, reverse=True))
_TIME = r"(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?:[:.](?P<s>\d{2}))?\s*(?P<ampm>[ap]\.?\s?m\.?)?"
_OFFSET = r"(?:(?:GMT|UTC)?\s*(?P<off>[+-]\d{1,2}(?::?\d{2})?))"
_ZONE = rf"(?:\(?\s*(?:(?P<zone>\b(?:{_ZONE_RE})\b)|{_OFFSET})\s*\)?)"
_GAP = r"(?:[\s,|\-–—/@]|\bat\b|\bpada\b)*"

_DAY_MONTH_YEAR = re.compile(
    rf"(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\.?\s+(?P<mon>{_MONTH_RE})\.?,?\s+(?P<y>\d{{4}})", re.IGNORECASE
)
_MONTH_DAY_YEAR = re.compile(
    rf"\b(?P<mon>{_MONTH_RE})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})", re.IGNORECASE
)
_JAPANESE = re.compile(
    r"(?P<y>\d{4})\s*年\s*(?P<mon>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
    r"(?:\s*[（(]?[日月火水木金土]?[）)]?\s*(?:午(?P<jampm>[前後]))?\s*(?P<h>\d{1,2})\s*[時:]\s*(?P<mi>\d{1,2})\s*分?)?"
)
_YMD = re.compile(r"\b(?P<y>\d{4})[-/.](?P<mon>\d{1,2})[-/.](?P<d>\d{1,2})\b")
_DMY = re.compile(r"\b(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y>\d{4})\b")
_TIME_AFTER = re.compile(rf"^{_GAP}(?:pukul|pkl\.?|jam)?\s*{_TIME}\s*{_ZONE}?", re.IGNORECASE)
_ZONE_AFTER = re.compile(rf"^{_GAP}{_ZONE}", re.IGNORECASE)
_TIME_BEFORE = re.compile(rf"{_TIME}\s*{_ZONE}?{_GAP}$", re.IGNORECASE)
_ISO_START = re.compile(r"^\d{4}-?\d{2}-?\d{2}")
_SPACE_BEFORE_OFFSET = re.compile(r"\s+(?=[+-]\d{2}:?\d{2}$)")
_SPACE_BEFORE_TIME = re.compile(r"(?<=\d) (?=\d{2}:\d{2})")


def parse_date(text: str | None, lang: str | None = None, now: datetime | None = None) -> datetime | None:
    """Read a date (and time, and zone) from `text`; a time without a zone is in `lang`'s usual zone. With
    `now` (when the page was fetched), relative dates ("2 jam lalu", "yesterday") are read too."""
    if not text:
        return None
    text = " ".join(text.split())[:200]
    default = LANG_ZONES.get((lang or "")[:2].lower(), 0)
    parsed = _parse_iso(text, default)
    if parsed is not None:
        return parsed
    parsed = _parse_words(text, default, lang)
    if parsed is None and now is not None:
        parsed = parse_relative(text, now, default, lang)
    return parsed


def _parse_iso(text: str, default_hours: int) -> datetime | None:
    candidate = text.strip()
    if not _ISO_START.match(candidate):
        return None
    candidate = _SPACE_BEFORE_OFFSET.sub("", candidate)
    candidate = _SPACE_BEFORE_TIME.sub("T", candidate, count=1)
    try:
        value = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    return _to_utc(value, default_hours)


def _parse_words(text: str, default_hours: int, lang: str | None) -> datetime | None:
    found = _JAPANESE.search(text)
    if found:
        hour = int(found["h"] or 0)
        if found["jampm"] == "後" and hour < 12:
            hour += 12
        rest = text[found.end() :]
        zone = _ZONE_AFTER.match(rest)
        offset = _zone_hours(zone, default_hours) if zone else default_hours
        return _build(found["y"], found["mon"], found["d"], hour, int(found["mi"] or 0), 0, offset)
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR):
        found = pattern.search(text)
        if found:
            month = _MONTHS[found["mon"].lower().rstrip(".")]
            return _with_time(text, found, found["y"], month, found["d"], default_hours)
    found = _YMD.search(text)
    if found:
        return _with_time(text, found, found["y"], found["mon"], found["d"], default_hours)
    found = _DMY.search(text)
    if found:
        day, month = int(found["a"]), int(found["b"])
        # Day first everywhere we publish except US English; an impossible month settles it either way.
        if month > 12 or (day <= 12 and (lang or "").lower() == "en-us"):
            day, month = month, day
        return _with_time(text, found, found["y"], month, day, default_hours)
    return None


def _with_time(
    text: str, found: re.Match[str], year: str | int, month: str | int, day: str | int, default_hours: int
) -> datetime | None:
    after = _TIME_AFTER.match(text[found.end() :])
    before = _TIME_BEFORE.search(text[: found.start()])
    clock = after or before
    if clock is None:
        zone = _ZONE_AFTER.match(text[found.end() :])
        offset = _zone_hours(zone, default_hours) if zone else default_hours
        return _build(year, month, day, 0, 0, 0, offset)
    hour = int(clock["h"])
    ampm = (clock["ampm"] or "").replace(".", "").replace(" ", "").lower()
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    offset = _zone_hours(clock, default_hours)
    if clock is before and clock["zone"] is None and clock["off"] is None:
        zone = _ZONE_AFTER.match(text[found.end() :])
        offset = _zone_hours(zone, default_hours) if zone else default_hours
    return _build(year, month, day, hour, int(clock["mi"]), int(clock["s"] or 0), offset)


def _zone_hours(found: re.Match[str], default_hours: int) -> float:
    if found["zone"]:
        return ZONES[found["zone"].upper()]
    if found["off"]:
        sign = -1 if found["off"].startswith("-") else 1
        digits = found["off"][1:].replace(":", "")
        hours = int(digits[:-2] or 0) if len(digits) > 2 else int(digits)
        minutes = int(digits[-2:]) if len(digits) > 2 else 0
        return sign * (hours + minutes / 60)
    return default_hours


def _build(
    year: str | int, month: str | int, day: str | int, hour: int, minute: int, second: int, offset: float
) -> datetime | None:
    try:
        zone = timezone(timedelta(hours=offset))
        value = datetime(int(year), int(month), int(day), hour, minute, second, tzinfo=zone)
    except (ValueError, OverflowError):
        return None
    return value.astimezone(UTC)


def _to_utc(value: datetime, default_hours: int) -> datetime | None:
    try:
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone(timedelta(hours=default_hours)))
        return value.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


_DATELINE_WORDS = frozenset(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "mon", "tue", "wed",
     "thu", "fri", "sat", "sun", "senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu", "updated",
     "update", "published", "posted", "last", "modified", "diperbarui", "dipublikasikan", "diterbitkan",
     "terbit", "am", "pm", "a", "m", "p", "at", "on", "pada", "pukul", "pkl", "jam", "utc", "gmt", "uk", "年",
     "月", "日", "時", "分", "午前", "午後", "更新", "公開")
)  # fmt: skip
_WORDS = re.compile(r"[^\W\d_]+")
_DIGIT = re.compile(r"\d")


def is_dateline(text: str, lang: str | None = None) -> bool:
    """Is this short line only a date and time ("Updated 10:01 pm PST, Tuesday, November 19, 2019")?"""
    if len(text) > 80 or not _DIGIT.search(text) or parse_date(text, lang) is None:
        return False
    leftover = [
        word
        for word in _WORDS.findall(text.lower())
        if word not in _MONTHS and word not in _DATELINE_WORDS and word.upper() not in ZONES
    ]
    return len(leftover) <= 1
