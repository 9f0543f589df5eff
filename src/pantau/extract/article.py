"""extract_article: one parsed page -> Extracted, gluing metadata and body together.

Order matters: the source's `drop` selectors go first, metadata is read while scripts (JSON-LD) still exist,
then scripts and other non-text elements are removed and the body is found. Raises only ExtractError.
"""

from __future__ import annotations

from datetime import datetime

from selectolax.lexbor import LexborHTMLParser

from pantau.errors import ExtractError
from pantau.extract import hints
from pantau.extract.body import extract_body, user_css
from pantau.extract.containers import remove_all
from pantau.extract.dates import parse_date
from pantau.extract.metadata import read_metadata
from pantau.extract.nesting import limit_nesting
from pantau.extract.selectors import selector_error
from pantau.models import ArticleSelectors, Extracted

__all__ = ["extract_article", "selector_error"]


def extract_article(
    html: str, url: str, selectors: ArticleSelectors | None = None, fetched_at: datetime | None = None
) -> Extracted:
    """Read the article in `html` (fetched from `url` at `fetched_at`); see pantau.extract for the contract."""
    try:
        return _extract(html, url, selectors or ArticleSelectors(), fetched_at)
    except ExtractError:
        raise
    except Exception as err:
        # Last line of defence: a page must never crash a poll with a raw traceback.
        raise ExtractError(f"extract: could not read {url}: {type(err).__name__}: {err}") from err


def _extract(html: str, url: str, selectors: ArticleSelectors, fetched_at: datetime | None) -> Extracted:
    if "text/template" in html:
        # Blogger and some SPAs ship the post as markup inside <script type="text/template">.
        html = _with_templates_opened(html)
    tree = LexborHTMLParser(limit_nesting(html))
    for selector in selectors.drop:
        remove_all(user_css(tree, selector))
    meta = read_metadata(tree, url, fetched_at)
    title = _override_text(tree, selectors.title) or meta.title or ""
    published = meta.published
    if selectors.published:
        published = _override_date(tree, selectors.published, meta.lang, fetched_at) or published
    _unwrap_page_noscript(tree)
    tree.strip_tags(list(hints.JUNK_TAGS))
    paragraphs = extract_body(tree, selectors.body, title)
    if not paragraphs:
        raise ExtractError(f"extract: no article found in {url}")
    return Extracted(
        title=title,
        body="\n\n".join(paragraphs),
        published=published,
        updated=meta.updated,
        author=meta.author,
        lang=meta.lang,
        canonical_url=meta.canonical_url,
        image=meta.image,
    )


def _override_text(tree: LexborHTMLParser, selector: str | None) -> str | None:
    if not selector:
        return None
    found = user_css(tree, selector)
    node = found[0] if found else None
    text = " ".join(node.text(deep=True).split()) if node else ""
    return text or None


def _override_date(
    tree: LexborHTMLParser, selector: str, lang: str | None, fetched_at: datetime | None
) -> datetime | None:
    found = user_css(tree, selector)
    if not found:
        return None
    node = found[0]
    attrs = node.attributes
    for candidate in (attrs.get("datetime"), attrs.get("content"), node.text(deep=True)):
        parsed = parse_date(candidate, lang, fetched_at)
        if parsed is not None:
            return parsed
    return None


def _unwrap_page_noscript(tree: LexborHTMLParser) -> None:
    """Some sites put the whole page for script-less readers in <noscript>: that one is the page, not junk."""
    body = tree.body
    if body is None:
        return
    for node in body.css("noscript"):
        text = len(node.text(deep=True).strip())
        if text > 200 and text > 0.5 * len(body.text(deep=True).strip()):
            node.unwrap()


def _with_templates_opened(html: str) -> str:
    """`html` with each <script type="text/template"> that holds plain HTML paragraphs turned into a <div>
    (not JSON, not a mustache template with placeholders). A scan by str.find: a regex over the whole page
    costs milliseconds."""
    pieces: list[str] = []
    done = 0
    at = html.find("text/template")
    while at != -1:
        start = html.rfind("<script", done, at)
        open_end = html.find(">", at)
        close = html.find("</script", open_end) if open_end != -1 else -1
        if start == -1 or open_end == -1 or close == -1:
            break
        content = html[open_end + 1 : close]
        in_open_tag = html.find(">", start, at) == -1  # the type attribute, not a word in a script
        if in_open_tag and content.lstrip().startswith("<") and "<p" in content and "{{" not in content:
            pieces.append(html[done:start])
            pieces.append(f"<div>{content}</div>")
            done = html.find(">", close) + 1 or len(html)
        at = html.find("text/template", close)
    pieces.append(html[done:])
    return "".join(pieces)
