"""Counted nouns for messages people read: "1 alert", "2 alerts", "1 delivery", "3 deliveries"."""

from __future__ import annotations

IRREGULAR = {"delivery": "deliveries", "query": "queries", "entry": "entries"}


def count(n: int, noun: str, plural: str | None = None) -> str:
    """`n noun`, the noun in its plural form unless n is 1. The last word of `noun` is the one that
    changes ("new article" -> "new articles")."""
    if n == 1:
        return f"{n} {noun}"
    head, _, last = noun.rpartition(" ")
    many = plural or IRREGULAR.get(last) or last + "s"
    return f"{n} {head + ' ' if head else ''}{many}"
