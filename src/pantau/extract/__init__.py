"""Extraction: an article page (HTML) -> Extracted (title, body, time, author, language, canonical URL).

Public face:
    decode_html(body: bytes, charset: str | None) -> str     never raises; bad bytes are replaced
    extract_article(html: str, url: str, selectors: ArticleSelectors | None = None) -> Extracted
        raises ExtractError("extract: no article found in URL") when there is nothing article-like, and
        ExtractError("extract: bad CSS selector ...") for a selector Lexbor cannot parse; nothing else.
    selector_error(selector: str) -> str | None
        why a per-source CSS selector is unusable (None when it is fine): for config validation at load.

Inside: encoding (bytes -> text), nesting (defuse absurd depth), metadata (JSON-LD, meta, page), dates,
body (content scoring and cleanup), hints (furniture words), article (the glue).
Pure: no network, no clock, no store.
"""

from pantau.extract.article import extract_article, selector_error
from pantau.extract.encoding import decode_html

__all__ = ["decode_html", "extract_article", "selector_error"]
