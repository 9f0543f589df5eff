"""Bulletins from one template stay apart; real copies of a bulletin fold (bulletin_corpus.py).

The stream goes through the store's story index (SQLite and PostgreSQL) as the pipeline sends it. Every
bulletin must start a story of its own (so it alerts once) and every copy must join its bulletin's story.
"""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import pytest
from bulletin_corpus import COPY_KINDS, bulletin_stream
from story_eval import assign_stories, score

from pantau.dedupe import fingerprint, same_story
from pantau.store import Store


def test_labelled_bulletins_have_what_the_issue_asks_for() -> None:
    items = bulletin_stream()
    bulletins = [it for it in items if it.kind == "bulletin"]
    pairs = [(a, b) for a, b in combinations(bulletins, 2) if a.template == b.template]
    assert len(pairs) >= 40
    assert len({it.template for it in bulletins}) >= 5
    assert {it.lang for it in bulletins} == {"id", "en"}
    assert {it.kind for it in items} == {"bulletin", *COPY_KINDS}


def test_no_two_bulletins_of_a_template_are_one_story_and_every_copy_is() -> None:
    items = bulletin_stream()
    bulletins = [it for it in items if it.kind == "bulletin"]
    prints = {it.key: fingerprint(it.body, it.title) for it in items}
    folded = [
        (a.key, b.key)
        for a, b in combinations(bulletins, 2)
        if a.template == b.template and same_story(prints[a.key], prints[b.key])
    ]
    assert folded == []
    apart = [
        it.key for it in items if it.kind != "bulletin" and not same_story(prints[it.group], prints[it.key])
    ]
    assert apart == []


def test_every_bulletin_alerts_once_and_every_copy_folds(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    items = bulletin_stream()
    stories = assign_stories(store, items)
    found = score(items, stories, {it.key for it in items})
    own = {it.key: stories[it.key] for it in items if it.kind == "bulletin"}
    sizes = Counter(own.values())
    alone = [key for key, story in own.items() if sizes[story] == 1]
    copies = [it for it in items if it.kind != "bulletin"]
    joined = [it.key for it in copies if stories[it.key] == own[it.group]]
    with capsys.disabled():
        print(
            f"\nbulletins: precision {found.precision:.3f} recall {found.recall:.3f} "
            f"({found.true_pairs} true pairs, {found.wrong_pairs} wrong); "
            f"bulletins in a story of their own {len(alone)}/{len(own)}, copies folded {len(joined)}/{len(copies)}"
        )
    assert len(alone) == len(own)
    assert len(joined) == len(copies)
    assert found.precision == 1.0 and found.recall == 1.0
