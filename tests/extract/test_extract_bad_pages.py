"""Pages that are not articles, or are hostile: a clear ExtractError or a best effort, never another exception."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pantau.errors import ExtractError
from pantau.extract import decode_html, extract_article

URL = "https://kabarnusa.example/a/1"
PARAGRAPH = (
    "<p>Menteri Pertahanan Jepang bertemu mitranya dari Australia, membahas latihan bersama di Darwin.</p>"
)


@pytest.mark.parametrize(
    "html",
    [
        pytest.param("", id="empty"),
        pytest.param("   \n\t ", id="whitespace"),
        pytest.param("<html><head><title></title></head><body></body></html>", id="empty-body"),
        pytest.param("<script>document.write('<p>NATO</p>')</script>" * 50, id="script-only"),
        pytest.param(
            "<html><frameset cols='50%,50%'><frame src='a.html'><frame src='b.html'></frameset></html>",
            id="frameset",
        ),
        pytest.param("<html><body><img src=a.jpg><img src=b.jpg></body></html>", id="images-only"),
        pytest.param("<table>" * 5000, id="unclosed-tables"),
    ],
)
def test_no_article_found(html: str) -> None:
    with pytest.raises(ExtractError, match=r"^extract: no article found in https://kabarnusa\.example/a/1$"):
        extract_article(html, URL)


@pytest.mark.parametrize(
    ("html", "must_contain"),
    [
        pytest.param("<div>" * 200_000 + PARAGRAPH + "</div>" * 200_000, "Darwin", id="200k-nested-divs"),
        pytest.param("<div><span>" * 100_000 + PARAGRAPH, "Darwin", id="100k-unclosed-nesting"),
        pytest.param("<b>" * 50_000 + PARAGRAPH, "Darwin", id="50k-unclosed-bold"),
        pytest.param(
            "<html><body><p>" + "Ukraina dan NATO, " * 280_000 + "</p></body></html>",
            "Ukraina dan NATO",
            id="5mb-single-line",
        ),
        pytest.param(
            "<p>NATO \x00 dan\x00 Jepang bertemu di Brussel pekan ini untuk membahas latihan.</p>",
            "Jepang",
            id="nul",
        ),
        pytest.param(
            "<body><p>Tokyo and Canberra sign a defence pact, officials said on Monday.",
            "Canberra",
            id="unclosed",
        ),
    ],
)
def test_hostile_markup_gives_a_best_effort(html: str, must_contain: str) -> None:
    assert must_contain in extract_article(html, URL).body


def test_broken_encoding_is_survived() -> None:
    raw = b"<html><body><p>Jepang \xff\xfe\x80 dan Korea Selatan \xc3( menggelar latihan bersama di laut.</p>"
    got = extract_article(decode_html(raw, "utf-8"), URL)
    assert "Korea Selatan" in got.body


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/=\"' abcdivpscrt!-&;#\n")), max_size=400))
def test_any_markup_raises_nothing_but_extract_error(html: str) -> None:
    try:
        got = extract_article(html, URL)
    except ExtractError as err:
        assert str(err).startswith("extract: ")
    else:
        assert got.body.strip()
