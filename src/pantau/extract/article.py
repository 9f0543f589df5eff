"""STUB — to be replaced by the extractor."""

from __future__ import annotations

from pantau.models import ArticleSelectors, Extracted


def decode_html(body: bytes, charset: str | None) -> str:
    raise NotImplementedError


def extract_article(html: str, url: str, selectors: ArticleSelectors | None = None) -> Extracted:
    raise NotImplementedError
