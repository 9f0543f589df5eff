"""Opt-in Indonesian stemming for rules with `stem: true`: a rule word stands for its affixed forms.

Articles are never stemmed (that would cost a dictionary lookup per word of every article). Instead, at
compile time, the rule word is stemmed with PySastrawi, the common affixed forms of that stem are generated
(meN-/peN- with their sound changes, di-, ter-, ber-, ke-, se-, per-, and -an, -kan, -i), and only the forms
that PySastrawi stems back to the same stem are kept. The automaton then looks for those exact words, so the
scan stays one pass. Words written with a capital letter are names and are never stemmed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

_PLAIN_PREFIXES = ("", "di", "ter", "ber", "ke", "se", "per", "diper", "memper")
_SUFFIXES = ("", "an", "kan", "i")
_VOWELS = "aiueo"


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    # Imported lazily: only configs with `stem: true` pay for the dictionary (~0.1 s).
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_stemmer().stem(word))


def _nasal(base: str, root: str) -> list[str]:
    """meN-/peN- + root with Indonesian nasal assimilation (pukul -> memukul, serang -> menyerang)."""
    c = root[0]
    if c in "bfv":
        return [f"{base}m{root}"]
    if c == "p":
        return [f"{base}m{root[1:]}", f"{base}m{root}"]
    if c in "dcjz":
        return [f"{base}n{root}"]
    if c == "t":
        return [f"{base}n{root[1:]}", f"{base}n{root}"]
    if c == "s":
        return [f"{base}ny{root[1:]}", f"{base}n{root}"]
    if c == "k":
        return [f"{base}ng{root[1:]}", f"{base}ng{root}"]
    if c in "gh" or c in _VOWELS:
        return [f"{base}ng{root}"]
    return [f"{base}{root}"]


@lru_cache(maxsize=4096)
def forms(word: str) -> tuple[str, ...]:
    """The word and the affixed forms of its stem that stem back to it, shortest first."""
    root = stem(word)
    if not root or not root.isalpha():
        return (word,)
    bases = [p + root for p in _PLAIN_PREFIXES] + _nasal("me", root) + _nasal("pe", root)
    candidates = {b + s for b in bases for s in _SUFFIXES}
    kept = {f for f in candidates if stem(f) == root}
    return tuple(sorted(kept | {word, root}, key=lambda f: (len(f), f)))
