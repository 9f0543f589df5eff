"""The store keeps the pipeline idempotent on SQLite and PostgreSQL alike. Articles go in the way the
pipeline puts them (place_article) and deliveries come out the way the sender takes them (claim_due)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from support.store import T0, place, sample_article, sample_match

from pantau.dedupe import fingerprint
from pantau.models import Article
from pantau.store import Outgoing, Store


def test_an_article_and_its_alert_are_stored_once(store: Store) -> None:
    planned = [(sample_match(), [Outgoing("nato", "desk", T0), Outgoing("nato", "chat", T0)])]
    first = place(store, sample_article(), planned)
    again = place(store, sample_article(), planned)
    assert first.article_id is not None and first.alerts == 1
    assert (again.article_id, again.alerts) == (None, 0)
    assert store.counts() == {"articles": 1, "alerts": 1, "pending": 2}
    due = store.claim_due(T0)
    assert sorted(d.channel for d in due) == ["chat", "desk"]
    assert due[0].alert.title == "NATO meets Japan" and due[0].alert.terms == ("NATO",)
    assert due[0].alert.published == T0 - timedelta(hours=1)
    assert store.claim_due(T0) == []  # leased: a second sender gets nothing


def test_delivery_is_due_again_only_after_its_retry_time(store: Store) -> None:
    place(store, sample_article(), [(sample_match(), [Outgoing("nato", "desk", T0)])])
    [due] = store.claim_due(T0)
    store.mark_failed([due.id], "notify: channel 'desk' failed: 500", T0 + timedelta(minutes=2))
    assert store.claim_due(T0 + timedelta(minutes=1)) == []
    [again] = store.claim_due(T0 + timedelta(minutes=2))
    assert again.attempts == 1
    store.mark_delivered([again.id], T0 + timedelta(minutes=2))
    assert store.claim_due(T0 + timedelta(days=1)) == []
    [(_alert, states)] = store.alerts_since(T0 - timedelta(hours=1))
    assert [(s.channel, s.state, s.attempts) for s in states] == [("desk", "delivered", 2)]


def test_recording_a_delivery_renews_the_senders_own_lease_on_the_rows_named(store: Store) -> None:
    for n in range(3):
        url = f"https://wire.test/news/{n}"
        place(store, sample_article(url), [(sample_match(), [Outgoing("nato", "desk", T0)])])
    first, second, third = store.claim_due(T0, owner="here:1")  # leased until T0 + 2 min
    later = T0 + timedelta(seconds=90)
    store.mark_delivered([first.id], later, "key-1", renew=[second.id], owner="here:1")
    store.mark_delivered([first.id], later, "key-1", renew=[third.id], owner="there:2")  # not its lease
    assert [d.id for d in store.claim_due(T0 + timedelta(minutes=3), owner="there:2")] == [third.id]
    assert [d.id for d in store.claim_due(later + timedelta(minutes=2), owner="there:2")] == [second.id]
    assert store.messages_sent_since("desk", T0) == (1, later)


def test_claims_at_the_same_moment_by_one_sender_never_hand_out_a_row_twice(store: Store) -> None:
    for n in range(3):
        url = f"https://wire.test/news/{n}"
        place(store, sample_article(url), [(sample_match(), [Outgoing("nato", "desk", T0)])])
    first = store.claim_due(T0, limit=2, owner="here:1")
    second = store.claim_due(T0, limit=2, owner="here:1")  # the same lease, to the microsecond
    assert [d.alert.url for d in first] == ["https://wire.test/news/0", "https://wire.test/news/1"]
    assert [d.alert.url for d in second] == ["https://wire.test/news/2"]


LONG_BODY = (
    "NATO and Japan agreed on Tuesday to open a liaison office in Tokyo, the alliance said, the first of its "
    "kind in Asia. The office will coordinate exercises, cyber defence and the exchange of liaison officers "
    "between the two, and opens in the spring with a staff of four."
)


def test_a_claimed_alert_names_the_other_outlets_of_its_story(store: Store) -> None:
    planned = [(sample_match(), [Outgoing("nato", "desk", T0)])]
    place(store, sample_article("https://wire.test/news/1", body=LONG_BODY), planned)
    place(store, sample_article("https://warta.test/p/1", source="warta", body=LONG_BODY))
    place(store, sample_article("https://wire.test/news/2", body="Japan and NATO, briefly"), planned)
    shared, alone = store.claim_due(T0)
    assert (shared.alert.also_reported_by, alone.alert.also_reported_by) == (("warta",), ())
    assert shared.alert.story_id is not None and shared.alert.story_id != alone.alert.story_id


def test_a_digest_delivery_waits_for_its_time(store: Store) -> None:
    due_at = T0 + timedelta(hours=3)
    place(store, sample_article(), [(sample_match(), [Outgoing("nato", "desk", due_at)])])
    assert store.claim_due(T0) == []
    [due] = store.claim_due(due_at)
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


def test_a_known_url_or_the_same_text_from_the_same_source_is_not_stored_again(store: Store) -> None:
    store.ensure_source("wire")
    assert place(store, sample_article("https://wire.test/1")).article_id is not None
    assert place(store, sample_article("https://wire.test/2")).article_id is not None
    assert store.source_health("wire").articles_seen == 2
    # the same URL with other text: a re-fetch
    changed = sample_article("https://wire.test/1", body="NATO and Japan, updated")
    assert place(store, changed).article_id is None
    # the same text from the same source under another URL: a re-fetch, and its link is done
    same_text = Article(**{**sample_article("https://wire.test/2").__dict__, "url": "https://wire.test/2b"})
    assert place(store, same_text, link="https://wire.test/2b").article_id is None
    assert store.links_to_fetch("wire", ["https://wire.test/2b"], 3) == []
    # another outlet's identical copy is a report of the story, stored under it
    copy = Article(**{**same_text.__dict__, "source": "warta", "url": "https://warta.test/2"})
    assert place(store, copy).article_id is not None
    assert store.source_health("wire").articles_seen == 2
    assert store.counts()["articles"] == 3


def test_naive_datetimes_are_refused(store: Store) -> None:
    naive = Article(**{**sample_article().__dict__, "fetched_at": datetime(2026, 1, 1)})
    with pytest.raises(ValueError, match="naive datetime given to the store"):
        store.place_article(
            naive,
            "u",
            fingerprint(naive.body),
            since=T0,
            cited=False,
            indexed=False,
            plan=lambda story: [],
        )
    assert store.counts()["articles"] == 0


def test_reopening_keeps_everything(store_url: str) -> None:
    first = Store.open(store_url)
    place(first, sample_article(), [(sample_match(), [Outgoing("nato", "desk", T0)])])
    first.close()
    second = Store.open(store_url)
    assert second.counts() == {"articles": 1, "alerts": 1, "pending": 1}
    second.close()


def test_a_poll_starts_from_one_read_of_its_source(store: Store) -> None:
    state = store.poll_state("wire", max_attempts=3)
    assert (state.etag, state.last_modified, state.feed_url, state.unfinished) == (None, None, None, ())
    assert [h.name for h in store.all_source_health()] == ["wire"]  # its row exists from the first poll on
    store.record_poll("wire", T0, etag='"v1"', last_modified="Mon, 30 Nov 2026 06:00:00 GMT", feed_url=None)
    store.mark_link(
        "wire", "https://wire.test/late", T0 + timedelta(minutes=1), done=False, error="fetch: 503"
    )
    store.mark_link("wire", "https://wire.test/early", T0, done=False, error="fetch: 503")
    store.mark_link("wire", "https://wire.test/done", T0, done=True)
    state = store.poll_state("wire", max_attempts=3)
    assert (state.etag, state.last_modified) == ('"v1"', "Mon, 30 Nov 2026 06:00:00 GMT")
    assert state.unfinished == ("https://wire.test/early", "https://wire.test/late")  # oldest first
    assert store.poll_state("wire", max_attempts=1).unfinished == ()  # given up on after one attempt


def test_a_first_poll_that_fails_counts_one_failure(store: Store) -> None:
    store.record_poll("new", T0, error="fetch: HTTP 500 for https://new.test/")
    health = store.source_health("new")
    assert (health.consecutive_failures, health.last_poll_at, health.last_success_at) == (1, T0, None)
    assert health.last_poll_by == store.instance
