"""Flatten absurdly deep markup before it reaches the parser.

Lexbor's tree builder slows down quadratically with nesting depth (200,000 nested <div>s take minutes), so a
page with very many tags gets a cheap depth count, and tags nested deeper than any real article are dropped
(their text stays). Ordinary pages (a few thousand tags) pass through untouched. Never raises.
"""

from __future__ import annotations

import re

# Real article pages have at most a few thousand tags (the 181 AEB pages: at most ~3,200).
TAG_COUNT_TRIGGER = 10_000
# Browsers stop laying out beyond a few hundred levels; no article needs more.
MAX_DEPTH = 400

_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)[^>]*?(/?)>")
_VOID = frozenset(
    ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track",
     "wbr", "basefont", "bgsound", "frame", "keygen")
)  # fmt: skip


def limit_nesting(html: str) -> str:
    """`html` with tags below MAX_DEPTH removed; the same string when it has few tags."""
    if html.count("<") < TAG_COUNT_TRIGGER:
        return html
    pieces: list[str] = []
    depth = 0
    last = 0
    for tag in _TAG.finditer(html):
        closing, name, self_closing = tag.group(1), tag.group(2).lower(), tag.group(3)
        if name in _VOID or self_closing:
            continue
        too_deep = depth >= MAX_DEPTH if not closing else depth > MAX_DEPTH
        depth = max(depth - 1, 0) if closing else depth + 1
        if too_deep:
            pieces.append(html[last : tag.start()])
            pieces.append(" ")
            last = tag.end()
    if last == 0:
        return html
    pieces.append(html[last:])
    return "".join(pieces)
