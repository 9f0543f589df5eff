"""Invisible format characters: the written-out class is every Cf character, and fingerprints ignore them
so two copies that differ only by soft hyphens or zero-width spaces are one story."""

from __future__ import annotations

import re
import sys
import unicodedata

from pantau.dedupe import fingerprint, same_story
from pantau.invisible import FORMAT_CHARS, drop_format

COPY = (
    "NATO and Japan agreed on Tuesday to open a joint cyber defence centre in Tallinn, where 60 specialists "
    "from Ukraine, South Korea and Australia will share warnings about attacks on undersea cables. The "
    "centre will cost 45 million euros over five years, officials said."
)


def test_the_class_holds_exactly_the_format_characters_of_this_python() -> None:
    every = re.compile(f"[{FORMAT_CHARS}]")
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        assert (every.match(ch) is not None) == (unicodedata.category(ch) == "Cf"), hex(cp)


def test_drop_format_keeps_everything_else() -> None:
    assert drop_format("NA\u00adTO di Ukra\u200bina\ufeff, Jepang") == "NATO di Ukraina, Jepang"
    assert drop_format("plain ascii") == "plain ascii"


def test_copies_differing_only_by_invisible_characters_are_one_story() -> None:
    hidden = (
        COPY.replace("NATO", "NA\u00adTO").replace("Ukraine", "Ukra\u200bine").replace("cyber", "cy\u2060ber")
    )
    a, b = (
        fingerprint(COPY, "NATO and Japan open cyber centre"),
        fingerprint(hidden, "NA\u00adTO and Japan open cyber centre"),
    )
    assert a == b
    assert same_story(a, b)
