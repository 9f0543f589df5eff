"""When the ops channel hears about the store being away: once when it lasts, once when it is back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from pantau.service.outage import StoreOutage
from pantau.store.db import unavailable

T0 = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")
REASON = "store: database unavailable (connection refused)"


def test_a_short_outage_is_only_logged() -> None:
    outage = StoreOutage(timedelta(minutes=3))
    assert outage.failed(REASON, T0) is True
    assert outage.failed(REASON, T0 + timedelta(seconds=30)) is False  # the same outage
    assert outage.to_tell(T0 + timedelta(minutes=2), UTC_ZONE) is None
    assert outage.answered(T0 + timedelta(minutes=2)) == timedelta(minutes=2)
    assert outage.to_tell(T0 + timedelta(minutes=10), UTC_ZONE) is None


def test_a_long_outage_is_told_once_and_its_end_once() -> None:
    outage = StoreOutage(timedelta(minutes=3))
    outage.failed(REASON, T0)
    owed = outage.to_tell(T0 + timedelta(minutes=3), UTC_ZONE)
    assert owed is not None and owed[0].title == "[pantau] store: database unavailable"
    assert REASON in owed[0].body
    outage.told(owed[0], T0 + timedelta(minutes=3))
    outage.failed(REASON, T0 + timedelta(minutes=4))
    assert outage.to_tell(T0 + timedelta(minutes=5), UTC_ZONE) is None
    outage.answered(T0 + timedelta(minutes=6, seconds=5))
    back = outage.to_tell(T0 + timedelta(minutes=7), UTC_ZONE)
    assert back is not None and back[0].title == "[pantau] store: recovered"
    assert "after 6 min 5 s" in back[0].body
    outage.told(back[0], T0 + timedelta(minutes=7))
    assert outage.to_tell(T0 + timedelta(minutes=8), UTC_ZONE) is None


def test_a_telling_that_fails_is_owed_on_the_next_pass() -> None:
    outage = StoreOutage(timedelta(seconds=10))
    outage.failed(REASON, T0)
    first = outage.to_tell(T0 + timedelta(seconds=20), UTC_ZONE)
    again = outage.to_tell(T0 + timedelta(seconds=50), UTC_ZONE)  # not told(): the ops channel was down
    assert first is not None and again is not None and first[1] == again[1]  # the same idempotency key


def test_recovery_while_the_first_message_is_on_its_way_is_still_told() -> None:
    outage = StoreOutage(timedelta(seconds=10))
    outage.failed(REASON, T0)
    owed = outage.to_tell(T0 + timedelta(seconds=20), UTC_ZONE)
    assert owed is not None
    outage.answered(T0 + timedelta(seconds=21))
    outage.told(owed[0], T0 + timedelta(seconds=22))
    back = outage.to_tell(T0 + timedelta(seconds=23), UTC_ZONE)
    assert back is not None and back[0].title == "[pantau] store: recovered"


def test_a_refused_connection_is_unavailability_but_a_broken_query_is_a_bug(pg_url: str) -> None:
    gone = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")
    with pytest.raises(Exception) as refused:
        gone.connect()
    assert unavailable(refused.value) == "store: database unavailable (connection refused)"
    engine = create_engine(pg_url)
    with engine.connect() as conn, pytest.raises(Exception) as broken:
        conn.execute(text("SELECT * FROM no_such_table"))
    assert unavailable(broken.value) is None
    engine.dispose()
    assert unavailable(IntegrityError("INSERT", {}, Exception("duplicate key"))) is None
    assert unavailable(ValueError("a bug")) is None
