"""The demo outlets' article pages as a worker receives them, and the demo's config."""

from __future__ import annotations

from pantau.analyse import ArticlePage
from pantau.demo.server import DEMO_SITE
from pantau.models import ArticleSelectors

DEMO_CONFIG = DEMO_SITE.parent / "config.yaml"


def demo_pages() -> list[ArticlePage]:
    selectors = ArticleSelectors(body=".detail-content", drop=(".baca-juga", ".komentar"))
    pages = [
        ArticlePage(path.read_bytes(), None, f"http://demo.test/warta/{path.name}", "warta", selectors)
        for path in sorted((DEMO_SITE / "warta").glob("p*"))
    ]
    pages += [
        ArticlePage(path.read_bytes(), "utf-8", f"http://demo.test/wire/news/{path.name}", "wire")
        for path in sorted((DEMO_SITE / "wire" / "news").rglob("*"))
        if path.is_file()
    ]
    assert len(pages) >= 8
    return pages
