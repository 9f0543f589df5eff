"""Pagers: golden pages in the ways CMSs write them. tests/data/pagers/<page>.html sits beside
<page>.pager.json (not .expected.json: they are not extraction goldens): the page's URL, the article's
first page, the page's number and the next page, or null."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pantau.extract.pager import (
    _MAYBE,
    CASE_TWINS,
    MAX_PAGES,
    PAGE_PARAMS,
    _maybe_pager,
    continues,
    is_pager_line,
    next_page,
)

PAGES = Path(__file__).resolve().parents[1] / "data" / "pagers"
CASES = sorted(p.name.removesuffix(".html") for p in PAGES.glob("*.html"))


@pytest.mark.parametrize("name", CASES)
def test_golden_pager(name: str) -> None:
    expected = json.loads((PAGES / f"{name}.pager.json").read_text())
    html = (PAGES / f"{name}.html").read_text()
    found = next_page(html, expected["url"], first=expected["first"], number=expected["number"])
    assert found == expected["next"]


def test_the_golden_set_covers_pagers_and_pages_without_one() -> None:
    outcomes = [json.loads((PAGES / f"{n}.pager.json").read_text())["next"] for n in CASES]
    assert sum(o is not None for o in outcomes) >= 7 and sum(o is None for o in outcomes) >= 3


def test_no_page_past_the_cap() -> None:
    html = (PAGES / "rel-next-in-head.html").read_text()
    url = "https://daerah.harian.example/2026/11/30/petani-panen-raya"
    assert next_page(html, url, first=url, number=MAX_PAGES) is None


@pytest.mark.parametrize(
    ("candidate", "ok"),
    [
        ("https://a.example/read/1/judul?page=2", True),
        ("https://a.example/read/1/judul/2", True),
        ("https://a.example/read/1/judul/page/3/", True),
        ("https://a.example/read/1/judul?start=1", True),
        ("https://b.example/read/1/judul?page=2", False),  # another host
        ("https://a.example/read/2/judul?page=2", False),  # another article
        ("https://a.example/read/1/judul-lain", False),
        ("https://a.example/read/1/judul?page=2&sort=new", False),  # more than a page marker
        ("https://a.example/read/1/judul/4567", False),  # an id, not a page number
        ("https://a.example/indeks?page=2", False),
        ("https://a.example/read/1/judul", False),  # the page itself
    ],
)
def test_a_continuation_only_adds_a_page_marker(candidate: str, ok: bool) -> None:
    assert continues("https://a.example/read/1/judul", candidate) is ok


_HTML_BITS = st.sampled_from(
    [
        "<p>Paragraf berita.</p>",
        '<a href="?page=2">2</a>',
        '<a href="/read/1/judul/2">Selanjutnya</a>',
        '<a href="https://evil.example/read/1/judul?page=2">Next</a>',
        '<link rel="next" href="/lain">',
        '<div class="pagination">Halaman <a href="/read/1/judul?page=3">3</a></div>',
        "<article><h2><a href='/x'>x</a></h2></article>",
        "<a href='javascript:void(0)'>Next</a>",
        "<a href='#top'>»</a>",
        "<a>",
        "</div>",
    ]
)


@given(st.lists(_HTML_BITS, max_size=20), st.integers(min_value=1, max_value=12))
def test_whatever_the_page_the_next_page_continues_the_article(bits: list[str], number: int) -> None:
    first = "https://a.example/read/1/judul"
    found = next_page("<html><body>" + "".join(bits), first, first=first, number=number)
    assert found is None or continues(first, found)


@pytest.mark.parametrize(
    ("text", "pager"),
    [
        ("Halaman 1 2 Selanjutnya", True),
        ("Halaman: 1 2 3", True),
        ("Pages: 1 2", True),
        ("« 1 2 3 »", True),
        ("1 2 Next page", True),
        ("Sebelumnya 1 2", True),
        ("Halaman 2 dari laporan itu menyebut 3 nama.", False),
        ("Pada 2 Desember 2026 rapat dimulai.", False),
        ("2026", False),
    ],
)
def test_a_pagers_own_line_is_told_from_article_text(text: str, pager: bool) -> None:
    assert is_pager_line(text) is pager


# Pieces of what the quick pager test looks for, in several cases, with what can sit around them and change
# the answer: word characters (ASCII and not), spaces, quotes, digits of other scripts, and the non-ASCII
# letters that IGNORECASE takes for ASCII ones.
_TEXT_BITS = st.sampled_from(
    [
        *("rel", "REL", "=", '"', "'", ">", " ", "\t", "\u00a0", ":", "-", "_", "?", "&", "&amp;"),
        *("next", "NEXT", "Next", "nExt", "ne", "xt", "selanjutnya", "Berikutnya", "LANJUT", "lanjutkan"),
        *("pag", "PAG", "Pag", "page", "Pages", "inat", "ing", "er", "numbers", "Links", "halaman", "HAL"),
        *("Paginate", "paging", "PAGER", "page-numbers", "pagenumbers", "Page-Links", "pagelinks"),
        *sorted(PAGE_PARAMS),
        *("PAGE", "Start", "1", "42", "\u0663", "x", "s", "é", "ß", "日本", "🙂", "\ud800"),
        *("\u0130", "\u0131", "\u017f", "\u212a", "İ", "ı", "ſ"),
    ]
)


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.one_of(_TEXT_BITS, st.text(max_size=2)), max_size=8))
def test_the_quick_pager_test_answers_as_the_pattern_does(bits: list[str]) -> None:
    html = "".join(bits)
    assert _maybe_pager(html) is (_MAYBE.search(html) is not None)


@pytest.mark.parametrize(
    "html",
    [
        '<link rel="next" href="/2">',
        "<a>Selanjutnya</a>",
        '<div class="Pagination">',
        '<ul class="paging">',
        '<nav class="pager">',
        '<span class="page-numbers">',
        '<div class="PageLinks">',
        "<p>Halaman 2</p>",
        "<span>Pages : 1 2</span>",
        '<a href="/a?foo=1&start=10">',
        '<a href="/a?PG=3">',
        "<a>Lanjut</a>",
        "<p>Pageſ: 2</p>",
        "<p>Ber\u0131\u212autnya</p>",
    ],
)
def test_the_quick_pager_test_sees_what_the_pattern_sees(html: str) -> None:
    assert _MAYBE.search(html) is not None
    assert _maybe_pager(html)


@pytest.mark.parametrize(
    "html",
    [
        "<p>Nextcloud, annext, pagoda</p>",
        '<a href="/a?x=1&pages=2&p=x">',
        "<p>épage:</p>",
        "<p>Pa\u0130ge: 2</p>",
    ],
)
def test_the_quick_pager_test_ignores_what_the_pattern_ignores(html: str) -> None:
    assert _MAYBE.search(html) is None
    assert not _maybe_pager(html)


def test_the_non_ascii_letters_ignorecase_takes_for_ascii_ones_are_all_known() -> None:
    everything = "".join(chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c < 0xE000)
    twins = re.findall("|".join(string.ascii_lowercase), everything, re.IGNORECASE)
    assert sorted(twins) == sorted(CASE_TWINS)
