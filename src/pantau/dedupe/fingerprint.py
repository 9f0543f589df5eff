"""Text fingerprints: what an article's words look like to the story index.

A fingerprint holds three things about an article body:
- `exact`: a hash of the normalised words, the same for copies that differ only in case, punctuation,
  spacing or Unicode spelling (the cheap path);
- `signature`: a MinHash of the body's 5-word shingles (128 values), from which the Jaccard similarity and
  the containment of one text in another can be estimated (wrapped, trimmed and lightly edited copies);
- `bands`: the first `BANDS` signature values as integer keys for the store's index (one row each), so
  candidates are found by exact lookups instead of comparing against every stored article; more bands
  find more trimmed copies but each is a row written per article;
- `entities`: numbers and capitalised names, for linking an Indonesian rewrite to the English wire story it
  cites (numbers and proper nouns survive translation; sentences do not), and for telling a copy from a
  bulletin filled in again from one template (the same words, other figures and places); the title's own
  figures and names are kept apart (marked `^`), since a headline names what makes a bulletin news.

MinHash is computed with numpy (multiply-shift hashing over 64-bit shingle hashes, in dedupe.minhash) rather
than datasketch: the same estimate, about 2x faster per article including normalisation (benchmarks/dedupe.py
measures both). Hashes are stable across processes and machines (crc32 and fixed constants, never Python's
salted `hash()`), because signatures are stored and compared across restarts. Only computing a signature
needs numpy, and it is loaded then: comparing signatures and reading their band keys is plain Python, so
pantau's main process, which only places articles in stories, never loads it (a tenth of a second of CPU).

Pure functions: no I/O, no clock, never an exception for any text.
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from pantau.invisible import drop_format

__all__ = ["BANDS", "PERMUTATIONS", "SHINGLE", "Fingerprint", "containments", "fingerprint", "similarity"]

SHINGLE = 5  # words per shingle: long enough that unrelated texts share almost none
PERMUTATIONS = 128  # signature length: the Jaccard estimate's standard error is at most ~0.045
BANDS = 16  # one-value bands: a copy sharing 18% of its shingles is still a candidate 96% of the time

_BAND_VALUES = struct.Struct(f"<{BANDS}I")  # the first BANDS values of a signature
_WORD = re.compile(r"\w+")
# In ASCII text `\w` is [A-Za-z0-9_]: with every other character turned into a space, split() finds the words.
_ASCII_NON_WORD = str.maketrans({c: " " for c in map(chr, range(128)) if not (c.isalnum() or c == "_")})
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"[A-Z][^\W\d_]+")
_MAX_ENTITIES = 60
_MAX_TITLE_ENTITIES = 12
TITLE_MARK = "^"  # entities of the title alone carry this prefix (stored in the same text column)
_WORD_CACHE = 200_000  # words whose crc32 is remembered (a news vocabulary fits; ~20 MB at most)
_WORD_HASHES: dict[str, int] = {}
_NAME_KEYS: dict[str, str] = {}  # a capitalised word -> its entity, or "" for none (a memo, as _WORD_HASHES)
# Capitalised words that start sentences or name dates in either language: not names of anything.
_NOT_NAMES_TEXT = """the a an in on at it its he she they this that these after before but and as for of by with from
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december senin selasa rabu kamis jumat sabtu minggu januari februari
    maret mei juni juli agustus oktober desember di ke dari dan ia ini itu pada dalam menurut sejak
    setelah namun
    president presiden minister menteri prime perdana ministry kementerian foreign luar negeri secretary
    sekretaris general jenderal wakil deputy governor gubernur pemerintah government officials pejabat
    kata said para sebanyak sekitar lebih hingga sementara selain namun tersebut seperti melansir dilansir
    dikutip mengutip lapor kepala pusat badan about more than"""
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())
# Names that Indonesian (and English) write in other words: each is read as its English form, so that a
# rewrite shares names with the wire story it translates ("Kiev" -> "Kyiv", "Korea Selatan" -> "South Korea").
_EXONYM_PHRASES = {
    "Amerika Serikat": "United States", "Korea Selatan": "South Korea", "Korea Utara": "North Korea",
    "Selandia Baru": "New Zealand", "Arab Saudi": "Saudi Arabia", "Uni Emirat Arab": "United Arab Emirates",
    "Uni Eropa": "European Union", "Laut China Selatan": "South China Sea", "Laut Cina Selatan": "South China Sea",
    "Laut Hitam": "Black Sea", "Laut Merah": "Red Sea", "Laut Baltik": "Baltic Sea", "Timor Leste": "Timor-Leste",
    "Perserikatan Bangsa-Bangsa": "United Nations", "Dewan Keamanan": "Security Council",
    "Gedung Putih": "White House", "Asia Tenggara": "Southeast Asia", "Selat Taiwan": "Taiwan Strait",
}  # fmt: skip
# Names are capitalised, so the phrases are matched as written. Most texts hold none of their first words:
# a phrase can match only where its first word is one of the text's names (one capital, then letters, after
# a non-word character), so the pattern runs over the text only when one of them is.
_EXONYM_RE = re.compile(r"\b(?:" + "|".join(map(re.escape, _EXONYM_PHRASES)) + r")\b")
_EXONYM_STARTS = frozenset(phrase.split()[0] for phrase in _EXONYM_PHRASES)
_EXONYMS = {
    "jepang": "japan", "japanese": "japan", "ukraina": "ukraine", "ukrainian": "ukraine", "kiev": "kyiv",
    "rusia": "russia", "russian": "russia", "tiongkok": "china", "cina": "china", "chinese": "china",
    "filipina": "philippines", "philippine": "philippines", "filipino": "philippines", "singapura": "singapore",
    "belanda": "netherlands", "jerman": "germany", "prancis": "france", "perancis": "france",
    "inggris": "britain", "british": "britain", "italia": "italy", "spanyol": "spain", "turki": "turkey",
    "mesir": "egypt", "moskow": "moscow", "brussel": "brussels", "kamboja": "cambodia", "polandia": "poland",
    "swedia": "sweden", "finlandia": "finland", "norwegia": "norway", "yunani": "greece", "kanada": "canada",
    "meksiko": "mexico", "wina": "vienna", "korean": "korea", "australian": "australia",
    "indonesian": "indonesia", "malaysian": "malaysia", "zelensky": "zelenskyy", "zelenskiy": "zelenskyy",
    "pbb": "un", "ktt": "summit",
}  # fmt: skip


@dataclass(frozen=True)
class Fingerprint:
    exact: str  # 16 hex digits; "" when the text has no words
    signature: bytes  # PERMUTATIONS little-endian uint32 values; b"" when the text has no words
    size: int  # number of distinct shingles
    entities: tuple[str, ...] = ()  # sorted numbers and names, casefolded

    @property
    def figures(self) -> frozenset[str]:
        """The numbers in the body, digits only ("1,300" and "1.300" are both "1300")."""
        return frozenset(e for e in self.entities if e[0].isdigit())

    @property
    def names(self) -> frozenset[str]:
        """Capitalised words of the title and body, casefolded, exonyms in their English form."""
        return frozenset(e for e in self.entities if not e[0].isdigit() and e[0] != TITLE_MARK)

    @property
    def title_entities(self) -> frozenset[str]:
        """The title's own figures and names (empty for fingerprints stored before titles were kept)."""
        return frozenset(e[1:] for e in self.entities if e[0] == TITLE_MARK)

    @property
    def bands(self) -> tuple[int, ...]:
        """Index keys: band number in the high bits, one signature value in the low 32 (fits a BIGINT)."""
        if not self.signature:
            return ()
        return tuple((i << 32) | v for i, v in enumerate(_BAND_VALUES.unpack_from(self.signature)))


def words(text: str) -> list[str]:
    """Casefolded words without accents or width differences: `İstanbul`, `ＮＡＴＯ` → `istanbul`, `nato`."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if folded.isascii():
        return folded.translate(_ASCII_NON_WORD).split()  # as _WORD.findall, in a third of the time
    folded = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    return _WORD.findall(folded)


def fingerprint(body: str, title: str = "") -> Fingerprint:
    """The fingerprint of an article body (the title is used only when the body has too few words).
    Invisible format characters ("NA\u00adTO") are dropped first: copies differing only in them are equal."""
    body, title = drop_format(body), drop_format(title)
    tokens = words(body)
    if len(tokens) < SHINGLE:
        tokens = words(title) + tokens
    entities = _entities(body, title)
    if not tokens:
        return Fingerprint("", b"", 0, entities)
    exact = hashlib.blake2b(" ".join(tokens).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    from pantau.dedupe.minhash import signature  # numpy: loaded by whatever computes signatures, only

    found = list(map(_WORD_HASHES.get, tokens))
    if None in found:
        known = [_word_hash(t) if h is None else h for t, h in zip(tokens, found, strict=True)]
    else:
        known = cast(list[int], found)  # every word's hash was remembered
    values, distinct = signature(known)
    return Fingerprint(exact, values, distinct, entities)


def _word_hash(word: str) -> int:
    found = _WORD_HASHES.get(word)
    if found is None:
        if len(_WORD_HASHES) >= _WORD_CACHE:
            _WORD_HASHES.clear()  # a memo, not state: any word hashes the same with or without it
        found = _WORD_HASHES[word] = zlib.crc32(word.encode("utf-8", "surrogatepass"))
    return found


def similarity(a: Fingerprint, b: Fingerprint) -> tuple[float, float]:
    """(estimated Jaccard, estimated containment of the smaller text in the larger), both 0..1."""
    if not a.signature or not b.signature:
        return 0.0, 0.0
    if a.exact == b.exact:
        return 1.0, 1.0
    return _estimates(equal_values(a.signature, b.signature), a, b)


def containments(fp: Fingerprint, others: Sequence[Fingerprint]) -> list[float]:
    """`similarity(fp, other)[1]` for each of `others` (a story lookup's candidates), with `fp`'s signature
    read once."""
    width = len(fp.signature)
    mine = int.from_bytes(fp.signature, "little")
    out = []
    for other in others:
        if width and len(other.signature) == width and other.exact != fp.exact:
            out.append(_estimates(_equal(mine, other.signature, width), fp, other)[1])
        else:  # no signature, an exact copy, or one of another width
            out.append(similarity(fp, other)[1])
    return out


def _estimates(equal: int, a: Fingerprint, b: Fingerprint) -> tuple[float, float]:
    jaccard = equal / PERMUTATIONS
    shared = jaccard / (1.0 + jaccard) * (a.size + b.size)
    return jaccard, min(1.0, shared / max(1, min(a.size, b.size)))


def equal_values(a: bytes, b: bytes) -> int:
    """How many of two signatures' 32-bit values are equal, position by position (over the shorter)."""
    width = min(len(a), len(b)) // 4 * 4
    return _equal(int.from_bytes(a[:width], "little"), b[:width], width)


def _equal(mine: int, other: bytes, width: int) -> int:
    """How many 32-bit values of `other` (`width` bytes) equal those of `mine` (as many bytes, read as one
    integer). Without numpy, ~1 us for 128 values: XORed, an equal value is four zero bytes; each value's
    bytes are ORed into its first byte, and the zeros among every fourth byte are counted."""
    x = mine ^ int.from_bytes(other, "little")
    x |= x >> 16
    x |= x >> 8
    return x.to_bytes(width, "little")[::4].count(0)


def _figures(text: str) -> set[str]:
    found: set[str] = set()
    if text.isascii() and not any(digit in text for digit in "0123456789"):
        return found  # ten substring scans cost a tenth of the pattern's scan
    for number in _NUMBER.findall(text):
        digits = number.replace(",", "").replace(".", "")
        if not (len(digits) == 4 and digits.startswith(("19", "20"))):  # years say little
            found.add(digits.lstrip("0") or "0")
    return found


def _names(text: str) -> set[str]:
    found: set[str] = set()
    names = _NAME.findall(text)
    if not _EXONYM_STARTS.isdisjoint(names):
        names = _NAME.findall(_EXONYM_RE.sub(lambda m: _EXONYM_PHRASES[m.group()], text))
    for name in names:
        key = _NAME_KEYS.get(name)
        if key is None:
            key = _name_key(name)
        if key:
            found.add(key)
    return found


def _name_key(name: str) -> str:
    folded = name.casefold()
    folded = "us" if name == "AS" else _EXONYMS.get(folded, folded)  # Amerika Serikat, not "as"
    key = "" if folded in _NOT_NAMES else folded
    if len(_NAME_KEYS) >= _WORD_CACHE:
        _NAME_KEYS.clear()
    _NAME_KEYS[name] = key
    return key


def _entities(body: str, title: str) -> tuple[str, ...]:
    # Figures from the body only: headlines put in digits what bodies spell out ("24" / "Twenty-four").
    # The title's figures and names are also kept on their own, marked.
    title_names = _names(title)
    found = _figures(body) | title_names | _names(body)
    own = sorted(TITLE_MARK + e for e in _figures(title) | title_names)[:_MAX_TITLE_ENTITIES]
    return tuple(sorted(found))[:_MAX_ENTITIES] + tuple(own)
