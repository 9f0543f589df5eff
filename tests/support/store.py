"""Putting articles into a test store the way the pipeline does (Store.place_article), and reading back
what a test wants to check that the store's public face does not show (an article's story, the index size).

    placed = place(store, article, [(match, [Outgoing("nato", "desk", T0)])])
    story_of(store, placed.article_id)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from pantau.dedupe import Fingerprint, StoryView, fingerprint
from pantau.models import Article, Hit, Match
from pantau.pipeline import STORY_WINDOW
from pantau.store import Outgoing, Store
from pantau.store.queries import Placed
from pantau.store.tables import ARTICLE, STORY_BAND, STORY_SIGNATURE

Planned = Sequence[tuple[Match, Sequence[Outgoing]]]


def place(
    store: Store,
    article: Article,
    planned: Planned = (),
    *,
    link: str | None = None,
    fp: Fingerprint | None = None,
    cited: bool = False,
    indexed: bool = True,
    seen: list[StoryView | None] | None = None,
) -> Placed:
    """Place `article` as the pipeline does: its story is looked up within the window before its fetch
    time, and `planned` (the alerts and their outbox rows) is stored with it. `seen` collects the story the
    store offered to the planner."""

    def plan(story: StoryView | None) -> Planned:
        if seen is not None:
            seen.append(story)
        return planned

    return store.place_article(
        article,
        link or article.url,
        fp if fp is not None else fingerprint(article.body, article.title),
        since=article.fetched_at - STORY_WINDOW,
        cited=cited,
        indexed=indexed,
        plan=plan,
    )


def story_of(store: Store, article_id: int | None) -> int:
    """The story an article was placed in (read straight from the table)."""
    assert article_id is not None, "the article was not stored"
    with store.engine.connect() as conn:
        found = conn.execute(select(ARTICLE.c.story_id).where(ARTICLE.c.id == article_id)).scalar()
    assert found is not None, f"article {article_id} has no story"
    return int(found)


def index_size(store: Store) -> tuple[int, int]:
    """(signature rows, band rows) in the near-duplicate index."""
    with store.engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(STORY_SIGNATURE)).scalar_one(),
            conn.execute(select(func.count()).select_from(STORY_BAND)).scalar_one(),
        )


T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def sample_article(
    url: str = "https://wire.test/news/1", source: str = "wire", body: str = "NATO and Japan"
) -> Article:
    """A short article fetched at T0 (too short to enter the near-duplicate index)."""
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


def sample_match(rule: str = "nato") -> Match:
    hit = Hit(term="NATO", field="title", start=0, end=4, text="NATO")
    return Match(rule=rule, hits=(hit,), snippet="«NATO» meets Japan")
