"""Bytes -> text for HTML pages.

Order: byte-order mark, the HTTP header's charset, a <meta> declaration in the first bytes, then UTF-8 with a
cp1252 (and, for cp1252's five unassigned bytes, latin-1) fallback. Must never raise: undecodable bytes
become U+FFFD.
"""

from __future__ import annotations

import codecs
import re

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Browsers (WHATWG Encoding) read these labels as windows-1252, and pages rely on it: "latin-1" pages
# routinely contain curly quotes in 0x80-0x9F.
_WINDOWS_1252_ALIASES = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii", "l1"})

_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)

_LENIENT = "cp1252+latin-1"
_ASCII = bytes(range(128))

# How far into the page to look for <meta charset>; the HTML standard says 1024 bytes, real pages put
# long comments and scripts first.
_META_WINDOW = 4096


def decode_html(body: bytes, charset: str | None) -> str:
    """Decode an HTML response body; `charset` is the one from the Content-Type header, if any."""
    for bom, name in _BOMS:
        # A BOM is unambiguous and browsers let it win over the header, so it goes first.
        if body.startswith(bom):
            return body[len(bom) :].decode(name, errors="replace")
    for label in (charset, _meta_charset(body)):
        codec = _codec_name(label)
        if codec is not None:
            try:
                return _decode(body, codec)
            except (LookupError, ValueError):
                continue
    return _guess(body)


def _meta_charset(body: bytes) -> str | None:
    found = _META_CHARSET.search(body[:_META_WINDOW])
    return found.group(1).decode("ascii", errors="replace") if found else None


def _codec_name(label: str | None) -> str | None:
    """A Python codec for an HTTP/HTML charset label, or None when the label is unknown or unusable."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _WINDOWS_1252_ALIASES:
        return _LENIENT
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):  # unknown label, or one with a NUL in it
        return None
    # codecs.lookup also knows bytes-to-bytes codecs such as "base64" that no page is written in.
    if not getattr(info, "_is_text_encoding", True):
        return None
    name = info.name
    # A page that declares UTF-16 in ASCII <meta> cannot be UTF-16; the standard says read it as UTF-8.
    if name.startswith("utf-16") or name.startswith("utf-32"):
        return "utf-8"
    if name == "cp1252":
        return _LENIENT
    return name


def _guess(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        # A page truncated by the size cap, or with a stray byte, is still UTF-8: only when invalid
        # sequences are common is it really a legacy single-byte page.
        text = body.decode("utf-8", errors="replace")
        non_ascii = len(body[: 1 << 16].translate(None, _ASCII)) or 1
        bad = text.count("\ufffd", 0, 1 << 16)
        if err.start >= len(body) - 3 or bad * 10 < non_ascii:
            return text
        return _decode(body, _LENIENT)


# The five bytes cp1252 leaves unassigned decode as in latin-1 rather than failing.
_CP1252_TABLE = "".join(
    chr(i) if bytes([i]).decode("cp1252", errors="replace") == "\ufffd" else bytes([i]).decode("cp1252")
    for i in range(256)
)


def _decode(body: bytes, name: str) -> str:
    if name == _LENIENT:
        return codecs.charmap_decode(body, "replace", _CP1252_TABLE)[0]
    return body.decode(name, errors="replace")
