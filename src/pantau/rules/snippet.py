"""The evidence line of a match: the sentence with the best hit, hits marked «like this», ~240 characters.

The sentence comes from the body when the body has a hit, else from the title. "Best" is the sentence with
the most distinct matched terms (then the earliest). Pure string work; must never change the hits.
"""

from __future__ import annotations

import re

from pantau.models import Hit

MAX_LEN = 240
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|\n\s*|(?<=[。！？])")
_SPACES = re.compile(r"\s+")


def sentences(text: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > start:
            out.append((start, m.start()))
        start = m.end()
    if start < len(text):
        out.append((start, len(text)))
    return out


def make_snippet(title: str, body: str, hits: list[Hit]) -> str:
    body_hits = [h for h in hits if h.field == "body"]
    title_hits = [h for h in hits if h.field == "title"]
    text, field_hits = (body, body_hits) if body_hits else (title, title_hits)
    if not field_hits:
        return _trim(_SPACES.sub(" ", title).strip(), 0)
    best: tuple[int, int, int] | None = None
    best_key: tuple[int, int] = (0, 0)
    for a, b in sentences(text):
        inside = {h.term for h in field_hits if a <= h.start and h.end <= b}
        key = (len(inside), -a)
        if inside and (best is None or key > best_key):
            best, best_key = (a, b, len(inside)), key
    if best is None:  # a hit that spans a sentence break: show its surroundings
        h = field_hits[0]
        best = (max(0, h.start - 100), min(len(text), h.end + 100), 1)
    return _mark(text, best[0], best[1], field_hits)


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
    out = _SPACES.sub(" ", raw).strip()
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
