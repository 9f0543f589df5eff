"""The hot path's own transactions: all or nothing, the same values as the rest of the store, and a
PostgreSQL restart that pantau slept through costs nothing."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, insert, text
from sqlalchemy.exc import IntegrityError
from support.store import T0, place, sample_article, sample_match

from pantau.dedupe import StoryView, fingerprint
from pantau.models import Match
from pantau.store import Outgoing, Placed, Store
from pantau.store import fast as fast_module
from pantau.store.tables import ARTICLE


@pytest.mark.parametrize("failure", ["python", "database"])
def test_a_write_that_fails_half_way_leaves_nothing(store: Store, failure: str) -> None:
    # The article and its alert are written before the outbox rows, which fail: a naive due time in
    # Python, or a missing channel in the database (NOT NULL).
    if failure == "python":
        bad = [(sample_match(), [Outgoing("nato", "desk", datetime(2026, 11, 25, 8, 0))])]
        expected: type[Exception] = TypeError
    else:
        bad = [(sample_match(), [Outgoing("nato", None, T0)])]  # type: ignore[arg-type]
        expected = IntegrityError
    with pytest.raises(expected):
        place(store, sample_article(), bad)
    assert store.counts() == {"articles": 0, "alerts": 0, "pending": 0}
    assert store.links_to_fetch("wire", ["https://wire.test/news/1"], 3) == ["https://wire.test/news/1"]
    assert store.source_health("wire").articles_seen == 0
    # ...and the next write on the same connection goes through whole.
    good = [(sample_match(), [Outgoing("nato", "desk", T0)])]
    assert place(store, sample_article(), good).article_id is not None
    assert store.counts() == {"articles": 1, "alerts": 1, "pending": 1}


def test_a_write_after_a_delivery_was_recorded_is_still_all_or_nothing(store: Store) -> None:
    # A delivery is recorded as one statement in the driver's autocommit mode; what follows is a
    # transaction again.
    place(store, sample_article(), [(sample_match(), [Outgoing("nato", "desk", T0)])])
    [due] = store.claim_due(T0)
    store.mark_delivered([due.id], T0, "pantau-desk-1")
    bad = [(sample_match(), [Outgoing("nato", "desk", datetime(2026, 11, 25, 8, 0))])]  # naive: refused
    with pytest.raises(TypeError):
        place(store, sample_article("https://wire.test/news/2"), bad)
    assert store.counts() == {"articles": 1, "alerts": 1, "pending": 0}
    assert store.messages_sent_since("desk", T0 - timedelta(seconds=1)) == (1, T0)


def test_values_written_fast_read_back_through_sqlalchemy(store: Store) -> None:
    article = sample_article()
    article_id = place(store, article, [(sample_match(), [Outgoing("nato", "desk", T0)])]).article_id
    assert article_id is not None
    stored = store.article(article_id)
    assert stored is not None and stored.article == article
    assert stored.article.fetched_at.tzinfo is UTC
    assert not store.claim_due(T0 - timedelta(seconds=1))
    [due] = store.claim_due(T0)
    assert due.alert.terms == ("NATO",) and due.alert.snippet == "«NATO» meets Japan"


def test_postgres_restart_while_idle_is_survived(pg_store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast_module, "PING_AFTER", 0.05)
    with Store.open(pg_store_url) as store:
        place(store, sample_article("https://wire.test/1"))
        held = store._fast._connection.driver_connection.info.backend_pid
        admin = create_engine(pg_store_url.split("?")[0], isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": held}).scalar()
        admin.dispose()
        time.sleep(0.1)
        assert place(store, sample_article("https://wire.test/1")).article_id is None  # known: read back
        assert place(store, sample_article("https://wire.test/2")).article_id is not None


def test_a_rule_planned_twice_for_one_article_alerts_once_with_its_first_channels(store: Store) -> None:
    # The second alert row is refused by uq_alert_article_rule: it has no id, so no outbox row of its
    # own, and none is added to the first alert either.
    planned = [
        (sample_match(), [Outgoing("nato", "desk", T0)]),
        (sample_match(), [Outgoing("nato", "pager", T0)]),
    ]
    placed = place(store, sample_article(), planned)
    assert placed.article_id is not None
    assert store.counts() == {"articles": 1, "alerts": 1, "pending": 1}
    assert [due.channel for due in store.claim_due(T0)] == ["desk"]


def test_an_article_another_process_stored_meanwhile_is_not_stored_again(pg_store_url: str) -> None:
    # Between this placement's duplicate check and its insert another writer stores the same URL (PostgreSQL
    # only: on SQLite the placement holds the write lock throughout): nothing of it is written, not even
    # the new story it was to start, nor its index rows.
    body = " ".join(f"Jakarta port handled {n} containers of rice and sugar on day {n}." for n in range(30))
    article = sample_article(body=body)
    with Store.open(pg_store_url) as store:

        def plan(story: StoryView | None) -> list[tuple[Match, list[Outgoing]]]:
            with store.engine.begin() as conn:  # the other writer, committed at once
                conn.execute(insert(ARTICLE).values(**article.__dict__, story_id=None))
            return [(sample_match(), [Outgoing("nato", "desk", T0)])]

        fp = fingerprint(article.body, article.title)
        assert fp.signature  # it would enter the near-duplicate index
        placed = store.place_article(
            article, article.url, fp, since=T0 - timedelta(hours=72), cited=False, plan=plan
        )
        assert placed == Placed(None, 0)
        with store.engine.connect() as conn:
            counted = [
                conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("article", "story", "story_signature", "story_band", "alert")
            ]
        assert counted == [1, 0, 0, 0, 0]
