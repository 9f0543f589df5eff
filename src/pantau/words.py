"""Counted nouns for messages people read: "1 alert", "2 alerts", "1 delivery", "3 deliveries"."""

from __future__ import annotations

IRREGULAR = {"delivery": "deliveries", "query": "queries", "entry": "entries"}


def count(n: int, noun: str, plural: str | None = None) -> str:
    """`n noun`, the noun in its plural form unless n is 1: `plural` when given, else the last word of
    `noun` made plural ("new article" -> "new articles", "delivery" -> "deliveries")."""
    if n == 1:
        return f"{n} {noun}"
    if plural is not None:
        return f"{n} {plural}"
    head, _, last = noun.rpartition(" ")
    return f"{n} {head + ' ' if head else ''}{IRREGULAR.get(last) or last + 's'}"
