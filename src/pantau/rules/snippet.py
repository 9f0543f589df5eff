"""The evidence line of a match: the sentence with the best hit, hits marked «like this», ~240 characters.

The sentence comes from the body when the body has a hit, else from the title. "Best" is the sentence with
the most distinct matched terms (then the earliest). Pure string work; must never change the hits.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from pantau.models import Hit

MAX_LEN = 240
# A Latin full stop ends a sentence only before whitespace (so 3.5 and example.org stay whole).
# A blank line (paragraph break) always ends one; a single line break is just wrapping.
# Opening with a character class lets the regex engine scan for candidate characters at C speed (a lookahead
# there took 1.6 times as long); the lookbehinds pick the branch that the first character starts. Group 1 or 2
# ends the sentence; the blank-line branch ends it where the match starts.
_SENTENCE_END = re.compile(
    r"[.!?。！？\n](?:(?<=[.!?])([.!?]*[\"”’)\]]*)(?:\s+|$)|(?<=[。！？])([。！？]*)|(?<=\n)\s*\n\s*)"
)


def sentences(text: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        group = m.lastindex
        end = m.end(group) if group else m.start()
        if end > start:
            out.append((start, end))
        start = m.end()
    if start < len(text):
        out.append((start, len(text)))
    return out


SentenceCache = dict[str, tuple[list[tuple[int, int]], list[int]]]


def make_snippet(title: str, body: str, hits: list[Hit], cache: SentenceCache) -> str:
    """`cache` keeps each field's sentence spans across the matches of one article."""
    field = "body" if any(h.field == "body" for h in hits) else "title"
    field_hits = [h for h in hits if h.field == field]
    if not field_hits:
        return _trim(" ".join(title.split()), 0)
    text = body if field == "body" else title
    cached = cache.get(field)
    if cached is None:
        spans = sentences(text)
        cached = cache[field] = (spans, [a for a, _ in spans])
    spans, starts = cached
    terms: dict[int, set[str]] = {}
    for h in field_hits:
        i = bisect_right(starts, h.start) - 1
        if i >= 0 and h.end <= spans[i][1]:
            terms.setdefault(i, set()).add(h.term)
    if terms:
        best = min(terms, key=lambda i: (-len(terms[i]), i))
        a, b = spans[best]
    else:  # a hit that spans a sentence break: show its surroundings
        h = field_hits[0]
        a, b = max(0, h.start - 100), min(len(text), h.end + 100)
    return _mark(text, a, b, field_hits)


def _mark(text: str, a: int, b: int, hits: list[Hit]) -> str:
    spans = sorted((max(h.start, a), min(h.end, b)) for h in hits if h.start < b and h.end > a)
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    parts, pos = [], a
    for s, e in merged:
        parts.append(text[pos:s])
        parts.append(f"«{text[s:e]}»")
        pos = e
    parts.append(text[pos:b])
    raw = "".join(parts)
    out = " ".join(raw.split())  # collapse whitespace (C-speed)
    return _trim(out, out.find("«"))


def _trim(text: str, focus: int) -> str:
    if len(text) <= MAX_LEN:
        return text
    start = max(0, min(focus - MAX_LEN // 3, len(text) - MAX_LEN))
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < focus else start
    end = start + MAX_LEN
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > focus else end
    if text.count("«", start, end) > text.count("»", start, end):
        end = text.find("»", end) + 1  # never cut a marked hit in half
    return ("…" if start > 0 else "") + text[start:end].strip() + ("…" if end < len(text) else "")
