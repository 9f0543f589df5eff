"""Pagers: the link from one page of an article to its next page, when the outlet splits it over several.

    next_page(html, url, *, first, number) -> str | None

`url` is the page the HTML came from, `first` the article's first page and `number` the page's place
(1 for the first). The next page is found by `rel="next"` (a <link> or an <a>), by an anchor that says
"next" ("Selanjutnya", "Berikutnya", "Next page", "›"…) or by the anchor numbered `number + 1` inside a
pager ("Halaman 1 2 3", "Pages: 1 2", class "pagination"). Whatever the anchor, its URL must continue
`first`: same host, same path, and only a page marker added (`?page=2`, `?p=2`, `?start=1`, `/2`,
`/page/2`). So a "read more"/"Baca juga" box, a link to the next article and the pager of a news index in
a sidebar are never taken, and neither is any pager of a page that is itself a listing (many <article>s
or headline links). Pure: no network, never guesses a URL the page does not link to.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = ["CASE_TWINS", "MAX_PAGES", "is_pager_line", "next_page"]

MAX_PAGES = 10  # an article is read from at most this many pages
MAX_NUMBER = 100  # a path's last segment above this is an id, not a page number
PAGE_PARAMS = frozenset(
    {
        "page",
        "p",
        "pg",
        "paged",
        "hal",
        "halaman",
        "pagenum",
        "page_no",
        "pageno",
        "pn",
        "start",
        "limitstart",
    }
)
_PATH_PAGE = re.compile(r"^(?P<base>.*?)(?:/(?:page|halaman|hal))?/(?P<n>\d{1,3})$")
_NEXT_TEXT = re.compile(
    r"^(?:(?:halaman|page|hal\.?)\s+)?(?:next(?:\s+page)?|selanjutnya|berikutnya|lanjut(?:kan)?)$",
    re.IGNORECASE,
)
_ARROWS = re.compile(r"[»›→>\s]+")
_PAGER_HINT = re.compile(r"pag|halaman|nextpage", re.IGNORECASE)
_PAGER_WORDS = re.compile(r"\b(?:halaman|hal\.|pages?)\b", re.IGNORECASE)
# A cheap test on the raw HTML first: most article pages have no pager and need no second parse.
_MAYBE = re.compile(
    r"rel\s*=\s*[\"']?[^\"'>]*\bnext\b|selanjutnya|berikutnya|lanjut|\bnext\b|paginat|paging|pager|"
    r"page-?numbers|page-?links|halaman|\bpages?\s*:|[?&](?:" + "|".join(sorted(PAGE_PARAMS)) + r")=\d",
    re.IGNORECASE,
)
# _MAYBE's answer, fast (`_maybe_pager`). With IGNORECASE, sre tries every branch at every position (~6 ms
# for a 170 KB page). On the page with its ASCII letters lower-cased, the same branches are substring tests
# and patterns that start with a literal, which sre skips to: the rel=next branch is left out, as it
# matches only where `\bnext\b` does; `\bpages?\s*:` and the page parameters check their start by a
# look-behind, so the search jumps from "pag" or "=" to the next one. Lower-casing the ASCII letters alone
# keeps the answer, unless the page holds one of the non-ASCII letters that IGNORECASE takes for an ASCII
# one (CASE_TWINS): then _MAYBE itself runs.
#
# CASE_TWINS: the non-ASCII letters that IGNORECASE takes for ASCII ones (İ ı ſ, the Kelvin sign;
# tests/extract/test_pager.py checks the list against every code point). Without them in a text, a pattern
# of ASCII words matches it case-insensitively only where the lower-cased text holds the words as written.
CASE_TWINS = ("\u0130", "\u0131", "\u017f", "\u212a")
_MAYBE_WORDS = ("lanjut", "berikutnya", "halaman")  # "selanjutnya" holds "lanjut"
_MAYBE_PAG = re.compile(r"pag(?:inat|ing|er|e-?numbers|e-?links|e(?<=\bpage)s?\s*:)")
_MAYBE_NEXT = re.compile(r"next(?<=\bnext)\b")
_MAYBE_PARAM = re.compile(  # a look-behind has one width: one per length of parameter name
    r"=(?=\d)(?:"
    + "|".join(
        "(?<=[?&](?:" + "|".join(sorted(p for p in PAGE_PARAMS if len(p) == n)) + ")=)"
        for n in sorted({len(p) for p in PAGE_PARAMS})
    )
    + ")"
)
# A page with this many <article> elements, or linked headlines, is an index of articles (an article's
# own "related" box has a handful).
_PAGER_LINE = re.compile(
    r"^(?:(?:halaman|hal\.?|pages?)\s*:?\s*)?(?:[«‹»›<>←→]\s*)*(?:(?:sebelumnya|prev(?:ious)?)\s*)?"
    r"(?:\d{1,3}\b\s*)+(?:(?:selanjutnya|berikutnya|next(?:\s+page)?)\s*)?(?:[«‹»›<>←→]\s*)*$",
    re.IGNORECASE,
)
_LISTING_ARTICLES = 6
_LISTING_HEADLINES = 10


def next_page(html: str, url: str, *, first: str, number: int) -> str | None:
    """The URL of page `number + 1` of the article whose page `number` is `html` (from `url`), or None."""
    if number >= MAX_PAGES or not _maybe_pager(html):
        return None
    tree = LexborHTMLParser(html)
    if _is_listing(tree):
        return None
    base = _base(tree, url)
    for href in _candidates(tree, number):
        target = _absolute(href, base)
        if target is not None and target != url and continues(first, target):
            return target
    return None


def _maybe_pager(html: str) -> bool:
    """`_MAYBE.search(html) is not None`, in a tenth of the time."""
    if html.isascii():
        lowered = html.lower()
    elif any(twin in html for twin in CASE_TWINS):
        return _MAYBE.search(html) is not None
    else:  # bytes.lower() changes A-Z alone
        lowered = html.encode("utf-8", "surrogatepass").lower().decode("utf-8", "surrogatepass")
    return (
        any(word in lowered for word in _MAYBE_WORDS)
        or _MAYBE_PAG.search(lowered) is not None
        or _MAYBE_NEXT.search(lowered) is not None
        or _MAYBE_PARAM.search(lowered) is not None
    )


def is_pager_line(text: str) -> bool:
    """Is this paragraph only a pager's text ("Halaman 1 2 3 Selanjutnya", "Pages: 1 2", "« 1 2 »")?"""
    return bool(_PAGER_LINE.match(text.strip()))


def continues(first: str, candidate: str) -> bool:
    """Is `candidate` a later page of the article at `first`: same host and path, plus a page marker?"""
    a, b = urlsplit(first), urlsplit(candidate)
    if a.netloc.lower() != b.netloc.lower() or b.scheme.lower() not in ("http", "https"):
        return False
    first_query, query = _query(a.query), _query(b.query)
    first_rest = {k: v for k, v in first_query.items() if k not in PAGE_PARAMS}
    rest = {k: v for k, v in query.items() if k not in PAGE_PARAMS}
    if rest != first_rest:
        return False
    marks = [v for k, v in query.items() if k in PAGE_PARAMS and v.isdigit()]
    first_path, path = a.path.rstrip("/"), b.path.rstrip("/")
    if marks and path == first_path:
        return 1 <= int(marks[0]) <= MAX_NUMBER and query != first_query
    found = _PATH_PAGE.match(path)
    if found is None or not 2 <= int(found["n"]) <= MAX_NUMBER:
        return False
    return found["base"] == first_path or found["base"] == _page_base(first_path)


def _page_base(path: str) -> str | None:
    found = _PATH_PAGE.match(path)
    return found["base"] if found else None


def _query(text: str) -> dict[str, str]:
    return {k.lower(): v for k, v in parse_qsl(text, keep_blank_values=True)}


def _candidates(tree: LexborHTMLParser, number: int) -> Iterator[str]:
    """hrefs that may lead to the next page, the surest first."""
    for node in tree.css("link[rel][href], a[rel][href]"):
        if "next" in (node.attributes.get("rel") or "").lower().split():
            yield node.attributes.get("href") or ""
    numbered: list[str] = []
    for node in tree.css("a[href]"):
        written = node.text(separator=" ").strip()
        text = _ARROWS.sub(" ", written).strip()
        href = node.attributes.get("href") or ""
        if written and not text:  # "»" or "›" alone
            yield href
        elif not text:  # an icon: its label may say what it does
            label = " ".join(filter(None, (node.attributes.get(k) for k in ("aria-label", "title", "class"))))
            if "next" in label.lower() or "selanjutnya" in label.lower():
                yield href
        elif _NEXT_TEXT.match(text):
            yield href
        elif text == str(number + 1) and _in_pager(node):
            numbered.append(href)
    yield from numbered


def _in_pager(node: LexborNode) -> bool:
    """Is this numbered anchor part of a pager (by its or its parents' class/id, or a "Halaman" label)?"""
    current: LexborNode | None = node
    for _ in range(4):
        if current is None or current.tag in ("body", "html"):
            return False
        marks = " ".join(filter(None, (current.attributes.get("class"), current.attributes.get("id"))))
        if _PAGER_HINT.search(marks):
            return True
        if current is not node and _PAGER_WORDS.search(current.text(deep=False) or ""):
            return True
        current = current.parent
    return False


def _is_listing(tree: LexborHTMLParser) -> bool:
    if len(tree.css("article")) >= _LISTING_ARTICLES:
        return True
    return len(tree.css("h2 a[href], h3 a[href], h4 a[href]")) >= _LISTING_HEADLINES


def _base(tree: LexborHTMLParser, url: str) -> str:
    node = tree.css_first("base[href]")
    href = node.attributes.get("href") if node is not None else None
    return _absolute(href, url) or url if href else url


def _absolute(href: str | None, base: str) -> str | None:
    if not href or href.strip().startswith(("#", "javascript:", "mailto:")):
        return None
    try:
        url = urljoin(base, href.strip())
    except ValueError:
        return None
    return url.partition("#")[0] if urlsplit(url).scheme in ("http", "https") else None
