"""discover() on awkward input: sniffing against lying headers, encodings, gzip, hostile documents."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pantau.discover import discover, sitemap
from pantau.errors import DiscoverError
from pantau.models import Discovery, Page

URL = "https://outlet.example.id/index"
RSS = (
    '<rss version="2.0"><channel><title>T</title>'
    "<item><title>Seoul</title><link>https://outlet.example.id/a</link></item>"
    "</channel></rss>"
)


def page(body: bytes, content_type: str = "", charset: str | None = None) -> Page:
    return Page(url=URL, final_url=URL, status=200, content_type=content_type, charset=charset, body=body)


def run(body: bytes, content_type: str = "", **kw: object) -> Discovery:
    links = kw.get("links")
    pattern = kw.get("link_pattern")
    assert links is None or isinstance(links, str)
    assert pattern is None or isinstance(pattern, re.Pattern)
    return discover(page(body, content_type), links=links, link_pattern=pattern)


def urls(found: Discovery) -> list[str]:
    return [link.url for link in found.links]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(RSS.encode(), "text/plain", id="plain-text-header"),
        pytest.param(b"\xef\xbb\xbf \n\t" + RSS.encode(), "text/html", id="utf8-bom-and-whitespace"),
        pytest.param(
            b'<?xml version="1.0"?>\n<!-- hi -->\n' + RSS.encode(), "", id="declaration-and-comment"
        ),
        pytest.param(b'<?xml-stylesheet href="s.xsl"?>' + RSS.encode(), "text/html", id="stylesheet-pi"),
        pytest.param(
            '<?xml version="1.0" encoding="utf-16"?>'.encode("utf-16") + RSS.encode("utf-16-le"),
            "",
            id="utf16",
        ),
    ],
)
def test_feed_recognised_by_content(body: bytes, content_type: str) -> None:
    found = run(body, content_type)
    assert (found.kind, urls(found)) == ("feed", ["https://outlet.example.id/a"])


def test_feed_type_header_on_plain_text_is_an_error() -> None:
    with pytest.raises(DiscoverError, match=r"^discover: not a valid feed \(.+\) at https://outlet"):
        run(b"Service temporarily unavailable, try again later", "application/rss+xml")


def test_html_without_type_and_unknown_root_is_read_as_html() -> None:
    found = run(b'<div><a href="/p1">One</a></div>', "", link_pattern=re.compile(r"/p\d"))
    assert (found.kind, urls(found)) == ("listing", ["https://outlet.example.id/p1"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "discover: empty response (HTTP 200) from " + URL),
        (b"  \n ", "discover: empty response (HTTP 200) from " + URL),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "not a valid feed (invalid JSON"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": {}}', "JSON Feed without items"),
    ],
)
def test_unreadable_bodies(body: bytes, message: str) -> None:
    with pytest.raises(DiscoverError) as info:
        run(body, "application/feed+json")
    assert message in str(info.value)


def test_plain_json_is_not_a_feed() -> None:
    with pytest.raises(DiscoverError, match="JSON without a jsonfeed version"):
        run(b'{"status": "ok", "data": []}', "application/json")


def test_feed_body_naming_a_local_file_is_not_opened(tmp_path: Path) -> None:
    # feedparser opens a bytes argument as a file name when it can: a server must not make us read files
    local = tmp_path / "secret.xml"
    local.write_text(RSS)
    with pytest.raises(DiscoverError):
        run(str(local).encode(), "application/rss+xml")


def test_gzipped_sitemap_is_inflated() -> None:
    xml = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>/p1</loc></url></urlset>'
    found = run(gzip.compress(xml), "application/x-gzip")
    assert (found.kind, urls(found)) == ("sitemap", ["https://outlet.example.id/p1"])


def test_gzipped_sitemap_over_cap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sitemap, "GZIP_MAX_BYTES", 10_000)
    xml = b"<urlset>" + b"<url><loc>https://outlet.example.id/p</loc></url>" * 1000 + b"</urlset>"
    with pytest.raises(DiscoverError, match="sitemap larger than"):
        run(gzip.compress(xml), "application/x-gzip")


def test_comments_feed_only_when_alone() -> None:
    html = b"""<html><head>
      <link rel="alternate" type="application/rss+xml" title="Comments" href="/comments/feed/">
      <link rel="alternate" type="application/atom+xml" title="Articles" href="/feed/atom/">
    </head><body></body></html>"""
    assert run(html, "text/html").feed_url == "https://outlet.example.id/feed/atom/"
    alone = (
        b'<html><head><link rel="alternate" type="application/rss+xml" href="/comments/feed/"></head></html>'
    )
    assert run(alone, "text/html").feed_url == "https://outlet.example.id/comments/feed/"


def test_relative_base_href() -> None:
    html = b'<html><head><base href="/section/"></head><body><a href="story-9">Nine</a></body></html>'
    assert urls(run(html, "text/html", links="a")) == ["https://outlet.example.id/section/story-9"]


_PREFIXES = st.sampled_from(
    [
        b"",
        b"<rss",
        b'<rss version="2.0"><channel><item><link>',
        b"<rdf:RDF",
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry>',
        b"<urlset><url><loc>",
        b"<sitemapindex><sitemap><loc>",
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"url": ',
        b"<!DOCTYPE html><html><head><link rel=alternate type=application/rss+xml href=",
        b"\x1f\x8b",
    ]
)
_TYPES = st.sampled_from(
    ["", "text/html", "application/rss+xml", "application/json", "text/xml", "image/png"]
)


@settings(max_examples=150, deadline=None)
@given(_PREFIXES, st.binary(max_size=300), _TYPES, st.sampled_from([None, "a", "h2 a"]))
def test_any_bytes_give_a_discovery_or_a_discover_error(
    prefix: bytes, tail: bytes, content_type: str, links: str | None
) -> None:
    try:
        found = run(prefix + tail, content_type, links=links)
    except DiscoverError as exc:
        assert str(exc).startswith("discover: ")
        return
    for link in found.links:
        assert link.url.startswith(("http://", "https://"))
