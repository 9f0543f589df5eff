"""Fingerprints and "same story" on generated texts (hypothesis) and across processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pantau.dedupe import fingerprint, same_story, similarity

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
