"""Same story or not, measured on the labelled set (story_corpus.py): the issue's thresholds must hold.

The whole stream goes through the store's story index (SQLite and PostgreSQL) exactly as the pipeline
sends it: fingerprint, then place_article (the story lookup within the window and the write).
"""

from __future__ import annotations

import pytest
from story_corpus import MONOLINGUAL, labelled_stream
from story_eval import assign_stories, score

from pantau.store import Store

MIN_PRECISION = 0.98
MIN_RECALL = 0.90


def test_labelled_set_has_what_the_issue_asks_for() -> None:
    items = labelled_stream()
    groups = {it.group for it in items if it.kind == "original"}
    copies = {g: sum(1 for it in items if it.group == g and it.kind != "original") for g in groups}
    assert len(groups) >= 40
    assert min(copies.values()) >= 2 and max(copies.values()) <= 5
    assert sum(1 for it in items if it.kind == "unrelated") >= 200
    assert {it.kind for it in items} >= {*MONOLINGUAL, "id-rewrite", "related", "refigured"}


def test_same_story_precision_and_recall(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    items = labelled_stream()
    stories = assign_stories(store, items)
    english = {it.key for it in items if it.lang == "en"}
    mono = score(items, stories, english)
    everything = score(items, stories, {it.key for it in items})
    original = {it.group: stories[it.key] for it in items if it.kind == "original"}
    joined = {
        kind: [stories[it.key] == original[it.group] for it in items if it.kind == kind]
        for kind in (*MONOLINGUAL, "id-rewrite")
    }
    with capsys.disabled():
        print(
            f"\nstories: monolingual precision {mono.precision:.3f} recall {mono.recall:.3f} "
            f"({mono.true_pairs} true pairs, {mono.wrong_pairs} wrong); with Indonesian rewrites precision "
            f"{everything.precision:.3f} recall {everything.recall:.3f}; joined their original: "
            + ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in joined.items())
        )
    assert mono.precision >= MIN_PRECISION
    assert mono.recall >= MIN_RECALL
    for kind in MONOLINGUAL:
        assert sum(joined[kind]) / len(joined[kind]) >= MIN_RECALL, kind
    # a later story that reuses a background paragraph, or a template filled with new figures, is a story
    # of its own
    related = [it for it in items if it.kind in ("related", "refigured")]
    assert related and all(it.resembles in original for it in related)
    assert all(stories[it.key] != original[it.resembles] for it in related)
    assert all(sum(1 for v in stories.values() if v == stories[it.key]) == 1 for it in related)
    # cross-language (stretch): linking an Indonesian rewrite to the wire story must never be wrong
    assert everything.precision >= MIN_PRECISION
    assert sum(joined["id-rewrite"]) >= 6  # of 7 (5 before exonyms and the "lapor Yonhap" credit)
