"""Watched articles and held-back ones, on SQLite and PostgreSQL: what the re-check and max_age rely on."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from support.store import T0, sample_article, sample_match

from pantau.dedupe import fingerprint
from pantau.recheck import next_check
from pantau.store import Outgoing, Rechecked, Store, Watch


def _watched(store: Store, url: str = "https://wire.test/news/1", held: tuple[str, ...] = ()) -> int:
    article = sample_article(url)
    placed = store.place_article(
        article,
        url,
        fingerprint(article.body, article.title),
        since=T0 - timedelta(days=3),
        cited=False,
        indexed=True,
        plan=lambda story: [(sample_match(), [Outgoing("nato", "desk", T0)])] if not held else [],
        watch=Watch(url, '"v1"', None, T0 + timedelta(minutes=10), T0 + timedelta(hours=6)),
        held=held,
    )
    assert placed.article_id is not None
    return placed.article_id


def test_a_watched_article_is_due_at_its_time_and_goes_after_its_last_check(store: Store) -> None:
    article_id = _watched(store)
    assert store.due_rechecks("wire", T0 + timedelta(minutes=9), 10) == []
    [due] = store.due_rechecks("wire", T0 + timedelta(minutes=10), 10)
    assert (due.article_id, due.etag, due.content_hash) == (article_id, '"v1"', sample_article().content_hash)
    assert due.original_url == "https://wire.test/news/1" and due.story_id is not None
    assert store.due_rechecks("other", T0 + timedelta(hours=1), 10) == []

    store.rechecked(article_id, next_at=T0 + timedelta(minutes=30), etag='"v2"', content_hash="h2")
    assert store.due_rechecks("wire", T0 + timedelta(minutes=29), 10) == []
    [due] = store.due_rechecks("wire", T0 + timedelta(minutes=30), 10)
    assert (due.etag, due.content_hash) == ('"v2"', "h2")
    store.rechecked(article_id, next_at=None)
    assert store.due_rechecks("wire", T0 + timedelta(hours=5), 10) == []


def test_a_revision_joins_its_story_and_is_stored_once(store: Store) -> None:
    _watched(store)
    [due] = store.due_rechecks("wire", T0 + timedelta(minutes=10), 10)
    revision = replace(
        sample_article(due.original_url + "#update-abc", body="NATO and Japan, and now Australia"),
        content_hash="changed",
    )
    fp = fingerprint(revision.body, revision.title)
    seen = []

    def plan(story):  # type: ignore[no-untyped-def]
        seen.append(story)
        return [(sample_match(), [Outgoing("nato", "desk", T0)])]

    first = store.place_revision(revision, due.story_id, fp, indexed=True, held=(), plan=plan)
    again = store.place_revision(revision, due.story_id, fp, indexed=True, held=(), plan=plan)
    assert first[0] is not None and again == (None, 0)
    assert seen[0].id == due.story_id and [a.rule for a in seen[0].alerts] == ["nato"]


def test_held_back_articles_are_counted_per_source_and_since(store: Store) -> None:
    _watched(store, "https://wire.test/news/old", held=("nato",))
    _watched(store, "https://wire.test/news/new")
    assert store.held_back_counts() == {"wire": 1}
    assert store.held_back_counts(T0 + timedelta(seconds=1)) == {}
    assert store.counts()["alerts"] == 1


def test_checks_spread_out_as_the_article_ages() -> None:
    every, until, checks, at = timedelta(minutes=10), T0 + timedelta(hours=6), [], T0 + timedelta(minutes=10)
    while at is not None:
        checks.append(at)
        at = next_check(T0, at, every, until)
    assert [int((c - T0).total_seconds() // 60) for c in checks] == [10, 20, 40, 80, 160, 320]


def test_a_poll_says_whether_a_check_is_due_and_notes_its_checks_with_itself(store: Store) -> None:
    kept, ended = _watched(store), _watched(store, "https://wire.test/news/2")
    assert not store.poll_state("wire", 3, T0 + timedelta(minutes=9)).recheck_due
    assert store.poll_state("wire", 3, T0 + timedelta(minutes=10)).recheck_due
    assert not store.poll_state("wire", 3, T0 + timedelta(hours=6)).recheck_due  # watched no more
    assert not store.poll_state("wire", 3).recheck_due  # not asked (the source does not re-check)
    store.record_poll(
        "wire",
        T0 + timedelta(minutes=10),
        etag='"list"',
        rechecks=[Rechecked(kept, T0 + timedelta(minutes=20), '"v2"', None, "h2"), Rechecked(ended, None)],
    )
    assert not store.poll_state("wire", 3, T0 + timedelta(minutes=19)).recheck_due
    [due] = store.due_rechecks("wire", T0 + timedelta(minutes=20), 10)
    assert (due.article_id, due.etag, due.content_hash) == (kept, '"v2"', "h2")
    assert due.first_seen_at == sample_article().fetched_at and due.until == T0 + timedelta(hours=6)
    # an unchanged text keeps its hash
    store.record_poll("wire", T0 + timedelta(minutes=20), rechecks=[Rechecked(kept, T0 + timedelta(hours=1))])
    [due] = store.due_rechecks("wire", T0 + timedelta(hours=1), 10)
    assert (due.etag, due.content_hash) == (None, "h2")
    assert store.source_health("wire").last_poll_at == T0 + timedelta(minutes=20)
