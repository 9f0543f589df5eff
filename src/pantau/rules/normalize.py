"""Text folding and tokenising shared by queries and articles, so both sides compare alike.

`fold` drops invisible format characters (soft hyphens, zero-width spaces: pantau.invisible), applies
Unicode NFKC (full-width Latin and half-width kana become ordinary forms), case folding and accent folding,
and keeps a map back to the original offsets. `tokens` splits folded text into words: runs of
letters/digits for spaced scripts (hyphens, apostrophes and other punctuation are boundaries) and runs of
no-space script (CJK, kana, Hangul, Thai …) as separate tokens, inside which terms match as substrings.

This module must never lose the way back to the original text: hits are reported in original offsets.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

from pantau.invisible import drop_format

_NS_RANGES = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1100-\u11ff"  # Hangul jamo
    "\u1780-\u17ff"  # Khmer
    "\u3005-\u3007"  # 々 〆 〇
    "\u3040-\u30ff"  # Hiragana, Katakana (with voicing marks and ー)
    "\u3130-\u318f"  # Hangul compatibility jamo
    "\u31f0-\u31ff"
    "\u3400-\u4dbf"
    "\u4e00-\u9fff"
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"
)


def _mark_class() -> str:
    """Combining marks of the BMP as a regex class body: they belong to the word they sit on."""
    ranges: list[tuple[int, int]] = []
    for cp in range(0x300, 0x10000):
        if unicodedata.category(chr(cp))[0] == "M":
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "".join(f"\\u{a:04x}-\\u{b:04x}" if a != b else f"\\u{a:04x}" for a, b in ranges)


_NS_CLASS = f"[{_NS_RANGES}]"


@lru_cache(maxsize=1)
def token_re() -> re.Pattern[str]:
    """A spaced-script word: word characters minus underscore and no-space scripts, plus combining marks.
    One capturing group, so that `split` returns separators and tokens alternately. Built on first use
    (~20 ms): ASCII text, the common case and every command's start-up, never needs it."""
    return re.compile(f"({_NS_CLASS}+|(?:[^\\W_{_NS_RANGES}]|[{_mark_class()}])+)")


_ASCII_TOKEN_RE = re.compile(r"([A-Za-z0-9]+)")
_NS_CHAR_RE = re.compile(_NS_CLASS)
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]+")
_ACCENTS_RE = re.compile("[\u0300-\u036f]")


def is_no_space(word: str) -> bool:
    """True when the word is written in a script without spaces (matched as a substring)."""
    return bool(_NS_CHAR_RE.match(word))


@lru_cache(maxsize=65536)
def fold_run(text: str, casefold: bool = True) -> str:
    """Format characters dropped, then NFKC, case and accent folding of a short piece of text; kana
    voicing marks stay composed."""
    text = unicodedata.normalize("NFKC", drop_format(text))
    if casefold:
        text = text.casefold()
    text = unicodedata.normalize("NFC", _ACCENTS_RE.sub("", unicodedata.normalize("NFD", text)))
    # Non-ASCII punctuation, symbols and spaces are word boundaries anyway; as ASCII spaces they let the
    # common case (Latin text with curly quotes and dashes) take the fast ASCII tokenizer.
    return "".join(" " if c > "\x7f" and unicodedata.category(c)[0] in "PZS" else c for c in text)


@dataclass(frozen=True)
class Folded:
    """Folded text plus the segments that map it back to the original.

    `segments` holds (folded_start, original_start, folded_len, original_len); a segment whose lengths are
    equal maps character by character, any other maps every folded character to the whole original piece.
    None means the mapping is the identity.
    """

    text: str
    segments: tuple[tuple[int, int, int, int], ...] | None

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) for a folded [start, end) with end > start."""
        if self.segments is None:
            return start, end
        return self._orig(start, False), self._orig(end - 1, True)

    def _orig(self, pos: int, end: bool) -> int:
        i = bisect_right(self.segments, (pos, 1 << 62)) - 1  # type: ignore[arg-type]
        fstart, ostart, flen, olen = self.segments[i]  # type: ignore[index]
        if flen == olen:
            return ostart + (pos - fstart) + (1 if end else 0)
        return ostart + olen if end else ostart


# Non-ASCII punctuation and spaces common in Latin-script news: each is a word boundary, so it may become
# one ASCII space without changing any offset. Text with no other non-ASCII character skips the slow path.
_COMMON_PUNCT_RE = re.compile("[\u00a0\u00ab\u00bb\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u2022]")


def fold(text: str) -> Folded:
    if text.isascii():
        return Folded(text.lower(), None)
    plain = _COMMON_PUNCT_RE.sub(" ", text)
    if plain.isascii():
        return Folded(plain.lower(), None)
    pieces: list[str] = []
    segments: list[tuple[int, int, int, int]] = []
    identity = True
    pos = fpos = 0
    for m in _NON_ASCII_RE.finditer(text):
        a, b = m.span()
        if a > pos:
            pieces.append(text[pos:a].lower())
            segments.append((fpos, pos, a - pos, a - pos))
            fpos += a - pos
        run = m.group()
        folded = fold_run(run)
        pieces.append(folded)
        if len(folded) == len(run):
            segments.append((fpos, a, len(run), len(run)))
        else:
            identity = False
            _map_run(run, a, fpos, folded, segments)
        fpos += len(folded)
        pos = b
    if pos < len(text):
        pieces.append(text[pos:].lower())
        segments.append((fpos, pos, len(text) - pos, len(text) - pos))
    joined = "".join(pieces)
    return Folded(joined, None if identity else tuple(s for s in segments if s[2] > 0))


def _map_run(run: str, start: int, fpos: int, folded: str, out: list[tuple[int, int, int, int]]) -> None:
    parts = [fold_run(ch) for ch in run]
    if sum(map(len, parts)) != len(folded) or "".join(parts) != folded:
        out.append((fpos, start, len(folded), len(run)))  # context-dependent folding: map coarsely
        return
    for i, part in enumerate(parts):
        out.append((fpos, start + i, len(part), 1))
        fpos += len(part)


def _token_re(text: str) -> re.Pattern[str]:
    return _ASCII_TOKEN_RE if text.isascii() else token_re()


def tokens(folded: str) -> list[str]:
    return _token_re(folded).findall(folded)


def token_starts(folded: str) -> list[int]:
    """Start offset of each token in the folded text (C-speed: split, then running sums of lengths)."""
    parts = _token_re(folded).split(folded)  # [gap, token, gap, token, …, gap]
    return list(accumulate(map(len, parts), initial=0))[1::2]


def fold_words(text: str, casefold: bool = True) -> list[str]:
    """A query term as the words it must match; adjacent no-space-script words are one run."""
    words: list[str] = []
    folded = fold_run(text, casefold)
    for tok in _token_re(folded).findall(folded):
        if words and is_no_space(tok) and is_no_space(words[-1]):
            words[-1] += tok
        else:
            words.append(tok)
    return words
