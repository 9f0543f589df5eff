"""One article as the rules see it: the single scan, and term occurrences worked out on demand.

An article's title and body are folded once and scanned once by the Aho-Corasick automaton over every word
of every rule (DocContext). Word occurrences become term occurrences lazily, only for terms that a candidate
rule asks about, with stream offsets, token positions (also lazy) and a way back to original offsets.

Pure: nothing here does I/O, reads a clock or touches compiled state; a DocContext lives for one article.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, compress, repeat
from operator import add, itemgetter
from typing import Any

from pantau.models import Hit
from pantau.rules.normalize import Folded, fold, fold_words, token_starts, tokens

EXACT, PREFIX, SUB = 0, 2, 3  # how a rule word is keyed: whole word, prefix, substring
_second = itemgetter(1)
_ASCII_SEPARATORS = {i: " " for i in range(128) if not chr(i).isalnum()}
CLITICS = ("nya", "lah", "kah", "pun", "ku", "mu")
TITLE, BODY = 0, 1
FIELD_NAMES = ("title", "body")

# (field, stream start, stream end, clitic?)
WordOcc = tuple[int, int, int, bool]
# (field, stream start, stream end)
TermOcc = tuple[int, int, int]
# (field, stream start, stream end, hits); a hit is (field, start, end, label)
Span = tuple[int, int, int, tuple[tuple[int, int, int, str], ...]]


@dataclass(frozen=True, slots=True)
class TermDef:
    """A term as the matcher sees it: folded words, each with the automaton word id that finds it."""

    words: tuple[str, ...]
    wids: tuple[int, ...]
    slop: int = 0
    case_words: tuple[str, ...] | None = None  # NFKC/accent-folded but not case-folded, for `!TERM`


class FieldText:
    """One text field of the article: original, folded, and the stream the automaton scans.

    In the stream every token has a space on each side, so whole-word keys (" nato ") enforce word
    boundaries. Folded text that is all ASCII (most Latin-script news) keeps its offsets: each non-word
    character becomes a space (one C-speed translate). Other text is re-joined from its tokens, so that a
    no-space-script run and a Latin word that touch (NATO軍) become separate tokens.
    """

    __slots__ = ("_fspans", "_identity", "_starts", "_toks", "folded", "original", "plain", "stream")

    def __init__(self, original: str) -> None:
        self.original = original
        self.folded: Folded = fold(original)
        text = self.folded.text
        self._identity = text.isascii()
        self._toks: list[str] = []
        if self._identity:
            self.stream = " " + text.translate(_ASCII_SEPARATORS) + " "
        else:
            self._toks = tokens(text)
            self.stream = " " + " ".join(self._toks) + " "
        self.plain = self._identity and self.folded.segments is None
        self._starts: list[int] | None = None
        self._fspans: list[int] | None = None

    @property
    def starts(self) -> list[int]:
        """Stream offset of each token (built on first use: most articles never need positions)."""
        if self._starts is None:
            # map/accumulate/compress keep this at C speed.
            if self._identity:
                parts = self.stream.split(" ")
                offsets = accumulate(map(add, map(len, parts), repeat(1)), initial=0)
                self._starts = list(compress(offsets, parts))
            else:
                self._starts = list(accumulate(map(add, map(len, self._toks), repeat(1)), initial=1))
        return self._starts

    def pos(self, s: int) -> int:
        return bisect_right(self._starts or self.starts, s) - 1

    def original_span(self, s: int, e: int) -> tuple[int, int]:
        if self._identity:
            return self.folded.original_span(s - 1, e - 1)
        if self._fspans is None:
            self._fspans = token_starts(self.folded.text)
        i, j = self.pos(s), self.pos(e - 1)
        fs = self._fspans[i] + (s - self.starts[i])
        fe = self._fspans[j] + (e - self.starts[j])
        return self.folded.original_span(fs, fe)


@dataclass(frozen=True)
class Scanner:
    """The compiled automaton and what each of its keys means.

    The automaton's value for a key is the key id. `key_entries[kid]` lists (word id, back, fwd):
    the word starts at `key end - back` and ends at `key end + fwd` (fwd < 0: a prefix key, whose word runs
    on to the end of the token). `word_keys[wid]` lists the keys that can find a word.
    """

    automaton: Any
    key_entries: tuple[tuple[tuple[int, int, int], ...], ...]
    word_keys: tuple[tuple[int, ...], ...]
    exact_words: Mapping[str, int] = field(default_factory=dict)  # word -> key id of " word "
    first_clitic_key: int = 0  # key ids from here on are "nya ", "lah " … in CLITICS order


class DocContext:
    """Everything one article's evaluation needs; built per article, thrown away after."""

    def __init__(
        self,
        title: str,
        body: str,
        source: str,
        lang: str | None,
        scanner: Scanner | None,
        terms: Sequence[TermDef],
        *,
        fields: tuple[FieldText, FieldText] | None = None,  # the title's and the body's, when made already
    ):
        self.fields = fields or (FieldText(title), FieldText(body))
        # Both fields' stream offsets are original offsets plus one (most Latin-script news).
        self.plain = all(ft.plain for ft in self.fields)
        self.source_original = source
        self.source = source.casefold()
        self.lang = (lang or "").casefold().split("-")[0]
        self.terms = terms
        self.scanner = scanner
        # The scan keeps the automaton's raw output; occurrences are worked out only for words that a
        # candidate rule asks about, which is a small share of the words seen.
        self._by_key: list[tuple[list[tuple[int, int]], list[int]]] = []
        self._clitic: list[dict[int, list[tuple[int, int]]]] = []  # per field: word key -> (start, end)
        self.seen: set[int] = set()
        self.seen_in: tuple[set[int], set[int]] = (set(), set())  # the keys seen in the title, in the body
        if scanner is not None and scanner.automaton is not None:
            self._scan(scanner)
        self._words: dict[int, list[WordOcc]] = {}
        self._term_occ: dict[int, list[TermOcc]] = {}
        self._lead_end: int | None = None
        self._hits: dict[tuple[int, int, int, str], Hit] = {}  # rules that share a term share its hits

    def _scan(self, scanner: Scanner) -> None:
        iterate, first_clitic, exact = scanner.automaton.iter, scanner.first_clitic_key, scanner.exact_words
        for ft, seen in zip(self.fields, self.seen_in, strict=True):
            stream = ft.stream
            # Raw hits sorted by key id (C speed): later lookups of one key's hits are a bisect.
            ordered = sorted(iterate(stream), key=_second)
            kids = list(map(_second, ordered))
            hits: dict[int, list[tuple[int, int]]] = {}
            # Indonesian clitics (Ukrainanya, Jepangpun): the automaton also reports every token ending
            # in "nya ", "pun " … (the highest key ids); the rest of such a token is looked up as a whole
            # word. Keeping clitic forms out of the automaton keeps it small enough to stay in the CPU cache.
            cut = bisect_left(kids, first_clitic)
            for end, kid in ordered[cut:]:
                n = len(CLITICS[kid - first_clitic])
                start = stream.rfind(" ", 0, end - n) + 1
                word_kid = exact.get(stream[start : end - n])
                if word_kid is not None:
                    hits.setdefault(word_kid, []).append((start, end))
                    seen.add(word_kid)
            self._by_key.append((ordered, kids))
            self._clitic.append(hits)
            seen.update(kids)
            self.seen |= seen

    def _key_hits(self, fi: int, kid: int) -> list[tuple[int, int]]:
        """The raw (end, key) hits of one key in one field."""
        ordered, kids = self._by_key[fi]
        lo = bisect_left(kids, kid)
        return ordered[lo : bisect_right(kids, kid, lo)]

    def word_occ(self, wid: int) -> list[WordOcc]:
        occ = self._words.get(wid)
        if occ is not None:
            return occ
        occ = self._words[wid] = []
        if self.scanner is None:
            return occ
        entries, clitics = self.scanner.key_entries, False
        for kid in self.scanner.word_keys[wid]:
            for fi, seen in enumerate(self.seen_in):
                if kid not in seen:
                    continue
                for w, back, fwd in entries[kid]:
                    if w != wid:
                        continue
                    if fwd == 0:  # a whole word (the common case)
                        occ += [(fi, end - back, end, False) for end, _ in self._key_hits(fi, kid)]
                        more = self._clitic[fi].get(kid)
                        if more:
                            occ += [(fi, s, e, True) for s, e in more]
                            clitics = True
                    else:
                        find = self.fields[fi].stream.find
                        for end, _ in self._key_hits(fi, kid):
                            e = end + fwd if fwd > 0 else find(" ", end + 1)
                            occ.append((fi, end - back, e, False))
        if clitics or len(self.scanner.word_keys[wid]) > 1:
            occ.sort()  # otherwise already in order: one key's hits, title first, each field's by offset
        return occ

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
        first = self.word_occ(term.wids[0])
        if not first:
            return []
        out = [(f, s, e) for f, s, e, _ in first] if len(term.wids) == 1 else self._phrase(term, first)
        if term.case_words is not None:
            out = [o for o in out if self._case_ok(o, term.case_words)]
        return out

    def between(self, f: int, e: int, s: int) -> int:
        """Whole words between a hit that ends at `e` and a later one that starts at `s` in field `f`; -1 when
        both sit in one token (substrings of a no-space-script run). Counted on the stream slice, so
        articles that never ask need no token positions at all."""
        stream = self.fields[f].stream
        te = stream.find(" ", e)
        if te >= s:
            return -1
        return len(stream[te : stream.rfind(" ", 0, s) + 1].split())

    def words(self, f: int, s: int, e: int) -> int:
        """Words (whole or partial tokens) in the stream slice [s, e) of field `f`."""
        return len(self.fields[f].stream[s:e].split())

    def _phrase(self, term: TermDef, first: list[WordOcc]) -> list[TermOcc]:
        rest = [self.word_occ(wid) for wid in term.wids[1:]]
        if not all(rest):
            return []
        out: list[TermOcc] = []
        last = len(rest) - 1
        for f, s, e, clitic in first:
            if clitic:
                continue  # a clitic ends the word: "NATOnya Jepang" is not the phrase "NATO Jepang"
            budget, end, ok = term.slop, e, True
            for i, occs in enumerate(rest):
                j = bisect_left(occs, (f, end + 1))
                while j < len(occs) and occs[j][0] == f:
                    gap = self.between(f, end, occs[j][1])
                    if gap > budget:
                        ok = False
                        break
                    if gap >= 0 and (i == last or not occs[j][3]):
                        budget -= gap
                        end = occs[j][2]
                        break
                    j += 1
                else:
                    ok = False
                if not ok:
                    break
            if ok:
                out.append((f, s, end))
        return out

    def _case_ok(self, occ: TermOcc, case_words: tuple[str, ...]) -> bool:
        ft = self.fields[occ[0]]
        a, b = ft.original_span(occ[1], occ[2])
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

    def hit_of(self, ref: tuple[int, int, int, str]) -> Hit:
        """The hit for (field, stream start, stream end, label); made once per article."""
        hit = self._hits.get(ref)
        if hit is None:
            hit = self._hits[ref] = self._make_hit(*ref)
        return hit

    def _make_hit(self, f: int, s: int, e: int, label: str) -> Hit:
        ft = self.fields[f]
        a, b = (s - 1, e - 1) if ft.plain else ft.original_span(s, e)
        return Hit(term=label, field=FIELD_NAMES[f], start=a, end=b, text=ft.original[a:b])
