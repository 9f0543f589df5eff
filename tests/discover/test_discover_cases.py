"""discover() on the fixture pages in data/, driven by cases.yaml."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pantau.discover import discover
from pantau.errors import DiscoverError
from pantau.models import Discovery, Link, Page

HERE = Path(__file__).parent
CASES: list[dict[str, Any]] = yaml.safe_load((HERE / "cases.yaml").read_text(encoding="utf-8"))


def _page(case: dict[str, Any]) -> Page:
    body = (HERE / "data" / case["file"]).read_bytes()
    url = case["url"]
    return Page(
        url=url, final_url=url, status=200, content_type=case["content_type"], charset=None, body=body
    )


def _run(case: dict[str, Any]) -> Discovery:
    pattern = re.compile(case["link_pattern"]) if "link_pattern" in case else None
    return discover(_page(case), links=case.get("links"), link_pattern=pattern)


def _as_dict(link: Link) -> dict[str, Any]:
    return {
        "url": link.url,
        "title": link.title,
        "published": link.published.isoformat() if link.published else None,
        "summary": link.summary,
    }


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_discover(case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(DiscoverError) as info:
            _run(case)
        assert case["error"] in str(info.value)
        return
    want = case["want"]
    found = _run(case)
    assert found.kind == want["kind"]
    assert found.feed_url == want.get("feed_url")
    if "count" in want:
        assert len(found.links) == want["count"]
    if "links" in want:
        got = [_as_dict(link) for link in found.links]
        assert [g["url"] for g in got] == [w["url"] for w in want["links"]]
        for g, w in zip(got, want["links"], strict=True):
            assert {k: g[k] for k in w} == w
    for link in found.links:
        assert link.url.startswith(("http://", "https://"))
        assert link.published is None or link.published.utcoffset() is not None
