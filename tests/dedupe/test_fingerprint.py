"""Fingerprints and "same story" on generated texts (hypothesis) and across processes."""

from __future__ import annotations

import hashlib
import importlib
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pantau.dedupe import content_hash, fingerprint, same_story, similarity
from pantau.dedupe.fingerprint import words

FP = importlib.import_module("pantau.dedupe.fingerprint")  # the module: the package exports the function

_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéü", min_size=2, max_size=9)
_words = st.lists(_word, min_size=40, max_size=160)


@settings(deadline=None)  # the shared machine is slow at times; speed is benchmarks/dedupe.py's job
@given(st.text(max_size=400), st.text(max_size=80))
def test_any_text_gives_a_fingerprint(body: str, title: str) -> None:
    fp = fingerprint(body, title)
    assert fp == fingerprint(body, title)
    assert (fp.exact == "") == (fp.signature == b"")


@given(_words)
def test_case_spacing_and_punctuation_do_not_change_the_exact_hash(words: list[str]) -> None:
    plain = " ".join(words)
    noisy = "  ".join(w.upper() + ("," if i % 7 == 0 else "") for i, w in enumerate(words)).replace(
        "  ", "\n\n", 3
    )
    assert fingerprint(plain).exact == fingerprint(noisy).exact
    assert same_story(fingerprint(plain), fingerprint(noisy))


@given(_words, _words)
def test_similarity_is_symmetric_and_bounded(a: list[str], b: list[str]) -> None:
    fa, fb = fingerprint(" ".join(a)), fingerprint(" ".join(b))
    assert similarity(fa, fb) == similarity(fb, fa)
    jaccard, containment = similarity(fa, fb)
    assert 0.0 <= jaccard <= containment <= 1.0


_values = st.lists(st.integers(0, 2**32 - 1), min_size=0, max_size=130)


@given(_values, st.data())
def test_equal_values_counts_the_positions_where_two_signatures_agree(
    a: list[int], data: st.DataObject
) -> None:
    # b keeps some of a's values and changes others, by one bit or wholly, so every kind of difference occurs
    b = [
        data.draw(
            st.sampled_from(
                [v, v ^ (1 << data.draw(st.integers(0, 31))), data.draw(st.integers(0, 2**32 - 1))]
            )
        )
        for v in a
    ]
    packed_a, packed_b = (b"".join(v.to_bytes(4, "little") for v in values) for values in (a, b))
    assert FP.equal_values(packed_a, packed_b) == sum(x == y for x, y in zip(a, b, strict=True))


@given(_words, st.lists(st.lists(_word, min_size=0, max_size=60), max_size=6), st.data())
def test_containments_are_what_similarity_estimates_for_each(
    words: list[str], others: list[list[str]], data: st.DataObject
) -> None:
    # others: unrelated texts, empty ones, the same text, and excerpts of it (alike, not equal)
    texts = [" ".join(w) for w in others] + [" ".join(words), " ".join(words[: len(words) // 2])]
    prints = [fingerprint(text) for text in data.draw(st.permutations(texts))]
    fp = fingerprint(" ".join(words))
    assert FP.containments(fp, prints) == [similarity(fp, other)[1] for other in prints]


@given(_words)
def test_band_keys_are_the_first_signature_values_under_their_band_numbers(words: list[str]) -> None:
    fp = fingerprint(" ".join(words))
    values = [int.from_bytes(fp.signature[i : i + 4], "little") for i in range(0, 4 * FP.BANDS, 4)]
    assert fp.bands == tuple((band << 32) | value for band, value in enumerate(values))


@settings(max_examples=50, deadline=None)
@given(st.lists(_word, min_size=120, max_size=300, unique=True), st.sampled_from([0.3, 0.5, 0.7]))
def test_a_copy_trimmed_to_its_start_or_with_a_footer_is_the_same_story(
    words: list[str], keep: float
) -> None:
    full = fingerprint(" ".join(words))
    trimmed = fingerprint(" ".join(words[: int(len(words) * keep)]))
    wrapped = fingerprint("JAKARTA (ANTARA) - " + " ".join(words) + " (Reporting by the desk)")
    assert same_story(full, trimmed)
    assert same_story(full, wrapped)


@settings(max_examples=50, deadline=None)
@given(st.lists(_word, min_size=240, max_size=240, unique=True))
def test_texts_without_shared_passages_are_different_stories(words: list[str]) -> None:
    # the same vocabulary in another order shares words but no 5-word passage
    a, b = words[:120], words[120:]
    mixed = [w for pair in zip(a, b, strict=True) for w in pair]
    assert not same_story(fingerprint(" ".join(a)), fingerprint(" ".join(mixed)))


def test_signatures_are_the_same_in_every_process() -> None:
    # signatures are stored and compared across restarts: Python's salted hash() must play no part
    code = "from pantau.dedupe import fingerprint; print(fingerprint('the same words in a row ' * 9).signature.hex())"
    src = str(Path(__file__).resolve().parents[2] / "src")
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": src},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outs) == 1 and len(outs.pop()) > 100


def test_the_written_out_permutations_are_the_seeded_draws_that_stored_signatures_were_made_with() -> None:
    import numpy as np

    rng = np.random.Generator(np.random.PCG64(20261125))
    multipliers = rng.integers(1, 2**63, size=FP.PERMUTATIONS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    offsets = rng.integers(0, 2**63, size=FP.PERMUTATIONS, dtype=np.uint64)
    minhash = importlib.import_module("pantau.dedupe.minhash")
    assert minhash._A.dtype == minhash._B.dtype == np.uint64
    assert minhash._A.tolist() == multipliers.tolist() and minhash._B.tolist() == offsets.tolist()


# Fingerprints are stored and compared with those of articles read after a restart or an upgrade: the same
# text must keep its fingerprint (the exact hash, the signature, the entities) and its content hash.
_STORED = [
    (
        "The harbour was closed on Tuesday. Mayor Rina Aziz said 1,300 ferries and 2.5 million passengers were "
        "delayed in 2024; the Council of Jakarta agreed.",
        "Harbour closed: 1,300 ferries delayed",
        ("5a47bebc9a8c7030", "27bc743c757f4544", 23, "8fd153da215e00be"),
        ("1300", "25", "aziz", "council", "harbour", "jakarta", "mayor", "rina", "^1300", "^harbour"),
    ),
    (
        "Presiden Joko Widodo bertemu Perdana Menteri Jepang di Tokyo. Korea Selatan dan Amerika Serikat "
        "mengirim 12 kapal ke Laut China Selatan, kata Reuters.",
        "Jokowi di Tokyo",
        ("8c0d030a9d797439", "c83c39845adde15d", 19, "eb3ee0ef0c4005e9"),
        (
            "12",
            "china",
            "japan",
            "joko",
            "jokowi",
            "korea",
            "reuters",
            "sea",
            "south",
            "states",
            "tokyo",
            "united",
            "widodo",
            "^jokowi",
            "^tokyo",
        ),
    ),
    (
        "İstanbul'da ＮＡＴＯ zirvesi: Ünlü NA\u00adTO liderleri Kiev'e 45.000 asker gönderiyor, café résumé "
        "naïve façade.",
        "ＮＡＴＯ İstanbul",
        ("49a30c9d88790af1", "13836d94f750cd83", 13, "dbb682c9333a83ac"),
        ("45000", "kyiv", "nato"),
    ),
    (
        "中国 日本 東京 ２０２６年 北京市",
        "中国",
        ("7f686f72ba08aaa7", "ff00dc2cab5c2cec", 1, "5a103b60cb88dcc8"),
        ("２０２６",),
    ),
    (
        "short",
        "Only the Title Here",
        ("7729a1ab96afaaab", "873d8334abda263a", 1, "06bbf16625c44486"),
        ("here", "only", "title", "^here", "^only", "^title"),
    ),
    ("", "", ("", "e3b0c44298fc1c14", 0, "01ba4719c80b6fe9"), ()),
]


@pytest.mark.parametrize(("body", "title", "hashes", "entities"), _STORED)
def test_a_text_keeps_the_fingerprint_and_content_hash_it_was_stored_with(
    body: str, title: str, hashes: tuple[str, str, int, str], entities: tuple[str, ...]
) -> None:
    fp = fingerprint(body, title)
    signature = hashlib.sha256(fp.signature).hexdigest()[:16]
    assert (fp.exact, signature, fp.size, content_hash(title, body)[:16]) == hashes
    assert fp.entities == entities


_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(max_codepoint=0x7F),
        st.sampled_from("İıſ\u212aÉéßﬁ\u00ad\u200b\u00a0\u2003٣２Ｎ中"),
        st.characters(),
    ),
    max_size=60,
)


@given(_TEXT)
def test_words_are_the_casefolded_unaccented_word_characters(text: str) -> None:
    folded = unicodedata.normalize("NFKC", text).casefold()
    unaccented = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    assert words(text) == re.findall(r"\w+", unaccented)


@given(_TEXT, _TEXT)
def test_the_content_hash_reads_the_casefolded_text_with_its_spacing_collapsed(title: str, body: str) -> None:
    def fold(text: str) -> str:
        return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()

    expected = hashlib.sha256((fold(title) + "\n" + fold(body)).encode("utf-8", "surrogatepass")).hexdigest()
    assert content_hash(title, body) == expected


_PHRASE_BITS = st.sampled_from(
    [
        *FP._EXONYM_PHRASES,
        *FP._EXONYM_STARTS,
        "Selatan",
        "Serikat",
        "AS",
        "Kiev",
        " ",
        "-",
        "_",
        "é",
        "x",
        "1",
        ".",
    ]
)


@given(st.lists(_PHRASE_BITS, max_size=12))
def test_names_are_read_after_every_exonym_phrase_is_put_in_english(bits: list[str]) -> None:
    text = "".join(bits)
    english = FP._EXONYM_RE.sub(lambda m: FP._EXONYM_PHRASES[m.group()], text)
    assert FP._names(text) == {key for name in FP._NAME.findall(english) if (key := FP._name_key(name))}
