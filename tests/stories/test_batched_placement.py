"""Articles ready at the same moment are placed in one transaction (pantau.placing), on SQLite and
PostgreSQL: a copy placed after its original in the same batch still joins the original's story and does
not alert again, one failing placement costs only itself, and a failed transaction fails every waiter."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import DBAPIError
from support.store import story_of

from pantau.dedupe import StoryView, content_hash, fingerprint, plan_alerts
from pantau.models import Article, Hit, Match
from pantau.placing import Placer
from pantau.store import Outgoing, Placed, Placement, Store

T0 = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
WIRE = (
    "South Korea and New Zealand agreed on Monday to hold joint maritime exercises next spring, the two "
    "defence ministers said after talks in Seoul. The drills will involve four frigates and about 900 sailors "
    "and follow a similar exercise with Australia and Japan in the Coral Sea last year, officials added."
)
UNRELATED = (
    "Rainfall in the northern districts reached 240 millimetres over the weekend, flooding rice fields and "
    "closing three village roads, the regional disaster agency reported. Pumps were sent to eleven villages "
    "while schools in two districts stayed shut on Monday."
)
Planned = Sequence[tuple[Match, Sequence[Outgoing]]]


def placement(source: str, body: str, n: int, *, fail: bool = False) -> Placement:
    url = f"https://{source}.test/news/{n}"
    at = T0 + timedelta(minutes=n)
    article = Article(source, url, "Title", body, at, None, "en", content_hash(url, body), at)
    match = Match("ip4", (Hit("Korea", "body", 6, 11, "Korea"),), "«Korea»")

    def plan(story: StoryView | None) -> Planned:
        if fail:
            raise LookupError(f"planner failed for {url}")
        return [(m, [Outgoing(m.rule, "desk", at)]) for m in plan_alerts([match], story, source)]

    return Placement(article, url, fingerprint(body), at - timedelta(hours=72), False, plan)


def alerts_of(results: Sequence[Placed | Exception]) -> list[int]:
    return [r.alerts if isinstance(r, Placed) else -1 for r in results]


def test_a_copy_in_the_same_batch_joins_its_original_and_alerts_once(store: Store) -> None:
    results = store.place_articles(
        [
            placement("kyodo", WIRE, 1),
            placement("warta", UNRELATED, 2),
            placement("inakoran", "SEOUL (Kyodo) -- " + WIRE, 3),
        ]
    )
    assert alerts_of(results) == [1, 1, 0]  # the copy is "also reported by", not a second alert
    first, other, copy = (r.article_id for r in results if isinstance(r, Placed))
    assert story_of(store, copy) == story_of(store, first) != story_of(store, other)


def test_each_new_article_of_a_batch_counts_for_its_source(store: Store) -> None:
    for name in ("kyodo", "warta"):
        store.ensure_source(name)
    store.place_articles(
        [
            placement("kyodo", WIRE, 1),
            placement("warta", UNRELATED, 2),
            placement("kyodo", UNRELATED + " Later.", 3),
            placement("kyodo", WIRE, 1),  # the same URL again: known, not counted
        ]
    )
    kyodo, warta = store.source_health("kyodo"), store.source_health("warta")
    assert (kyodo.articles_seen, warta.articles_seen) == (2, 1)
    assert kyodo.last_new_article_at == T0 + timedelta(minutes=3)  # its last new article, not its first
    assert warta.last_new_article_at == T0 + timedelta(minutes=2)


def test_one_failing_placement_costs_only_itself(store: Store) -> None:
    results = store.place_articles(
        [placement("kyodo", WIRE, 1), placement("warta", UNRELATED, 2, fail=True), placement("a", WIRE, 3)]
    )
    assert isinstance(results[1], LookupError)
    assert alerts_of([results[0], results[2]]) == [1, 0]
    assert store.article("https://warta.test/news/2") is None
    assert store.article("https://kyodo.test/news/1") is not None
    # the failed one can be placed later, as a retry would
    [again] = store.place_articles([placement("warta", UNRELATED, 2)])
    assert isinstance(again, Placed) and again.article_id is not None


def test_a_copy_finds_the_article_stored_where_a_rolled_back_one_was(store: Store) -> None:
    """A batch that fails is placed again article by article; an article that fails on its second try
    too leaves its place (its id) to the next one. A copy of that next article, in the same batch, joins
    it: nothing of the rolled-back article is taken for it."""
    tries: list[str] = []
    flaky = placement("warta", UNRELATED, 1)

    def first_try_only(story: StoryView | None) -> Planned:
        tries.append("warta")
        if len(tries) > 1:
            raise LookupError("planner failed on the second try")
        return flaky.plan(story)

    failed = store.place_articles(
        [replace(flaky, plan=first_try_only), placement("inakoran", UNRELATED + " Kini.", 2, fail=True)]
    )
    assert [type(r) for r in failed] == [LookupError, LookupError] and len(tries) == 2
    results = store.place_articles(
        [placement("kyodo", WIRE, 3), placement("inakoran", "SEOUL (Kyodo) -- " + WIRE, 4)]
    )
    assert alerts_of(results) == [1, 0]
    original, copy = (r.article_id for r in results if isinstance(r, Placed))
    assert story_of(store, copy) == story_of(store, original)


def test_articles_ready_together_share_one_transaction(store: Store) -> None:
    placer = Placer(store, max_batch=2)

    async def main() -> list[Placed]:
        return await asyncio.gather(
            placer.place(placement("kyodo", WIRE, 1)),
            placer.place(placement("warta", UNRELATED, 2)),
            placer.place(placement("inakoran", "SEOUL (Kyodo) -- " + WIRE, 3)),
        )

    results = asyncio.run(main())
    assert [r.alerts for r in results] == [1, 1, 0]
    assert (placer.batches, placer.placed) == (2, 3)  # three ready together, at most two a transaction


def test_a_failing_placement_raises_in_its_own_poll_only(store: Store) -> None:
    placer = Placer(store)

    async def main() -> list[Placed | BaseException]:
        return await asyncio.gather(
            placer.place(placement("kyodo", WIRE, 1)),
            placer.place(placement("warta", UNRELATED, 2, fail=True)),
            return_exceptions=True,
        )

    ok, failed = asyncio.run(main())
    assert isinstance(ok, Placed) and ok.alerts == 1
    assert isinstance(failed, LookupError)
    assert placer.batches == 1


def test_a_failed_transaction_fails_every_article_of_the_batch(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commit itself failing (the database gone, the disk full) is simulated: nothing is stored and
    every waiting poll gets the error, none waits forever."""
    placer = Placer(store)
    gone = DBAPIError("COMMIT", None, OSError("disk I/O error"))

    def fail(placements: Sequence[Placement]) -> list[Placed | Exception]:
        raise gone

    monkeypatch.setattr(store, "place_articles", fail)

    async def main() -> list[Placed | BaseException]:
        return await asyncio.gather(
            placer.place(placement("kyodo", WIRE, 1)),
            placer.place(placement("warta", UNRELATED, 2)),
            return_exceptions=True,
        )

    assert asyncio.run(main()) == [gone, gone]
    assert placer.batches == 0


def test_max_batch_must_be_positive(store: Store) -> None:
    with pytest.raises(ValueError, match="max_batch"):
        Placer(store, max_batch=0)
