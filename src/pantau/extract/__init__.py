"""Extraction: an article page (HTML) -> Extracted (title, body, time, author, language, canonical URL).

Public face:
    decode_html(body: bytes, charset: str | None) -> str     never raises; bad bytes are replaced
    extract_article(html: str, url: str, selectors: ArticleSelectors | None = None) -> Extracted
        raises ExtractError("extract: no article found in URL") when there is nothing article-like.

Pure: no network, no clock, no store.
"""

from pantau.extract.article import decode_html, extract_article

__all__ = ["decode_html", "extract_article"]
