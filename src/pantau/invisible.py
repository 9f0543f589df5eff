"""Invisible characters: Unicode format characters (category Cf) that a CMS leaves inside words.

A soft hyphen (U+00AD, `&shy;`), a zero-width space (U+200B) or joiner, a word joiner or a byte-order mark
inside "NA&shy;TO" or "Ukra&#8203;ina" is invisible to a reader and must be invisible to the rules and the
story fingerprints too. Rules drop them while folding text (keeping the map back to original offsets);
fingerprints drop them before reading words, names and figures.

The class is written out, not computed from `unicodedata` at import (that walk costs ~0.6 s);
tests/dedupe/test_invisible.py checks it against the running Python's Unicode database.
"""

from __future__ import annotations

import re

__all__ = ["FORMAT_CHARS", "drop_format"]

# Every character of general category Cf (Unicode 14.0, Python 3.11).
FORMAT_CHARS = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
_FORMAT_RE = re.compile(f"[{FORMAT_CHARS}]+")


def drop_format(text: str) -> str:
    """The text without format characters (ASCII text is returned as it is, at no cost)."""
    if text.isascii():
        return text
    return _FORMAT_RE.sub("", text)
