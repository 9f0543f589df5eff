"""Relative dates as outlets print them ("2 jam lalu", "3 hours ago", "kemarin 14.30", "vor 5 Minuten",
"hace 2 días", "3時間前") -> aware UTC datetimes, counted back from a reference time.

The reference is the time the page was fetched, passed in by the caller: this module never reads the clock.
"yesterday" and "today" without a time mean that day's midnight in the page's zone (as an absolute date
without a time does); with a time ("kemarin 14.30 WIB", "yesterday at 9:15 pm") they mean that time.
Never raises; text it cannot read gives None.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_SECOND, _MINUTE, _HOUR, _DAY = 1, 60, 3600, 86400
_UNITS: dict[str, int] = {}
for _seconds, _names in (
    (
        _SECOND,
        "second seconds sec secs s detik sekunde sekunden seconde secondes segundo segundos secondo secondi 秒",
    ),
    (_MINUTE, "minute minutes min mins m menit minuten minuto minutos minuti 分 分钟 分鐘"),
    (_HOUR, "hour hours hr hrs h jam stunde stunden heure heures hora horas ora ore 時間 小时 小時 个小时"),
    (_DAY, "day days d hari tag tagen jour jours día días dia dias giorno giorni 日 天"),
    (
        7 * _DAY,
        "week weeks wk minggu woche wochen semaine semaines semana semanas settimana settimane 週間 周 週",
    ),
    (30 * _DAY, "month months bulan monat monaten mois mes meses mese mesi か月 ヶ月 カ月 个月 個月"),
    (365 * _DAY, "year years yr yrs tahun jahr jahren an ans año años ano anos anno anni 年"),
):
    for _name in _names.split():
        _UNITS[_name] = _seconds

_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "se": 1, "satu": 1, "einer": 1, "einem": 1, "un": 1, "une": 1, "una": 1,
    "uno": 1, "two": 2, "dua": 2, "zwei": 2, "deux": 2, "dos": 2, "due": 2, "three": 3, "tiga": 3, "drei": 3,
    "trois": 3, "tres": 3, "tre": 3,
}  # fmt: skip
_UNIT_RE = "|".join(sorted((re.escape(u) for u in _UNITS), key=len, reverse=True))
_COUNT = r"(?P<n>\d{1,4}|" + "|".join(_NUMBER_WORDS) + r")"
_BEFORE = r"(?:^|(?<=[\s(\[]))"
_AGO = (
    # 3 hours ago, 2 jam lalu, 5 menit yang lalu
    re.compile(rf"{_BEFORE}{_COUNT}\s*(?P<u>{_UNIT_RE})\.?\s*(?:yang\s+)?(?:ago|lalu)(?!\w)", re.IGNORECASE),
    # vor 5 Minuten, il y a 2 jours, hace 3 días, há 2 dias
    re.compile(rf"{_BEFORE}(?:vor|il\s+y\s+a|hace|há)\s+{_COUNT}\s*(?P<u>{_UNIT_RE})(?!\w)", re.IGNORECASE),
    # 2 ore fa
    re.compile(rf"{_BEFORE}{_COUNT}\s*(?P<u>{_UNIT_RE})\s+fa(?!\w)", re.IGNORECASE),
    # 3時間前, 10分钟前 (no spaces in Japanese and Chinese)
    re.compile(rf"{_COUNT}\s*(?P<u>{_UNIT_RE})前"),
)
_JUST_NOW = re.compile(
    r"^\W*(?:just\s+now|baru\s+saja|gerade\s+eben|à\s+l'instant|ahora\s+mismo|たった今|刚刚)\W*$", re.I
)
_DAY_WORD = re.compile(
    r"(?:^|\s)(?P<word>yesterday|today|kemarin|hari\s+ini|gestern|heute|hier|aujourd'hui|ayer|hoy|ontem|hoje|"
    r"ieri|oggi|gisteren|vandaag)(?:\s|$|[,.:])|(?P<cjk>昨日|今日|昨天|今天)",
    re.IGNORECASE,
)
_DAYS_BACK = {
    "yesterday": 1, "kemarin": 1, "gestern": 1, "hier": 1, "ayer": 1, "ontem": 1, "ieri": 1, "gisteren": 1,
    "昨日": 1, "昨天": 1,
}  # fmt: skip
_CLOCK = re.compile(r"(?P<h>\d{1,2})[:.時](?P<mi>\d{2})\s*(?P<ampm>[ap]\.?\s?m\.?)?", re.IGNORECASE)


def parse_relative(text: str, now: datetime, zone_hours: float, lang: str | None = None) -> datetime | None:
    """The time `text` names relative to `now` (aware), in UTC; None when it names none. A day word ("today",
    "yesterday") at a given time of day is read in the zone `zone_hours` (the page language's usual zone)."""
    if now.tzinfo is None:
        return None
    found = next((m for m in (pattern.search(text) for pattern in _AGO) if m), None)
    if found:
        unit = found["u"]
        seconds = _UNITS.get(unit) or _UNITS.get(unit.lower())
        count = _count(found["n"])
        if seconds is None or count is None:
            return None
        try:
            return (now - timedelta(seconds=seconds * count)).astimezone(UTC)
        except OverflowError:
            return None
    if _JUST_NOW.match(text):
        return now.astimezone(UTC)
    day = _DAY_WORD.search(text)
    # "hier" is French for yesterday but German and Dutch for "here".
    if day and not (day["word"] and day["word"].lower() == "hier" and (lang or "")[:2] in ("de", "nl")):
        return _day_word(text, day, now, zone_hours)
    return None


def _count(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return _NUMBER_WORDS.get(word.lower())


def _day_word(text: str, day: re.Match[str], now: datetime, zone_hours: float) -> datetime | None:
    word = " ".join((day["word"] or day["cjk"]).lower().split())
    try:
        zone = timezone(timedelta(hours=zone_hours))
        local = now.astimezone(zone) - timedelta(days=_DAYS_BACK.get(word, 0))
    except (ValueError, OverflowError):
        return None
    clock = _CLOCK.search(text, day.end())
    hour = minute = 0
    if clock:
        hour, minute = int(clock["h"]), int(clock["mi"])
        ampm = (clock["ampm"] or "").replace(".", "").replace(" ", "").lower()
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        if hour > 23 or minute > 59:
            return None
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0).astimezone(UTC)
