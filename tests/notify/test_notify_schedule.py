"""Digest schedules and quiet hours on the user's wall clock, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from pantau.schedule import Digest, parse_digest, parse_duration, parse_quiet

CASES = yaml.safe_load((Path(__file__).parent / "schedule_cases.yaml").read_text(encoding="utf-8"))
ZONES = ["Asia/Jakarta", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
DIGESTS = [
    "daily 08:00",
    "daily 02:30",
    "daily 00:00",
    "weekdays 07:30",
    "every 2h",
    "every 45m",
    "hourly",
    "every 5h",
]
# Instants around both 2026 Berlin switches and everywhere in between, as aware UTC.
INSTANTS = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1)).map(
    lambda d: d.replace(tzinfo=UTC)
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("5m", timedelta(minutes=5)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        (" 10M ", timedelta(minutes=10)),
        ("1h30m", timedelta(minutes=90)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "5", "m", "5x", "-5m", "0s", "1.5h", "5 minutes", "h2"])
def test_parse_duration_rejects_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match=r"invalid duration .*(e\.g\. 30s|longer than zero)"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("daily 08:00", Digest("daily", at=time(8, 0), text="daily 08:00")),
        ("Weekdays 7:30", Digest("weekdays", at=time(7, 30), text="Weekdays 7:30")),
        ("every 2h", Digest("every", step=timedelta(hours=2), text="every 2h")),
        ("every 30m", Digest("every", step=timedelta(minutes=30), text="every 30m")),
        ("hourly", Digest("every", step=timedelta(hours=1), text="hourly")),
    ],
)
def test_parse_digest(text: str, expected: Digest) -> None:
    assert parse_digest(text) == expected
    assert str(parse_digest(text)) == text


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("daily", "use 'daily HH:MM'"),
        ("daily 8am", "HH:MM"),
        ("daily 24:00", "HH:MM"),
        ("weekly 08:00", "use"),
        ("every 30s", "whole minutes"),
        ("every 2d", "from 1m to 24h"),
        ("every", "use"),
        ("", "use"),
        ("every 90x", "invalid duration"),
    ],
)
def test_parse_digest_rejects(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=r"invalid digest") as caught:
        parse_digest(text)
    assert why in str(caught.value)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_next_due(case: dict[str, str]) -> None:
    due = parse_digest(case["digest"]).next_due(datetime.fromisoformat(case["after"]), ZoneInfo(case["zone"]))
    assert due == datetime.fromisoformat(case["due"])
    assert due.tzinfo == UTC


def test_next_due_refuses_naive_time() -> None:
    with pytest.raises(ValueError, match="naive"):
        parse_digest("hourly").next_due(datetime(2026, 11, 25, 8), ZoneInfo("Asia/Jakarta"))


def test_a_day_of_every_2h_has_twelve_digests_even_on_switch_days() -> None:
    berlin, digest = ZoneInfo("Europe/Berlin"), parse_digest("every 2h")
    for day in (datetime(2026, 3, 29, tzinfo=berlin), datetime(2026, 10, 25, tzinfo=berlin)):
        start = day.astimezone(UTC) - timedelta(seconds=1)
        end = (day + timedelta(days=1)).replace(hour=0).astimezone(UTC) - timedelta(seconds=1)
        due, seen = start, []
        while (due := digest.next_due(due, berlin)) <= end:
            seen.append(due.astimezone(berlin).hour)
        # On the spring day 02:00 does not exist and is served at 03:00 (same instant as nothing else).
        expected = [0, 3, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22] if day.month == 3 else list(range(0, 24, 2))
        assert seen == expected


@given(INSTANTS, st.sampled_from(DIGESTS), st.sampled_from(ZONES))
def test_next_due_is_strictly_later(after: datetime, text: str, zone: str) -> None:
    due = parse_digest(text).next_due(after, ZoneInfo(zone))
    assert after < due <= after + timedelta(days=4)


@given(
    INSTANTS,
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)),
    st.sampled_from(DIGESTS),
    st.sampled_from(ZONES),
)
def test_next_due_is_monotone(after: datetime, gap: timedelta, text: str, zone: str) -> None:
    digest, tz = parse_digest(text), ZoneInfo(zone)
    assert digest.next_due(after, tz) <= digest.next_due(after + gap, tz)


@given(INSTANTS, st.sampled_from(DIGESTS), st.sampled_from(ZONES))
def test_nothing_falls_due_in_between(after: datetime, text: str, zone: str) -> None:
    digest, tz = parse_digest(text), ZoneInfo(zone)
    due = digest.next_due(after, tz)
    probe = after + (due - after) / 2
    assert digest.next_due(probe, tz) == due


@pytest.mark.parametrize(
    ("text", "local", "quiet"),
    [
        ("22:00-06:00", "23:30", True),
        ("22:00-06:00", "05:59", True),
        ("22:00-06:00", "06:00", False),
        ("22:00-06:00", "21:59", False),
        ("22:00-06:00", "22:00", True),
        ("12:00-13:00", "12:30", True),
        ("12:00-13:00", "13:00", False),
        ("12:00-13:00", "11:00", False),
    ],
)
def test_quiet_hours_contains(text: str, local: str, quiet: bool) -> None:
    jakarta = ZoneInfo("Asia/Jakarta")
    hour, minute = map(int, local.split(":"))
    instant = datetime(2026, 11, 25, hour, minute, tzinfo=jakarta).astimezone(UTC)
    assert parse_quiet(text).contains(instant, jakarta) is quiet


def test_quiet_hours_end_in_the_users_morning() -> None:
    jakarta = ZoneInfo("Asia/Jakarta")
    quiet = parse_quiet("22:00-06:00")
    late = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # 23:00 WIB
    assert quiet.ends_after(late, jakarta) == datetime(2026, 11, 25, 23, 0, tzinfo=UTC)  # 06:00 WIB


@pytest.mark.parametrize("text", ["22:00", "22:00-22:00", "25:00-06:00", "10pm-6am", "", "22:00-"])
def test_parse_quiet_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid quiet hours"):
        parse_quiet(text)


@given(INSTANTS, st.sampled_from(["22:00-06:00", "01:30-03:30", "12:00-13:00"]), st.sampled_from(ZONES))
def test_quiet_hours_are_over_when_they_end(instant: datetime, text: str, zone: str) -> None:
    quiet, tz = parse_quiet(text), ZoneInfo(zone)
    end = quiet.ends_after(instant, tz)
    assert instant < end <= instant + timedelta(days=1, hours=2)
    assert not quiet.contains(end, tz)
