"""URL identity: one canonical URL per article, and a fingerprint of its text.

`canonical_url` turns the many spellings outlets and share buttons produce for one article (tracking
parameters, `www.`/`m.`/AMP variants, fragments, reordered queries, odd percent-encoding) into one string
that the store uses as the article's identity. `content_hash` fingerprints a title and body so that an
unchanged article re-fetched under a new URL can be recognised.

Pure string functions: no network, no clock, and never an exception for any URL text — a URL that cannot
be parsed comes back stripped but otherwise as given. Story-level near-duplicates live in fingerprint.py
and stories.py.
"""

from __future__ import annotations

import contextlib
import hashlib
import unicodedata
from urllib.parse import SplitResult, urlsplit, urlunsplit

__all__ = ["TRACKING_PARAMS", "canonical_url", "content_hash", "site_host"]

# Parameters that say who shared or clicked a link, never which article it is.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref",
        "ref_src",
        "ref_url",
        "igshid",
        "igsh",
        "spm",
        "scm",
        "ncid",
        "ocid",
        "cmpid",
        "s_cid",
        "wt_mc",
        "vero_id",
        "oly_anon_id",
        "oly_enc_id",
        "rb_clickid",
        "sr_share",
        "fb_action_ids",
        "fb_action_types",
        "fb_ref",
        "fb_source",
        "__twitter_impression",
    }
)
# `?amp=1` / `?amp` asks for the AMP copy of the same article.
_DROPPED_PARAMS = TRACKING_PARAMS | {"amp"}
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
_HOST_PREFIXES = ("www.", "m.", "amp.")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SUB_DELIMS = frozenset("!$&'()*+,;=")
_PATH_SAFE = _UNRESERVED | _SUB_DELIMS | frozenset(":@/")
# '&', '=' and '+' keep their meaning inside a query component, so they stay as they were written.
_QUERY_SAFE = (_UNRESERVED | _SUB_DELIMS | frozenset(":@/?")) - frozenset("&=")
_HEX = frozenset("0123456789abcdefABCDEF")


def canonical_url(url: str, page_canonical: str | None = None) -> str:
    """The article's identity URL.

    `page_canonical` (the page's rel=canonical or og:url) wins over `url` when it is an absolute http(s)
    URL on the same site and not the site's home page — outlets point every article at their front page
    by mistake often enough that trusting it blindly would merge all articles into one.
    """
    own = _canonical(url)
    if page_canonical is None:
        return own
    other = _canonical(page_canonical)
    if _usable_canonical(own, other):
        return other
    return own


def site_host(url: str) -> str | None:
    """The host of `url` with `www.`, `m.` and `amp.` prefixes removed, or None when there is none."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return _strip_host_prefixes(host.rstrip(".")) if host else None


def content_hash(title: str, body: str) -> str:
    """sha256 hex of the NFKC-casefolded, whitespace-collapsed title and body, joined by a newline."""
    text = _fold(title) + "\n" + _fold(body)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _fold(text: str) -> str:
    # split() cuts at what `\s` matches: the same as collapsing whitespace runs to " " and stripping.
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _usable_canonical(own: str, other: str) -> bool:
    try:
        parts = urlsplit(other)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if site_host(own) != site_host(other):
        return False
    return not (parts.path in ("", "/") and not parts.query)


def _canonical(url: str) -> str:
    text = url.strip()
    try:
        parts = urlsplit(text)
        netloc = _netloc(parts)
    except (ValueError, UnicodeError):
        return text
    if netloc is None:
        return text
    scheme = parts.scheme.lower()
    path = _path(parts.path) if scheme in _DEFAULT_PORTS else _pct(parts.path, _PATH_SAFE)
    return urlunsplit((scheme, netloc, path, _query(parts.query), ""))


def _netloc(parts: SplitResult) -> str | None:
    host = parts.hostname  # already lower case
    if not host:
        return None
    port = parts.port  # raises ValueError for a bad port, caught by the caller
    host = host.rstrip(".")
    if not host.isascii():
        # on failure keep the Unicode form: a stable identity matters more than a valid one
        with contextlib.suppress(UnicodeError):
            host = host.encode("idna").decode("ascii").rstrip(".")  # IDNA may map a Unicode dot to "."
        if not host:
            return None
    host = _strip_host_prefixes(host)
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host = f"{host}:{port}"
    userinfo, sep, _ = parts.netloc.rpartition("@")
    return f"{userinfo}@{host}" if sep else host


def _strip_host_prefixes(host: str) -> str:
    changed = True
    while changed:
        changed = False
        for prefix in _HOST_PREFIXES:
            rest = host[len(prefix) :]
            if host.startswith(prefix) and "." in rest:
                host, changed = rest, True
    return host


def _path(path: str) -> str:
    segments = _remove_dot_segments(_pct(path, _PATH_SAFE)).split("/")
    # AMP copies live under an `amp` segment (anywhere, in practice first or last) of the same path.
    kept = [s for s in segments if s.lower() != "amp"]
    out = "/".join(kept).rstrip("/")
    if not out.startswith("/"):
        out = "/" + out
    return out


def _remove_dot_segments(path: str) -> str:
    if "." not in path:
        return path
    out: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if len(out) > 1:
                out.pop()
        elif segment != ".":
            out.append(segment)
    if path.endswith(("/.", "/..")):
        out.append("")
    return "/".join(out)


def _query(query: str) -> str:
    pairs: list[tuple[str, str]] = []
    for piece in query.split("&"):
        if not piece:
            continue
        key, eq, value = piece.partition("=")
        key = _pct(key, _QUERY_SAFE)
        if _is_tracking(key):
            continue
        pairs.append((key, eq + _pct(value, _QUERY_SAFE)))
    pairs.sort()
    return "&".join(k + v for k, v in pairs)


def _is_tracking(key: str) -> bool:
    lowered = key.lower()
    return lowered in _DROPPED_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def _pct(text: str, safe: frozenset[str]) -> str:
    """One spelling of percent-encoding: unreserved decoded, other escapes upper-case, the rest encoded."""
    if "%" not in text and safe.issuperset(text):
        return text  # what most URLs are: every character kept as it is (the loop below, at C speed)
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "%" and i + 2 < n and text[i + 1] in _HEX and text[i + 2] in _HEX:
            byte = int(text[i + 1 : i + 3], 16)
            decoded = chr(byte)
            out.append(decoded if decoded in _UNRESERVED else f"%{byte:02X}")
            i += 3
            continue
        if ch in safe:
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)
