"""Matching one article against compiled rules: the scan, the evaluation nodes and the evidence.

An article's title and body are folded and tokenised once, then scanned once by the Aho-Corasick automaton
over every word of every rule. Word occurrences become term occurrences lazily (only for terms that a
candidate rule asks about), with stream offsets, token positions and a way back to original offsets.

Pure: nothing here does I/O, reads a clock or mutates a compiled node.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from pantau.models import Hit
from pantau.rules.normalize import Folded, fold, fold_words, token_spans, tokens

EXACT, CLITIC, PREFIX, SUB = 0, 1, 2, 3
TITLE, BODY = 0, 1
FIELD_NAMES = ("title", "body")

# (field, stream start, stream end, clitic?)
WordOcc = tuple[int, int, int, bool]
# (field, first token position, last token position, stream start, stream end); positions may be -1 until
# DocContext.positioned fills them in
TermOcc = tuple[int, int, int, int, int]
# (field, first position, last position, stream start, stream end, hits); a hit is (field, start, end, label)
Span = tuple[int, int, int, int, int, tuple[tuple[int, int, int, str], ...]]


@dataclass(frozen=True)
class TermDef:
    """A term as the matcher sees it: folded words, each with the automaton word id that finds it."""

    words: tuple[str, ...]
    wids: tuple[int, ...]
    slop: int = 0
    case_words: tuple[str, ...] | None = None  # NFKC/accent-folded but not case-folded, for `!TERM`


class FieldText:
    """One text field of the article: original, folded, tokens and the space-joined stream."""

    __slots__ = ("_fspans", "_starts", "_toks", "folded", "original", "stream")

    def __init__(self, original: str) -> None:
        self.original = original
        self.folded: Folded = fold(original)
        self._toks = tokens(self.folded.text)
        self.stream = " " + " ".join(self._toks) + " "
        self._starts: list[int] | None = None
        self._fspans: list[tuple[int, int]] | None = None

    @property
    def starts(self) -> list[int]:
        """Stream offset of each token (built on first use: most articles never need positions)."""
        if self._starts is None:
            self._starts = list(accumulate((len(t) + 1 for t in self._toks), initial=1))
        return self._starts

    def pos(self, s: int) -> int:
        return bisect_right(self.starts, s) - 1

    def original_span(self, s: int, e: int) -> tuple[int, int]:
        if self._fspans is None:
            self._fspans = token_spans(self.folded.text)
        i, j = self.pos(s), self.pos(e - 1)
        fs = self._fspans[i][0] + (s - self.starts[i])
        fe = self._fspans[j][0] + (e - self.starts[j])
        return self.folded.original_span(fs, fe)


class DocContext:
    """Everything one article's evaluation needs; built per article, thrown away after."""

    def __init__(
        self, title: str, body: str, source: str, lang: str | None, automaton: Any, terms: Sequence[TermDef]
    ):
        self.fields = (FieldText(title), FieldText(body))
        self.source_original = source
        self.source = source.casefold()
        self.lang = (lang or "").casefold().split("-")[0]
        self.terms = terms
        self.words: defaultdict[int, list[WordOcc]] = defaultdict(list)
        self._term_occ: dict[int, list[TermOcc]] = {}
        self._lead_end: int | None = None
        if automaton is not None:
            self._scan(automaton)

    def _scan(self, automaton: Any) -> None:
        words = self.words
        for fi, ft in enumerate(self.fields):
            stream = ft.stream
            # An entry says where the word starts and ends relative to the key's last character;
            # fwd < 0 marks a prefix key, whose word runs on to the end of the token.
            for end, entries in automaton.iter(stream):
                for wid, back, fwd, clitic in entries:
                    e = end + fwd if fwd >= 0 else stream.find(" ", end + 1)
                    words[wid].append((fi, end - back, e, clitic))

    @property
    def lead_end(self) -> int:
        """Stream offset where the body's first paragraph ends (title plus that paragraph is the lead)."""
        if self._lead_end is None:
            body = self.fields[BODY]
            text = body.original.lstrip()
            cut = text.find("\n\n")
            if cut < 0:
                self._lead_end = len(body.stream)
            else:
                n = len(tokens(fold(text[:cut]).text))
                self._lead_end = body.starts[n] if n < len(body.starts) else len(body.stream)
        return self._lead_end

    def term_occ(self, tid: int) -> list[TermOcc]:
        occ = self._term_occ.get(tid)
        if occ is None:
            occ = self._find_term(self.terms[tid])
            self._term_occ[tid] = occ
        return occ

    def _find_term(self, term: TermDef) -> list[TermOcc]:
        first = self.words.get(term.wids[0])  # .get: never grow the defaultdict after the scan
        if not first:
            return []
        if len(term.wids) == 1:
            out = [(f, -1, -1, s, e) for f, s, e, _ in first]  # positions on demand: see `positioned`
        else:
            out = self._phrase(term, first)
        if term.case_words is not None:
            out = [o for o in out if self._case_ok(o, term.case_words)]
        return out

    def positioned(self, occ: TermOcc) -> TermOcc:
        if occ[1] >= 0:
            return occ
        p = self.fields[occ[0]].pos(occ[3])
        return (occ[0], p, p, occ[3], occ[4])

    def _phrase(self, term: TermDef, first: list[WordOcc]) -> list[TermOcc]:
        rest: list[dict[tuple[int, int], WordOcc]] = []
        for wid in term.wids[1:]:
            occs = self.words.get(wid)
            if not occs:
                return []
            table: dict[tuple[int, int], WordOcc] = {}
            for o in occs:
                table.setdefault((o[0], self.fields[o[0]].pos(o[1])), o)
            rest.append(table)
        out: list[TermOcc] = []
        last = len(rest) - 1
        for f, s, e, clitic in first:
            if clitic:
                continue
            p0 = cur = self.fields[f].pos(s)
            budget, end, ok = term.slop, e, True
            for i, table in enumerate(rest):
                for p in range(cur + 1, cur + 2 + budget):
                    hit = table.get((f, p))
                    if hit is not None and (i == last or not hit[3]):
                        budget -= p - cur - 1
                        cur, end = p, hit[2]
                        break
                else:
                    ok = False
                    break
            if ok:
                out.append((f, p0, cur, s, end))
        return out

    def _case_ok(self, occ: TermOcc, case_words: tuple[str, ...]) -> bool:
        ft = self.fields[occ[0]]
        a, b = ft.original_span(occ[3], occ[4])
        want = iter(case_words)
        need = next(want)
        for tok in fold_words(ft.original[a:b], casefold=False):
            if tok.startswith(need) or (len(case_words) == 1 and need in tok):
                nxt = next(want, None)
                if nxt is None:
                    return True
                need = nxt
        return False

    def in_field(self, field: str | None, f: int, s: int) -> bool:
        if field is None:
            return True
        if field == "lead":
            return f == TITLE or s < self.lead_end
        return FIELD_NAMES[f] == field

    def hit(self, f: int, s: int, e: int, label: str) -> Hit:
        ft = self.fields[f]
        a, b = ft.original_span(s, e)
        return Hit(term=label, field=FIELD_NAMES[f], start=a, end=b, text=ft.original[a:b])
