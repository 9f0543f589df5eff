"""Extraction: an article page (HTML) -> Extracted (title, body, time, author, language, canonical URL).

Public face:
    decode_html(body: bytes, charset: str | None) -> str     never raises; bad bytes are replaced
    extract_article(html: str, url: str, selectors: ArticleSelectors | None = None,
                    fetched_at: datetime | None = None) -> Extracted
        `fetched_at` (aware) is the reference for relative dates ("2 jam lalu", "yesterday"); without it
        they stay unread. Raises ExtractError("extract: no article found in URL") when there is nothing article-like, and
        ExtractError("extract: bad CSS selector ...") for a selector Lexbor cannot parse; nothing else.
    selector_error(selector: str) -> str | None
        why a per-source CSS selector is unusable (None when it is fine): for config validation at load.

Inside: encoding (bytes -> text), nesting (defuse absurd depth), metadata (JSON-LD, meta, page), dates and
relative_dates, language (the guess for pages that declare none), body (content scoring and cleanup),
containers and siblings (which elements hold the article), hints (furniture words), article (the glue).
Pure: no network, no clock, no store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pantau.extract.encoding import decode_html
from pantau.extract.selectors import selector_error

if TYPE_CHECKING:
    from pantau.extract.article import extract_article

__all__ = ["decode_html", "extract_article", "selector_error"]


def __getattr__(name: str) -> Any:
    # The extractor (and its word lists) loads on first use, so `pantau check` does not pay for it.
    if name == "extract_article":
        from pantau.extract.article import extract_article

        return extract_article
    raise AttributeError(f"module 'pantau.extract' has no attribute {name!r}")
