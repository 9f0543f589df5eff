"""The story index in the store (SQLite and PostgreSQL): window, pruning, history, upgrades."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from support.store import index_size, place, story_of

from pantau.dedupe import StoryView, content_hash, fingerprint, plan_alerts
from pantau.models import Article, Hit, Match
from pantau.store import Outgoing, Store
from pantau.store.db import make_engine, migrate
from pantau.store.queries import Placed
from pantau.store.tables import STORY_BAND

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
WINDOW = timedelta(hours=72)
STORY = (
    "Japan will provide 450 million dollars in emergency aid to help Ukraine repair its power grid and heat "
    "homes through the winter, the foreign minister said on Tuesday. The package includes 120 mobile "
    "transformers and about 3,000 generators, according to the ministry, with the first shipments leaving "
    "Yokohama before the end of the month."
)
OTHER = (
    "Australia and Indonesia began coordinated naval patrols in the Arafura Sea on Wednesday to combat "
    "illegal fishing and people smuggling, under a defence agreement signed last year. Two corvettes and a "
    "patrol boat take part in the first operation, which lasts ten days, the navies said."
)


def article(source: str, body: str, at: datetime, n: int = 0) -> Article:
    url = f"https://{source}.test/news/{n}"
    return Article(source, url, "Title", body, at, None, "en", content_hash(url, body), at)


def save(store: Store, source: str, body: str, at: datetime, n: int = 0, rule: str | None = None) -> int:
    """Place one article the way the pipeline does (fingerprint of the body alone); returns its story id."""
    planned = []
    if rule:
        match = Match(rule, (Hit("Ukraine", "body", 0, 7, "Ukraine"),), "«Ukraine»")
        planned = [(match, [Outgoing(rule, "desk", at)])]
    offered: list[StoryView | None] = []
    placed = place(store, article(source, body, at, n), planned, fp=fingerprint(body), seen=offered)
    found = story_of(store, placed.article_id)
    [story] = offered
    assert story is None or found == story.id
    return found


def story_view(store: Store, body: str, at: datetime) -> StoryView | None:
    """The story a new copy of `body` fetched at `at` would be offered (nothing is stored)."""
    offered: list[StoryView | None] = []

    def plan(story: StoryView | None) -> list[tuple[Match, list[Outgoing]]]:
        offered.append(story)
        raise LookupError("only looking")

    probe = article("probe", body, at, 999)
    with pytest.raises(LookupError):
        store.place_article(
            probe, "probe", fingerprint(body), since=at - WINDOW, cited=False, indexed=False, plan=plan
        )
    assert store.article(probe.url) is None
    return offered[0]


def test_copies_within_the_window_join_and_name_their_sources(store: Store) -> None:
    first = save(store, "wire", STORY, T0, 1, rule="ukraine")
    assert save(store, "feedsite", "TOKYO (Kyodo) -- " + STORY, T0 + timedelta(hours=2), 2) == first
    assert save(store, "warta", STORY[:200], T0 + timedelta(hours=5), 3) == first
    assert save(store, "feedsite", OTHER, T0 + timedelta(hours=6), 4) != first

    view = story_view(store, STORY, T0 + timedelta(hours=7))
    assert view is not None and view.id == first
    assert view.sources == ("wire", "feedsite", "warta")
    assert [(a.rule, a.source, a.terms) for a in view.alerts] == [("ukraine", "wire", ("Ukraine",))]
    alert_ids = [a.id for a, _ in store.alerts_since(T0 - timedelta(days=1))]
    assert store.also_reported_by(alert_ids) == {alert_ids[0]: ("feedsite", "warta")}


def test_a_copy_after_the_window_starts_a_new_story(store: Store) -> None:
    first = save(store, "wire", STORY, T0, 1)
    assert save(store, "feedsite", STORY, T0 + WINDOW + timedelta(hours=1), 2) != first


def test_a_copy_joins_the_windows_story_though_more_older_copies_not_pruned_yet_rank_first(
    store: Store,
) -> None:
    """25 copies from before the window, still indexed, share as many keys with a new copy as this
    window's story does and rank before it (older first): more than the 20 candidates a lookup keeps. The
    copy still finds this window's story and joins it instead of starting a third."""
    old = {save(store, f"old{n}", STORY, T0 - timedelta(days=5, minutes=-n), n) for n in range(25)}
    assert len(old) == 1
    current = save(store, "wire", STORY, T0, 100)
    assert current not in old
    assert save(store, "feedsite", "TOKYO (Kyodo) -- " + STORY, T0 + timedelta(hours=1), 101) == current


def test_the_process_that_stored_the_articles_and_a_new_one_find_the_same_candidates(
    store_url: str,
) -> None:
    """The process that placed the articles looks up what it remembers of them; a process that has just
    opened the store reads them: both find the same candidates for a copy, in the same order."""
    with Store.open(store_url) as placing:
        for n in range(30):
            body = STORY if n % 3 else OTHER
            save(placing, f"outlet{n}", body[: 120 + 4 * n], T0 + timedelta(hours=2 * n), n)
        at = T0 + timedelta(hours=80)
        with placing._fast.transaction(write=False) as cur:
            remembered = placing._candidates(cur, fingerprint(STORY), at - WINDOW, False)
        with Store.open(store_url) as opened, opened._fast.transaction(write=False) as cur:
            read = opened._candidates(cur, fingerprint(STORY), at - WINDOW, False)
    assert 5 < len(read) < 20  # some of the copies are out of the window
    assert remembered == read


def test_pruning_forgets_old_index_entries_but_keeps_stories(store: Store) -> None:
    first = save(store, "wire", STORY, T0, 1)
    save(store, "wire", OTHER, T0 + timedelta(hours=80), 2)
    signatures, bands = index_size(store)
    assert signatures == 2 and bands > 2
    assert story_view(store, STORY, T0 + timedelta(hours=2)) is not None
    assert store.prune_story_index(T0 + timedelta(hours=1)) > 0
    assert index_size(store)[0] == 1
    assert story_view(store, STORY, T0 + timedelta(hours=2)) is None  # even inside the window
    assert story_of(store, store.article("https://wire.test/news/1").id) == first  # type: ignore[union-attr]


def test_another_outlets_identical_text_is_not_a_refetch(store: Store) -> None:
    first = save(store, "wire", STORY, T0, 1)
    again = article("wire", STORY, T0, 1)
    moved = Article(**{**again.__dict__, "url": "https://elsewhere.test/x"})
    assert place(store, moved).article_id is None  # the same text from the same source: a re-fetch
    assert place(store, Article(**{**again.__dict__, "content_hash": "other"})).article_id is None  # same URL
    copy = Article(**{**moved.__dict__, "source": "feedsite"})
    assert story_of(store, place(store, copy, fp=fingerprint(STORY)).article_id) == first


def test_an_article_that_matched_nothing_joins_its_story_but_stays_out_of_the_index(store: Store) -> None:
    first = save(store, "wire", STORY, T0, 1, rule="ukraine")
    copy = article("feedsite", "TOKYO (Kyodo) -- " + STORY, T0 + timedelta(hours=1), 2)
    placed = place(store, copy, fp=fingerprint(copy.body), indexed=False)
    assert story_of(store, placed.article_id) == first
    assert index_size(store)[0] == 1
    # an unindexed article is never offered as a story: a copy of a text only it had starts a new one
    lone = article("warta", OTHER, T0, 3)
    place(store, lone, fp=fingerprint(OTHER), indexed=False)
    assert save(store, "feedsite", OTHER, T0 + timedelta(hours=1), 4) != story_of(
        store,
        store.article(lone.url).id,  # type: ignore[union-attr]
    )


def test_upgrading_an_existing_database_puts_each_article_in_its_own_story(store_url: str) -> None:
    engine = make_engine(store_url)
    migrate(engine, "0001")
    with engine.begin() as conn:
        for n in (1, 2, 3):
            conn.execute(
                text(
                    "INSERT INTO article (url, source, title, body, content_hash, fetched_at) "
                    "VALUES (:url, 'wire', 't', :body, :h, :at)"
                ),
                {"url": f"https://wire.test/{n}", "body": STORY, "h": f"h{n}", "at": T0.replace(tzinfo=None)},
            )
        ids = [row[0] for row in conn.execute(text("SELECT id FROM article ORDER BY id"))]
    engine.dispose()
    store = Store.open(store_url)
    try:
        stories = [story_of(store, n) for n in ids]
        assert None not in stories and len(set(stories)) == 3
        # new stories get fresh ids (PostgreSQL's sequence was moved past the copied ones)
        assert save(store, "feedsite", OTHER, T0, 9) not in stories
        # old articles are not in the near-duplicate index: a copy of them starts a story
        assert save(store, "feedsite", STORY, T0 + timedelta(hours=1), 10) not in stories
    finally:
        store.close()


def test_two_processes_placing_copies_at_once_make_one_story_and_one_alert(store_url: str) -> None:
    """Two workers (two connections here) each place a copy of the same story at the same moment, ten
    stories in a row: each story is one story, alerted once, whichever worker wins."""
    stores = [Store.open(store_url), Store.open(store_url)]

    def racing(store: Store, source: str, body: str, n: int, gate: threading.Barrier) -> Placed:
        gate.wait()
        return place_planned(store, source, body, T0, n, rule="ukraine")

    try:
        for round_ in range(10):
            rng = random.Random(round_)  # ten unrelated stories
            body = " ".join(f"kata{rng.randrange(100_000)}" for _ in range(80)) + "."
            gate = threading.Barrier(2)
            with ThreadPoolExecutor(2) as pool:
                wire = pool.submit(racing, stores[0], "wire", body, 2 * round_, gate)
                copy = pool.submit(
                    racing, stores[1], "feedsite", "TOKYO (Kyodo) -- " + body, 2 * round_ + 1, gate
                )
                placed = [wire.result(), copy.result()]
            ids = [p.article_id for p in placed]
            assert None not in ids
            assert len({story_of(stores[0], i) for i in ids}) == 1, f"round {round_}"
            assert sum(p.alerts for p in placed) == 1, f"round {round_}"
    finally:
        for store in stores:
            store.close()


def place_planned(
    store: Store, source: str, body: str, at: datetime, n: int, rule: str | None = None
) -> Placed:
    """Place an article as the pipeline does (indexed, matched or not), its alerts planned from its story."""
    match = Match(rule, (Hit("Ukraine", "body", 0, 7, "Ukraine"),), "«Ukraine»") if rule else None

    def plan(story: StoryView | None) -> list[tuple[Match, list[Outgoing]]]:
        due = plan_alerts([match] if match else [], story, source)
        return [(m, [Outgoing(m.rule, "desk", at)]) for m in due]

    return store.place_article(
        article(source, body, at, n),
        f"link-{n}",
        fingerprint(body),
        since=at - WINDOW,
        cited=False,
        plan=plan,
    )


def test_an_article_that_matched_nothing_is_indexed_so_a_matching_rewrite_joins_its_story(
    store: Store,
) -> None:
    first = place_planned(store, "wire", STORY, T0, 1)  # no rule matched it
    assert first.article_id is not None and first.alerts == 0
    assert index_size(store)[0] == 1
    rewrite = place_planned(
        store,
        "feedsite",
        "TOKYO (Kyodo) -- " + STORY + " NATO allies welcomed it.",
        T0 + timedelta(hours=3),
        2,
        rule="ukraine",
    )
    assert rewrite.article_id is not None and rewrite.alerts == 1
    assert story_of(store, rewrite.article_id) == story_of(store, first.article_id)
    alert_ids = [a.id for a, _ in store.alerts_since(T0 - timedelta(days=1))]
    assert store.also_reported_by(alert_ids) == {alert_ids[0]: ("wire",)}


def test_stories_since_lists_each_story_with_its_outlets_and_alerts(store: Store) -> None:
    old = place_planned(store, "wire", OTHER.replace("Wednesday", "Monday"), T0 - timedelta(days=5), 5)
    place_planned(store, "wire", STORY, T0, 1)
    place_planned(store, "feedsite", "TOKYO (Kyodo) -- " + STORY, T0 + timedelta(hours=1), 2, rule="ukraine")
    place_planned(store, "warta", STORY[:200], T0 + timedelta(hours=2), 3, rule="ukraine")  # folds: no alert
    place_planned(store, "feedsite", OTHER, T0 + timedelta(hours=3), 4)  # the old report is out of the window

    stories = store.stories_since(T0 - timedelta(hours=1))
    assert [s.sources for s in stories] == [("feedsite",), ("wire", "feedsite", "warta")]
    shared = stories[1]
    assert [(c.source, c.rules) for c in shared.copies] == [
        ("wire", ()),
        ("feedsite", ("ukraine",)),
        ("warta", ()),
    ]
    assert old.article_id is not None and story_of(store, old.article_id) not in {s.id for s in stories}
    assert store.stories_since(T0 - timedelta(hours=1), limit=1) == stories[:1]

    alert_ids = [a.id for a, _ in store.alerts_since(T0 - timedelta(days=1))]
    assert store.alert_stories(alert_ids) == {alert_ids[0]: shared.id}


# An outlet's footer in every one of its articles: its shingles win some permutations' minimum in most of
# them, so a few band keys of each of its articles are shared by hundreds of others ("hot" keys).
FOOTER = (
    "Baca juga: berita terkini dan terpopuler hari ini hanya di Warta Harian, ikuti kami di kanal "
    "WhatsApp dan Telegram resmi."
)
BEAT = [
    "harbour", "ferry", "council", "market", "rainfall", "bridge", "school", "clinic", "harvest", "budget",
    "fishermen", "road", "festival", "river", "district", "mayor", "library", "dam", "opened", "delayed",
    "approved", "repaired", "flooded", "reviewed", "closed", "funded", "moved", "rain", "debate", "season",
    "village", "farmers", "price", "rice", "fuel", "teachers", "nurses", "police", "court", "judge",
    "port", "island", "storm",
]  # fmt: skip


def footed(n: int) -> str:
    """Warta's article n (unrelated to any other), with its footer."""
    rng = random.Random(n)
    return " ".join(rng.choice(BEAT) for _ in range(40)) + ".\n\n" + FOOTER


def analyze(store: Store) -> None:
    """PostgreSQL's statistics as autovacuum keeps them: it reads a key known as common in index order."""
    if store.engine.dialect.name == "postgresql":
        with store.engine.begin() as conn:
            conn.execute(text("ANALYZE story_band"))


def lookup_reads(store: Store, body: str, at: datetime) -> tuple[int, list[int]]:
    """(work, candidate ids) of the story lookup for a new article with this body: on PostgreSQL the
    story_band rows it read, on SQLite the virtual machine's steps (in hundreds)."""
    fp, since = fingerprint(body), at - WINDOW
    with store._fast.transaction(write=False) as cur:
        if store.engine.dialect.name == "sqlite":
            steps = [0]
            sqlite = cur._cursor.connection
            sqlite.set_progress_handler(lambda: steps.__setitem__(0, steps[0] + 1), 100)
            try:
                found = store._candidates(cur, fp, since, False)
            finally:
                sqlite.set_progress_handler(None, 0)
            return steps[0], [c.article_id for c in found]
        # The transaction's own counters, read before and after (they may hold earlier transactions' too).
        read = text(
            "SELECT sum(pg_stat_get_xact_tuples_returned(oid) + pg_stat_get_xact_tuples_fetched(oid)) "
            "FROM pg_class WHERE oid IN ('story_band'::regclass, 'story_band_pkey'::regclass)"
        )
        before = cur.scalar(read, {})
        found = store._candidates(cur, fp, since, False)
        return int(cur.scalar(read, {}) - before), [c.article_id for c in found]


def test_a_copy_joins_its_story_though_hundreds_of_articles_share_a_key_with_it(store: Store) -> None:
    """Warta's footer makes keys that its other articles share; an aggregator republishes one of its
    stories with the footer. The copy joins the story (an "also reported by", not a second alert), and the
    lookup reads as much with 320 or 480 articles sharing its keys."""
    story = STORY + "\n\n" + FOOTER
    original = place_planned(store, "warta", story, T0, 0, rule="ukraine")
    assert original.alerts == 1
    for n in range(1, 321):
        place_planned(store, "warta", footed(n), T0 + timedelta(seconds=n), n)

    copy = "TOKYO (Kyodo) -- " + story
    at = T0 + timedelta(hours=6)
    with store.engine.connect() as conn:
        keys = list(fingerprint(copy).bands)
        sharing = (
            conn.execute(
                select(func.count())
                .select_from(STORY_BAND)
                .where(STORY_BAND.c.band.in_(keys))
                .group_by(STORY_BAND.c.band)
                .order_by(func.count().desc())
            )
            .scalars()
            .first()
        )
    assert sharing is not None and sharing >= 300  # the copy has a key that 300+ unrelated articles share
    analyze(store)
    work, candidates = lookup_reads(store, copy, at)
    assert original.article_id in candidates

    for n in range(321, 481):
        place_planned(store, "warta", footed(n), T0 + timedelta(seconds=n), n)
    analyze(store)
    more_work, candidates = lookup_reads(store, copy, at)
    assert original.article_id in candidates
    assert more_work <= work * 1.1, (work, more_work)  # bounded: not growing with the articles sharing a key

    placed = place_planned(store, "feedsite", copy, at, 999, rule="ukraine")
    assert placed.article_id is not None and placed.alerts == 0  # no second alert for the story
    assert story_of(store, placed.article_id) == story_of(store, original.article_id)
    alert_ids = [a.id for a, _ in store.alerts_since(T0 - timedelta(days=1))]
    assert store.also_reported_by(alert_ids) == {alert_ids[0]: ("feedsite",)}
