"""parse_date on the date forms outlets print (date_cases.yaml), and on anything at all (hypothesis)."""

from __future__ import annotations

from datetime import UTC
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
