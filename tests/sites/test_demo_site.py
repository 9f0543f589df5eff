"""The bundled sample outlets are well-formed and agree with their EXPECTED.md.

These tests check the fixture, not pantau: every linked article exists, the feed parses, EXPECTED.md names
every article, and a tiny reference matcher (the two demo rules written out by hand, run on the article
region each outlet marks up) gives exactly the verdicts EXPECTED.md promises. Where EXPECTED.md says a
watched word appears "only in" the menu, a box or the comments, the whole page must really alert, so the
trap is real.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.request import urlopen

import feedparser
import pytest
import yaml
from selectolax.lexbor import LexborHTMLParser
from support.site import ScriptedSite

from pantau.demo.server import DEMO_CONFIG, DEMO_SITE, SiteServer


@dataclass(frozen=True)
class Expected:
    source: str
    path: str
    title: str
    published: datetime
    nato: bool
    ukraine: bool
    why: str


def expected_rows() -> list[Expected]:
    rows = []
    for line in (DEMO_SITE / "EXPECTED.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 7 or not cells[1].startswith("/"):
            continue
        source, path, title, published, nato, ukraine, why = cells
        assert {nato, ukraine} <= {"yes", "no"}, line
        when = datetime.strptime(published, "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
        rows.append(Expected(source, path, title, when, nato == "yes", ukraine == "yes", why))
    return rows


EXPECTED = expected_rows()
ARTICLE_REGION = {  # (title selector, body selector, selectors removed from the body)
    "warta": ("h1.post-title", ".detail-content", (".baca-juga",)),
    "wire": ("h1", ".article-body", ()),
    "feedsite": ("h1.post-title", ".post-content", ()),
}


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with SiteServer(DEMO_SITE) as url:
        yield url


def fetch(url: str) -> tuple[str, str]:
    with urlopen(url, timeout=10) as response:
        return response.headers["Content-Type"], response.read().decode("utf-8")


def hrefs(url: str, selector: str = "a[href]") -> list[str]:
    tree = LexborHTMLParser(fetch(url)[1])
    return [urljoin(url, node.attributes["href"] or "") for node in tree.css(selector)]


def article_links(base: str) -> dict[str, set[str]]:
    """Article paths per source, found the way the demo config tells pantau to find them."""
    warta = {u for u in hrefs(base + "/warta/index.html") if re.search(r"/p\d+$", urlsplit(u).path)}
    wire = set(hrefs(base + "/wire/index.html", "a[href*='/news/']"))
    feed = feedparser.parse(fetch(base + "/feedsite/rss.xml")[1])
    feedsite = {entry.link for entry in feed.entries}
    return {
        name: {urlsplit(u).path for u in urls if not urlsplit(u).fragment}
        for name, urls in (("warta", warta), ("wire", wire), ("feedsite", feedsite))
    }


def test_expected_md_names_every_linked_article_and_nothing_else(base: str) -> None:
    found = article_links(base)
    named = {source: {row.path for row in EXPECTED if row.source == source} for source in found}
    assert found == named
    assert len(EXPECTED) == len({row.path for row in EXPECTED})
    assert [len(found[s]) for s in ("warta", "wire", "feedsite")] == [6, 6, 5]


@pytest.mark.parametrize("row", EXPECTED, ids=lambda row: row.path)
def test_every_article_is_served_as_utf8_html_with_its_title(base: str, row: Expected) -> None:
    content_type, page = fetch(base + row.path)
    assert content_type == "text/html; charset=utf-8"
    title_selector = ARTICLE_REGION[row.source][0]
    node = LexborHTMLParser(page).css_first(title_selector)
    assert node is not None and node.text(strip=True) == row.title


def test_wire_listing_has_non_article_links_the_selector_skips(base: str) -> None:
    every = {urlsplit(u).path for u in hrefs(base + "/wire/index.html")}
    articles = {row.path for row in EXPECTED if row.source == "wire"}
    others = every - articles
    assert {"/wire/about.html", "/wire/contact.html", "/wire/newsletter/signup.html"} <= others
    assert not any("/news/" in path for path in others)


def test_warta_listing_has_menu_sidebar_and_comment_anchors(base: str) -> None:
    tree = LexborHTMLParser(fetch(base + "/warta/index.html")[1])
    assert tree.css_first("nav.menu-utama") is not None
    sidebar = tree.css_first(".terpopuler")
    assert sidebar is not None and "Terpopuler" in sidebar.text()
    assert any(u.endswith("#komentar") for u in hrefs(base + "/warta/index.html"))


def test_feed_parses_and_is_found_from_the_home_page(base: str) -> None:
    tree = LexborHTMLParser(fetch(base + "/feedsite/index.html")[1])
    alternate = tree.css_first('link[rel="alternate"][type="application/rss+xml"]')
    assert alternate is not None and alternate.attributes["href"] == "/feedsite/rss.xml"

    feed = feedparser.parse(fetch(base + "/feedsite/rss.xml")[1])
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "rss20"
    tracked = [e.link for e in feed.entries if "utm_source=rss&utm_medium=feed" in e.link]
    assert 0 < len(tracked) < len(feed.entries)
    for entry in feed.entries:
        assert entry.link.startswith(base + "/feedsite/news/")
        assert entry.title and entry.description and entry.published_parsed


@pytest.mark.parametrize("row", EXPECTED, ids=lambda row: row.path)
def test_published_time_on_the_page_matches_expected(base: str, row: Expected) -> None:
    page = fetch(base + row.path)[1]
    assert page_time(row.source, page, base) == row.published


DAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember"]  # fmt: skip


def page_time(source: str, page: str, base: str) -> datetime:
    tree = LexborHTMLParser(page)
    if source == "warta":
        shown = tree.css_first(".tanggal")
        assert shown is not None
        found = re.fullmatch(r"(\w+), (\d+ \w+ \d{4}) \| (\d\d:\d\d) WIB", shown.text())
        assert found is not None, shown.text()
        day, date, clock = found.groups()
        d, month, y = date.split()
        hour, minute = (int(part) for part in clock.split(":"))
        local = datetime(int(y), MONTHS.index(month) + 1, int(d), hour, minute)
        assert DAYS[local.weekday()] == day, "the weekday must fit the date"
        return local.replace(tzinfo=timezone(timedelta(hours=7))).astimezone(UTC)
    if source == "wire":
        meta = tree.css_first('meta[property="article:published_time"]')
        assert meta is not None
        return datetime.fromisoformat(meta.attributes["content"] or "").astimezone(UTC)
    feed = feedparser.parse(fetch(base + "/feedsite/rss.xml")[1])
    canonical = tree.css_first('link[rel="canonical"]')
    assert canonical is not None
    [entry] = [e for e in feed.entries if e.link.split("?")[0] == canonical.attributes["href"]]
    return datetime.strptime(entry.published, "%a, %d %b %Y %H:%M:%S %z").astimezone(UTC)


# -- a reference matcher for the two demo rules -------------------------------------------------------


def concepts() -> dict[str, list[str]]:
    raw = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))["concepts"]
    flat: dict[str, list[str]] = {}
    for name, terms in raw.items():  # a concept is a list, or a mapping of language -> list
        flat[name] = terms if isinstance(terms, list) else [t for group in terms.values() for t in group]
    return flat


CONCEPTS = concepts()


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def has(text: str, terms: list[str]) -> bool:
    return any(re.search(rf"(?<!\w){re.escape(fold(t))}(?!\w)", fold(text)) for t in terms)


def verdicts(title: str, body: str) -> tuple[bool, bool]:
    both = title + "\n" + body
    partners = [t for c in ("ip4", "japan", "south_korea", "australia", "new_zealand") for t in CONCEPTS[c]]
    nato = has(both, CONCEPTS["nato"]) and has(both, partners)
    ukraine = has(title, CONCEPTS["ukraine"]) or (
        has(both, CONCEPTS["ukraine"]) and has(both, ["war", "perang", "aid", "bantuan"])
    )
    return nato, ukraine


def article_text(source: str, page: str) -> tuple[str, str]:
    title_selector, body_selector, drop = ARTICLE_REGION[source]
    tree = LexborHTMLParser(page)
    for selector in drop:
        for node in tree.css(selector):
            node.decompose()
    title, body = tree.css_first(title_selector), tree.css_first(body_selector)
    assert title is not None and body is not None
    return title.text(), body.text(separator="\n")


def test_demo_rules_are_the_ones_the_reference_matcher_mirrors() -> None:
    rules = {r["name"]: r["match"] for r in yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))["rules"]}
    assert rules == {
        "nato-indo-pacific": "@nato AND (@ip4 OR @japan OR @south_korea OR @australia OR @new_zealand)",
        "ukraine": "title:@ukraine OR (@ukraine AND (war OR perang OR aid OR bantuan))",
    }


@pytest.mark.parametrize("row", EXPECTED, ids=lambda row: row.path)
def test_article_text_gives_the_expected_verdicts(base: str, row: Expected) -> None:
    title, body = article_text(row.source, fetch(base + row.path)[1])
    assert verdicts(title, body) == (row.nato, row.ukraine)


@pytest.mark.parametrize("row", [r for r in EXPECTED if "only in" in r.why], ids=lambda row: row.path)
def test_words_outside_the_article_really_are_traps(base: str, row: Expected) -> None:
    page = LexborHTMLParser(fetch(base + row.path)[1])
    assert page.body is not None
    whole = verdicts("", page.body.text(separator="\n"))
    assert whole != (row.nato, row.ukraine), "a page that alerts only on its own text sets no trap"


def test_scripted_copy_serves_the_demo_site(tmp_path: Path) -> None:
    site = ScriptedSite.copy_of(DEMO_SITE, tmp_path)
    with site as url:
        found = article_links(url)  # its keys are fixed; what counts is the articles under them
    named = {source: {row.path for row in EXPECTED if row.source == source} for source in found}
    assert found == named
    assert [len(found[s]) for s in ("warta", "wire", "feedsite")] == [6, 6, 5]
