"""The store keeps the pipeline idempotent on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pantau.models import Article, Hit, Match
from pantau.store import Outgoing, Store

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def _article(
    url: str = "https://wire.test/news/1", source: str = "wire", body: str = "NATO and Japan"
) -> Article:
    return Article(
        source=source,
        url=url,
        title="NATO meets Japan",
        body=body,
        published=T0 - timedelta(hours=1),
        author="A. Writer",
        lang="en",
        content_hash="h-" + url,
        fetched_at=T0,
    )


def _match(rule: str = "nato") -> Match:
    hit = Hit(term="NATO", field="title", start=0, end=4, text="NATO")
    return Match(rule=rule, hits=(hit,), snippet="«NATO» meets Japan")


def test_an_article_and_its_alert_are_stored_once(store: Store) -> None:
    planned = [(_match(), [Outgoing("nato", "desk", T0), Outgoing("nato", "chat", T0)])]
    first = store.save_article(_article(), planned, "https://wire.test/news/1")
    again = store.save_article(_article(), planned, "https://wire.test/news/1")
    assert first is not None and again is None
    assert store.counts() == {"articles": 1, "alerts": 1, "pending": 2}
    due = store.due_deliveries(T0)
    assert sorted(d.channel for d in due) == ["chat", "desk"]
    assert due[0].alert.title == "NATO meets Japan" and due[0].alert.terms == ("NATO",)
    assert due[0].alert.published == T0 - timedelta(hours=1)


def test_delivery_is_due_again_only_after_its_retry_time(store: Store) -> None:
    store.save_article(_article(), [(_match(), [Outgoing("nato", "desk", T0)])], "u")
    [due] = store.due_deliveries(T0)
    store.mark_failed([due.id], "notify: channel 'desk' failed: 500", T0 + timedelta(minutes=2))
    assert store.due_deliveries(T0 + timedelta(minutes=1)) == []
    [again] = store.due_deliveries(T0 + timedelta(minutes=2))
    assert again.attempts == 1
    store.mark_delivered([again.id], T0 + timedelta(minutes=2))
    assert store.due_deliveries(T0 + timedelta(days=1)) == []
    [(_alert, states)] = store.alerts_since(T0 - timedelta(hours=1))
    assert [(s.channel, s.state, s.attempts) for s in states] == [("desk", "delivered", 2)]


def test_a_digest_delivery_waits_for_its_time(store: Store) -> None:
    due_at = T0 + timedelta(hours=3)
    store.save_article(_article(), [(_match(), [Outgoing("nato", "desk", due_at)])], "u")
    assert store.due_deliveries(T0) == []
    [due] = store.due_deliveries(due_at)
    assert due.digest


def test_poll_failures_count_up_and_a_success_resets_them(store: Store) -> None:
    store.ensure_source("wire")
    store.record_poll("wire", T0, error="fetch: HTTP 500 for https://wire.test/")
    store.record_poll("wire", T0 + timedelta(minutes=5), error="fetch: HTTP 500 for https://wire.test/")
    health = store.source_health("wire")
    assert health.consecutive_failures == 2 and health.last_error and "500" in health.last_error
    assert health.last_success_at is None
    store.record_poll("wire", T0 + timedelta(minutes=10), etag='"v2"')
    health = store.source_health("wire")
    assert (health.consecutive_failures, health.last_error, health.etag) == (0, None, '"v2"')
    assert health.last_success_at == T0 + timedelta(minutes=10)


def test_links_done_or_given_up_are_not_fetched_again(store: Store) -> None:
    store.mark_link("wire", "https://wire.test/a", T0, done=True)
    for _ in range(3):
        store.mark_link("wire", "https://wire.test/b", T0, done=False, error="fetch: timed out")
    store.mark_link("wire", "https://wire.test/c", T0, done=False, error="fetch: timed out")
    todo = store.links_to_fetch(
        "wire",
        ["https://wire.test/d", "https://wire.test/a", "https://wire.test/b", "https://wire.test/c"],
        max_attempts=3,
    )
    assert todo == ["https://wire.test/d", "https://wire.test/c"]
    # another source listing the same URL still fetches it
    assert store.links_to_fetch("other", ["https://wire.test/a"], max_attempts=3) == ["https://wire.test/a"]
    # what failed and has attempts left is offered again, whatever the listing shows next time
    assert store.unfinished_links("wire", max_attempts=3) == ["https://wire.test/c"]
    assert store.unfinished_links("other", max_attempts=3) == []


def test_saving_counts_articles_for_source_health(store: Store) -> None:
    store.ensure_source("wire")
    store.save_article(_article("https://wire.test/1"), [], "https://wire.test/1")
    store.save_article(_article("https://wire.test/2"), [], "https://wire.test/2")
    assert store.source_health("wire").articles_seen == 2
    assert store.known_article("https://wire.test/1", "other-hash")
    assert store.known_article("https://elsewhere.test/x", "h-https://wire.test/2")
    assert not store.known_article("https://elsewhere.test/x", "h-none")


def test_naive_datetimes_are_refused(store: Store) -> None:
    naive = _article()
    naive = Article(**{**naive.__dict__, "fetched_at": datetime(2026, 1, 1)})
    with pytest.raises(Exception, match="naive"):
        store.save_article(naive, [], "u")


def test_reopening_keeps_everything(store_url: str) -> None:
    first = Store.open(store_url)
    first.save_article(_article(), [(_match(), [Outgoing("nato", "desk", T0)])], "u")
    first.close()
    second = Store.open(store_url)
    assert second.counts() == {"articles": 1, "alerts": 1, "pending": 1}
    second.close()
