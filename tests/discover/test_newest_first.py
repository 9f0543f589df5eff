"""Newest first: sitemap <lastmod>, the order of an index's children and of every source's links."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from pantau.discover import discover, newest_children, newest_first
from pantau.models import Link, Page


def _page(xml: str) -> Page:
    return Page("https://x.test/s.xml", "https://x.test/s.xml", 200, "application/xml", None, xml.encode())


def test_a_sitemap_index_gives_each_child_its_lastmod() -> None:
    found = discover(
        _page(
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            "<sitemap><loc>https://x.test/a.xml</loc><lastmod>2026-10-01</lastmod></sitemap>"
            "<sitemap><loc>https://x.test/b.xml</loc><lastmod>2026-11-30T08:00:00+07:00</lastmod></sitemap>"
            "<sitemap><loc>https://x.test/c.xml</loc></sitemap></sitemapindex>"
        ),
        links=None,
        link_pattern=None,
    )
    assert [c.updated for c in found.links] == [
        datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2026, 11, 30, 1, tzinfo=UTC),
        None,
    ]
    assert [c.url.rsplit("/", 1)[1] for c in newest_children(found.links)] == ["b.xml", "a.xml", "c.xml"]


def test_children_without_lastmod_go_by_the_date_in_their_url_else_by_position() -> None:
    urls = [
        "https://x.test/sitemap-2026-09.xml",
        "https://x.test/sitemap-2026-11.xml",
        "https://x.test/s-2026-10.xml",
    ]
    assert [c.url for c in newest_children(Link(u) for u in urls)] == [urls[1], urls[2], urls[0]]
    plain = ["https://x.test/post-sitemap.xml", "https://x.test/page-sitemap.xml"]
    assert [c.url for c in newest_children(Link(u) for u in plain)] == plain


def test_a_urlset_entry_without_a_news_date_is_dated_by_its_lastmod() -> None:
    found = discover(
        _page(
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            "<url><loc>https://x.test/old</loc><lastmod>2026-01-02</lastmod></url>"
            "<url><loc>https://x.test/new</loc><lastmod>2026-11-29</lastmod></url></urlset>"
        ),
        links=None,
        link_pattern=None,
    )
    assert [link.url for link in newest_first(found.links)] == ["https://x.test/new", "https://x.test/old"]
    assert found.links[0].published is None and found.links[0].dated == datetime(2026, 1, 2, tzinfo=UTC)


_DATES = st.one_of(st.none(), st.datetimes(timezones=st.just(UTC)))


@given(st.lists(st.tuples(_DATES, _DATES), max_size=30))
def test_newest_first_keeps_every_link_and_puts_the_dated_newest_first(dates: list[tuple]) -> None:  # type: ignore[type-arg]
    links = [Link(f"https://x.test/{i}", published=p, updated=u) for i, (p, u) in enumerate(dates)]
    ordered = newest_first(links)
    assert sorted(link.url for link in ordered) == sorted(link.url for link in links)
    stamps = [link.dated for link in ordered]
    dated = [d for d in stamps if d is not None]
    assert stamps[: len(dated)] == dated and dated == sorted(dated, reverse=True)
    undated = [link.url for link in links if link.dated is None]
    assert [link.url for link in ordered[len(dated) :]] == undated  # the undated keep the index's order
