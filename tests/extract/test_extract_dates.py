"""parse_date on the date forms outlets print (date_cases.yaml), and on anything at all (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from pantau.extract.dates import parse_date

CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "date_cases.yaml").read_text("utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_parse_date(case: dict[str, Any]) -> None:
    got = parse_date(case["text"], case.get("lang"))
    assert (got.isoformat() if got else None) == case["want"]


@given(st.text(max_size=120), st.sampled_from([None, "id", "en", "ja", "en-US", ""]))
def test_any_text_gives_utc_or_none(text: str, lang: str | None) -> None:
    got = parse_date(text, lang)
    assert got is None or got.tzinfo is UTC


@given(
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.replace(microsecond=0)),
    st.sampled_from(["%Y-%m-%dT%H:%M:%S+00:00", "%d %B %Y %H:%M UTC", "%B %d, %Y %H:%M GMT"]),
)
def test_printed_utc_times_read_back(moment: Any, form: str) -> None:
    if moment.year < 1000:
        return
    printed = moment.strftime(form)
    expected = moment if "%S" in form else moment.replace(second=0)
    assert parse_date(printed) == expected


RELATIVE: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "relative_date_cases.yaml").read_text("utf-8")
)
NOW = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize("case", RELATIVE, ids=[c["id"] for c in RELATIVE])
def test_relative_dates_count_back_from_the_fetch_time(case: dict[str, Any]) -> None:
    got = parse_date(case["text"], case["lang"], NOW)
    assert (got.isoformat() if got else None) == case["want"]


@pytest.mark.parametrize("case", [c for c in RELATIVE if c["want"] and "absolute" not in c["id"]])
def test_relative_dates_need_a_fetch_time(case: dict[str, Any]) -> None:
    assert parse_date(case["text"], case["lang"]) is None


@given(st.text(max_size=120), st.sampled_from([None, "id", "en", "ja", "de", "fr", "zh"]))
def test_any_text_with_a_fetch_time_gives_utc_or_none(text: str, lang: str | None) -> None:
    got = parse_date(text, lang, NOW)
    assert got is None or got.tzinfo is UTC


@given(st.integers(min_value=1, max_value=500), st.sampled_from(["menit", "jam", "hari"]))
def test_n_units_ago_is_n_units_before_the_fetch_time(count: int, unit: str) -> None:
    seconds = {"menit": 60, "jam": 3600, "hari": 86400}[unit]
    assert parse_date(f"{count} {unit} lalu", "id", NOW) == NOW - timedelta(seconds=count * seconds)
