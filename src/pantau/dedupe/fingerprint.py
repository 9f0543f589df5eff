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

MinHash is computed with numpy (multiply-shift hashing over 64-bit shingle hashes) rather than datasketch:
the same estimate, about 2x faster per article including normalisation (benchmarks/dedupe.py measures
both). Hashes are stable
across processes and machines (crc32 and fixed constants, never Python's salted `hash()`), because
signatures are stored and compared across restarts.

Pure functions: no I/O, no clock, never an exception for any text.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from pantau.invisible import drop_format

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["BANDS", "PERMUTATIONS", "SHINGLE", "Fingerprint", "fingerprint", "similarity"]

SHINGLE = 5  # words per shingle: long enough that unrelated texts share almost none
PERMUTATIONS = 128  # signature length: the Jaccard estimate's standard error is at most ~0.045
BANDS = 16  # one-value bands: a copy sharing 18% of its shingles is still a candidate 96% of the time

_U64 = np.uint64
# The permutations' constants: numpy's PCG64 seeded with 20261125, its first PERMUTATIONS draws below 2**63
# times 2 plus 1 (odd multipliers), then PERMUTATIONS more (tests/dedupe/test_fingerprint.py draws them again).
# Written out, as signatures are stored and must never change, and so that the analysis workers' fork server
# need not import numpy.random (a tenth of numpy's import time) for them.
_A = np.array(  # odd multipliers
    (
        0x5ae267f66d3febd9, 0x0984c3f22119d755, 0x4f3ab783de246edf, 0xaf883f62440accc7, 0x3ae9fc482b5efb8b,
        0x02fe8b4f335c610b, 0x800d723d629937e1, 0xc9086d3a84ec820b, 0xc7c683f360f744b9, 0x2ba9c5229fa40dbf,
        0x069f10e770e42079, 0xcaba041e7bfee931, 0xc8d4321011b26301, 0x146b4fceda856c91, 0x8f605147504a3115,
        0x02389b7748282b6b, 0xc24068004b812a03, 0x1c2243f749202a19, 0x0beef53d0ec1ba67, 0x54cff8d6d0cd9219,
        0xfc69f06003beda25, 0xcfab7c01189312c1, 0x55505787e19f3f8b, 0x736965f19d0623d3, 0x644f415b5357b45b,
        0xa3f88deed20a90bd, 0x5e72b169a259d413, 0xd02aa5d2ad477481, 0x487aa524991a93cf, 0xd669cacb5c64877b,
        0x7a3bc9e4f74da72d, 0x15afa9257f77c64f, 0xabad9cbce9d9ef93, 0x43fdb4856203691b, 0x52a8390f8de73c45,
        0x77974d67e467d5bd, 0x953a26498b1ea621, 0xf51062c22738e46f, 0x96be6cc20e8c18df, 0xd4ba19486cbfc535,
        0xe6d083c471fb10bf, 0x3529ef6759d2fedf, 0x3b4db226b033dabd, 0xbf2dae8c22feb67b, 0x7e53d529c756da8d,
        0x89cb6d53ba950763, 0x6600660d0a2dfb2b, 0xd96957c32fc6b6ff, 0x9932d01dac77668d, 0x2146c3a800c69bb3,
        0x3f023d6a2c6b2d11, 0x9a690eb1bd875689, 0xf1418b7d46f42999, 0x86b967d95f3d2311, 0x959ffaf33ede0e19,
        0x69d6f5881ef5f973, 0x033a7f6fd90049cb, 0x65fee8ad302b1fd7, 0xc7f64e6987bd4461, 0x3da77edf454ee851,
        0xaf815a662343c237, 0x7ed2b3940af90df5, 0xb9e9bfd244d2de61, 0x97853e2ea3919ce1, 0x37d0d32687f2ce33,
        0x40c0c19b2770dad9, 0x5af396de571d419d, 0xda41a70d58f28d11, 0x1a44b717df2a5cdf, 0x1073ef44a626ad45,
        0x7917d744abd4ee73, 0xa9d8014f0f7ad229, 0xca503f1e368978e3, 0x91a659de243ff945, 0xac1b537339d15a1f,
        0x7a04a9bea5086d4d, 0xb55cf79e488addc5, 0x86089764fc0ea1fb, 0xeac4cda7229a5555, 0xbe85e35bf46399ab,
        0xfdd9402700f33feb, 0x549ce01f6ccc66cd, 0x1270632e9cc9821f, 0xf1d889f69c32b7a7, 0x14916f4e5080241b,
        0x42b9bf63307ded0f, 0xa234894a8a4900bf, 0xc8ee047f2d6c66c3, 0xe5bdf58a604c7b2b, 0x260f0937651e0a1d,
        0x4d6fdefbe6f07b47, 0xc84bc746908e35e1, 0x9dd13fd3a235a0a5, 0x7710722f3d7c5859, 0x8ca2020d7c84b477,
        0x899d7168d538a7b7, 0x960b35ddaf74923f, 0x1a4e499e483a2787, 0xefb715f1efdc275d, 0x4eb708b1e77e1241,
        0x3696a8c1f19afbd3, 0x31e948fc84905ee7, 0xa5f2517d233398c9, 0xb0f963a68e0ca57d, 0xfbf08d99b356a5bd,
        0x234f48bf4b447447, 0xf3fc3578b9fc18c9, 0x90176c3d08057431, 0x1a4a1b21b30e9dbb, 0x0bd76154fa6c43c5,
        0x2bfd563d138db80b, 0x32981cdddcd52235, 0xba5438a568dc4413, 0xb3a565447371291d, 0xa7cdb3c84c47866f,
        0xfbd463bc5ca5224b, 0xa5829849460f572d, 0x1b6fbc0d4baa3caf, 0xda8ac4415b94c433, 0x92d1fc2e8c864bcd,
        0x29a8918ab8038a5f, 0x6af7ae7e44bb692d, 0x3e28eb230ce7b2f9, 0x4ecec698a9ae0639, 0x472f06183cc057af,
        0x6baf2c62edbdd19f, 0x1028b82fbd3262c5, 0xad513c697c48bf0b,
    ),
    dtype=np.uint64,
)  # fmt: skip
_B = np.array(  # offsets
    (
        0x2b4d1f9610c9d47e, 0x640501803101f5b1, 0x5224bceac3bc093d, 0x7d6e5041414f273c, 0x7ce377f238deb11d,
        0x7cd51b38df43ecd4, 0x56791458bb3cc447, 0x78574ae9d76a79a8, 0x407c1f2ec4ba2b15, 0x3d766941985465e5,
        0x609408295b349b28, 0x2ec7b1863901ac40, 0x29ddb5192b1e449c, 0x6549a5920a70971b, 0x1a686ef445db9a48,
        0x003827d03b05271b, 0x51b6111125be5cf1, 0x596bed1c9b50f444, 0x577f4eb5ebfcd602, 0x328da9f4b0d81d56,
        0x3de9ebddc237bdfe, 0x1aa27627812b6c18, 0x60b7550e0b10ea4f, 0x00e55a9b27c0a8d1, 0x7c6a4dabff27b155,
        0x026197c0f3c743c7, 0x72a5a86092d8419e, 0x2954121d8dad3b19, 0x37e14faead741d42, 0x29aab8277bd006f8,
        0x37ac15fdcb44a3d7, 0x2687a4dcd160abf1, 0x46b1a1815b2e7516, 0x2d385eef5bb64051, 0x6903dcee0890b3a4,
        0x1b5ab2daf3dd553c, 0x5aae577426412071, 0x3c82c92953340dde, 0x5f4925b9bee6d9c5, 0x1f3070a69fb2796d,
        0x2a370c154dc76e27, 0x7581251d39c90642, 0x63283b20e8f905b7, 0x236a82564ab77086, 0x4c569cc505204608,
        0x7c8e2ee142bd6e2d, 0x1b55b28feb4510a7, 0x4e94dfca8254c0dc, 0x2e76d7efcafe5256, 0x65886dade5090b58,
        0x2791e68d764697bb, 0x431998ecbb16cb5c, 0x2224e5b7a876583a, 0x4da328e2f28a4a23, 0x3d228fc419ada907,
        0x1bcaa6d00d955a86, 0x7f403b8cd2bf2354, 0x1ac6d2f4fb7f93e9, 0x2f41b47594c3d92e, 0x1299452622400cb1,
        0x1744b061c9bbc847, 0x0b05d2668badb979, 0x32ee4cc4ba1823ab, 0x4f8978534b9683e2, 0x41b6395971b777d2,
        0x6f5756c8db766ba0, 0x6efa4bd3d643d72c, 0x37de7d88a487d971, 0x7a9f27ae84a823b2, 0x28125ae3a27d9951,
        0x3b798669b6726819, 0x189d3ac039c237f3, 0x2d6a3041f6336aaf, 0x3c4c445a8606242b, 0x67a418b455280f33,
        0x21ab6af083bb7db0, 0x0f3c9361066b230f, 0x1bb81f27637e461e, 0x3e3a258329b708d8, 0x3172c564092e8fce,
        0x59904cc535a59d57, 0x1c292c46a59b5e10, 0x5a2cbaf0897375cf, 0x3126a09ccb5a57cf, 0x38d4b77bd0977014,
        0x6aa8cb8121fe2bd4, 0x256196878914a28d, 0x4fc19b5045f76db5, 0x38625e15c839228a, 0x0a41a34304e388df,
        0x5db3a86411bbdd53, 0x48699dec665985ee, 0x07265953af1c45e4, 0x492e56ac2aabe1bd, 0x02726d302eb140f0,
        0x2d75310fe43e4cb2, 0x2f37805ba7606f7c, 0x1ea5123d01efc0e8, 0x3561b7e1d3087d69, 0x1eac8bf1f8ce0c0d,
        0x43071fbaea810727, 0x187880c14e6951d2, 0x37b7c07a8fbf29de, 0x02087d0fab5d0bde, 0x3fdb8dd928969b29,
        0x745727605658caf1, 0x14e98d2142eab16a, 0x5491608d869224f1, 0x212873622bfaddad, 0x56bf4a072b113a4a,
        0x1a0eb73b111c8779, 0x6dfd2c4ddd1ec242, 0x4015272b839bfdbb, 0x46f1dd6a8c32e086, 0x39120de9b0dbd0d2,
        0x1d9bceafd8fa2623, 0x6903995fb24b84a0, 0x7060c2057059a199, 0x739511402bfa023f, 0x32b113280c5d4177,
        0x0f11816c3eb5eca0, 0x3503299fa52c1ace, 0x44f81a413a8bf228, 0x025db9cb891cb3f9, 0x7e9c9555364c7e9a,
        0x7e7316588a0f643f, 0x0c921559b619fff7, 0x0c7962a7abe73ede,
    ),
    dtype=np.uint64,
)  # fmt: skip
# Position weights that turn 5 word hashes into one shingle hash (order matters: "a b" != "b a").
_W = np.array(
    (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93, 1), dtype=np.uint64
)
_SHIFTS = (_U64(30), _U64(27), _U64(31), _U64(32))
_MIXERS = (_U64(0xBF58476D1CE4E5B9), _U64(0x94D049BB133111EB))

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
        values = np.frombuffer(self.signature, dtype="<u4")[:BANDS]
        return tuple((i << 32) | int(v) for i, v in enumerate(values))


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
    shingles = _shingles(tokens)
    new = np.empty(len(shingles), dtype=bool)
    new[0] = True
    np.not_equal(shingles[1:], shingles[:-1], out=new[1:])
    distinct = int(np.count_nonzero(new))
    if distinct < len(shingles):
        shingles = shingles[new]  # a repeat changes no minimum: the permutations need not see it again
    return Fingerprint(exact, _minhash(shingles).astype("<u4").tobytes(), distinct, entities)


def _word_hash(word: str) -> int:
    found = _WORD_HASHES.get(word)
    if found is None:
        if len(_WORD_HASHES) >= _WORD_CACHE:
            _WORD_HASHES.clear()  # a memo, not state: any word hashes the same with or without it
        found = _WORD_HASHES[word] = zlib.crc32(word.encode("utf-8", "surrogatepass"))
    return found


def _shingles(tokens: list[str]) -> npt.NDArray[np.uint64]:
    # 32-bit word hashes are plenty for a vocabulary; the shingle hash below spreads them over 64 bits.
    known = list(map(_WORD_HASHES.get, tokens))
    if None in known:
        known = [_word_hash(t) if h is None else h for t, h in zip(tokens, known, strict=True)]
    hashes = np.array(known, dtype=np.uint64)
    width = min(SHINGLE, len(hashes))  # a text shorter than a shingle is one shingle
    # shingle i = sum of hashes[i + k] * weight k, as one correlation (a sum mod 2^64: array arithmetic on
    # uint64 wraps around silently, as hashing wants); for articles of a few hundred words numpy's cost per
    # call outweighs its cost per element, so the fewer calls the better.
    mixed = _mix(np.correlate(hashes, _W[SHINGLE - width :], "valid"))
    mixed.sort()  # cheaper than np.unique; repeats are dropped by the caller
    return mixed


def _mix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64's finaliser: every input bit reaches every output bit. Changes `x` in place."""
    x ^= x >> _SHIFTS[0]
    x *= _MIXERS[0]
    x ^= x >> _SHIFTS[1]
    x *= _MIXERS[1]
    x ^= x >> _SHIFTS[2]
    return x


def _minhash(shingles: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    # Multiply-shift: the top 32 bits of a*x+b (mod 2^64) for random odd a: one permutation per row.
    # The shift commutes with min, so it runs on 128 values instead of the whole table.
    table = np.multiply.outer(_A, shingles)
    table += _B[:, None]
    result: npt.NDArray[np.uint64] = table.min(axis=1)
    result >>= _SHIFTS[3]
    return result


def similarity(a: Fingerprint, b: Fingerprint) -> tuple[float, float]:
    """(estimated Jaccard, estimated containment of the smaller text in the larger), both 0..1."""
    if not a.signature or not b.signature:
        return 0.0, 0.0
    if a.exact == b.exact:
        return 1.0, 1.0
    sa = np.frombuffer(a.signature, dtype="<u4")
    sb = np.frombuffer(b.signature, dtype="<u4")
    jaccard = float(np.count_nonzero(sa == sb)) / PERMUTATIONS
    shared = jaccard / (1.0 + jaccard) * (a.size + b.size)
    return jaccard, min(1.0, shared / max(1, min(a.size, b.size)))


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
