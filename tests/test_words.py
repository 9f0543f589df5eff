"""Counted nouns read right: "1 new article, 1 alert", never "1 new articles, 1 alerts"."""

from __future__ import annotations

import pytest

from pantau.words import count


@pytest.mark.parametrize(
    ("n", "noun", "plural", "said"),
    [
        (1, "new article", None, "1 new article"),
        (2, "new article", None, "2 new articles"),
        (0, "alert", None, "0 alerts"),
        (1, "delivery", None, "1 delivery"),
        (3, "delivery", None, "3 deliveries"),
        (2, "given-up delivery", "given-up deliveries", "2 given-up deliveries"),
        (1, "attempt", None, "1 attempt"),
    ],
)
def test_count(n: int, noun: str, plural: str | None, said: str) -> None:
    assert count(n, noun, plural) == said
