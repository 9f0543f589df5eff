"""Per-source selectors (selector_cases.yaml): body, title and published override, drop removes first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pantau.errors import ExtractError
from pantau.extract import extract_article, selector_error
from pantau.models import ArticleSelectors

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "selector_cases.yaml").read_text("utf-8")
)
URL = "https://kabarnusa.example/berita/1"


def _selectors(raw: dict[str, Any]) -> ArticleSelectors:
    return ArticleSelectors(
        body=raw.get("body"),
        title=raw.get("title"),
        published=raw.get("published"),
        drop=tuple(raw.get("drop", ())),
    )


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_selectors(case: dict[str, Any]) -> None:
    got = extract_article(case["html"], URL, _selectors(case["selectors"]))
    if "body" in case:
        assert got.body.split("\n\n") == case["body"]
    if "title" in case:
        assert got.title == case["title"]
    if "published" in case:
        assert got.published is not None
        assert got.published.isoformat() == case["published"]
    for word in case.get("absent", []):
        assert word in case["html"]
        assert word not in got.body


@pytest.mark.parametrize("selectors", [ArticleSelectors(body="div["), ArticleSelectors(drop=("p:::x",))])
def test_unparsable_selector_is_an_extract_error(selectors: ArticleSelectors) -> None:
    with pytest.raises(ExtractError, match=r"^extract: bad CSS selector"):
        extract_article(
            "<article><p>Teks berita yang cukup panjang untuk dibaca.</p></article>", URL, selectors
        )


@pytest.mark.parametrize(
    ("selector", "usable"),
    [
        (".detail-content", True),
        ("div.isi > p, .baca-juga", True),
        ("div[", False),
        ("p:::x", False),
        ("  ", False),
    ],
)
def test_selector_error_for_config_validation(selector: str, usable: bool) -> None:
    assert (selector_error(selector) is None) is usable
