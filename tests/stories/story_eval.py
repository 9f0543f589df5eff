"""Runs the labelled stream through the store's story index and scores "same story" pairwise."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from typing import Protocol

from support.store import place, story_of

from pantau.dedupe import cites_wire, content_hash, fingerprint
from pantau.models import Article
from pantau.store import Store


class Item(Protocol):
    """A labelled article (story_corpus.Item, bulletin_corpus.Bulletin)."""

    @property
    def key(self) -> str: ...
    @property
    def group(self) -> str: ...
    @property
    def lang(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def at(self) -> datetime: ...


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    true_pairs: int
    found_pairs: int
    wrong_pairs: int


def assign_stories(store: Store, items: Iterable[Item]) -> dict[str, int]:
    """item key -> story id, as the pipeline would decide them (same calls, same order)."""
    out: dict[str, int] = {}
    for n, item in enumerate(items):
        fp = fingerprint(item.body, item.title)
        cited = item.lang != "en" and cites_wire(item.body)
        article = Article(
            source=item.source,
            url=f"https://{item.source}.test/{n}",
            title=item.title,
            body=item.body,
            published=item.at,
            author=None,
            lang=item.lang,
            content_hash=content_hash(item.title, item.body),
            fetched_at=item.at,
        )
        placed = place(store, article, fp=fp, cited=cited)
        out[item.key] = story_of(store, placed.article_id)
    return out


def score(items: Sequence[Item], stories: dict[str, int], keep: set[str]) -> Score:
    """Pairwise precision and recall over the items whose key is in `keep`."""
    chosen = [it for it in items if it.key in keep]
    truth = {frozenset(p) for p in _pairs(chosen, lambda it: it.group)}
    found = {frozenset(p) for p in _pairs(chosen, lambda it: str(stories[it.key]))}
    right = len(truth & found)
    return Score(
        precision=right / len(found) if found else 1.0,
        recall=right / len(truth) if truth else 1.0,
        true_pairs=len(truth),
        found_pairs=len(found),
        wrong_pairs=len(found - truth),
    )


def _pairs(items: Sequence[Item], key: object) -> Iterable[tuple[str, str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for it in items:
        groups[key(it)].append(it.key)  # type: ignore[operator]
    for members in groups.values():
        yield from combinations(sorted(members), 2)
