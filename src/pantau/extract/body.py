"""The article body of a parsed page, as a list of paragraphs.

The source's body selector when it matches, else the containers that scoring picks (containers.py). Either
way the chosen elements are read block by block (each block element and <br> starts a paragraph), skipping
furniture inside them, and lines that are not the article are dropped: "Baca juga"/"Read more" lines, link
lists, ad labels, the repeated headline.

Never changes the tree and never raises for any markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from pantau.errors import ExtractError
from pantau.extract import hints
from pantau.extract.containers import furniture_keys, outermost, select_containers
from pantau.extract.dates import is_dateline, parse_date

BLOCK_TAGS = frozenset(
    ("p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt",
     "dd", "blockquote", "pre", "table", "tbody", "thead", "tr", "td", "th", "br", "hr", "figure", "header",
     "footer", "address", "center", "details", "summary", "form", "fieldset", "nav", "aside")
)  # fmt: skip
_SPACE = re.compile(r"\s+")
_PROSE = 200  # characters read before a comments heading for it to end the article rather than label it
_BARE_URL = re.compile(r"(?:https?://|www\.)\S+$", re.IGNORECASE)
_WORD_CHAR = re.compile(r"[^\W_]")
# "By LISA MASCARO and ERIC TUCKER", "Von Anna Schmidt | 3. Mai 2022": a byline, not a sentence.
# "Posted on March 30, 2015 by Admin", "11/19/2019 by Lars Brandle": a name and a date.
_DATED_BYLINE = re.compile(
    r"^(?:posted|published|updated|von|par|por|oleh|diposting|ditulis)\s|(?:^|\s)by\s", re.IGNORECASE
)
_BYLINE = re.compile(r"^(?:by|von|par|por|di|oleh|written\s+by)\s+[^\W\d_]", re.IGNORECASE)


@dataclass
class _Block:
    text: str
    link_chars: int
    tag: str


def read_blocks(containers: Iterable[LexborNode], skipped: set[int]) -> Iterator[_Block]:
    """Text blocks in document order, leaving out `skipped` elements and anything after a comments heading:
    each block element (and each <br>) starts a new one."""
    read = 0
    for container in containers:
        for block in _walk(container, skipped):
            # Comment threads without telling class names still start with a "Komentar" heading, and come
            # after the article: nothing after one is read, in this container or the next. Before the first
            # paragraphs of prose it is a label or a comment count under the headline.
            line = block.text.strip()
            if len(line) < 60 and hints.COMMENTS_HEADING.match(line):
                if read >= _PROSE:
                    return
                continue
            if read < _PROSE:
                read += hints.text_weight(block.text.strip())
            yield block


def _walk(container: LexborNode, skipped: set[int]) -> Iterator[_Block]:
    parts: list[str] = []
    link_chars = 0
    link_depth = 0
    block_tags = [container.tag or "div"]
    # An explicit stack instead of recursion: pages nest thousands of elements deep.
    stack: list[tuple[LexborNode, bool]] = [(container, False)]
    while stack:
        node, leaving = stack.pop()
        tag = node.tag or ""
        if leaving:
            if tag in BLOCK_TAGS:
                if parts:
                    yield _Block("".join(parts), link_chars, block_tags[-1])
                    parts, link_chars = [], 0
                block_tags.pop()
            elif tag == "a":
                link_depth -= 1
            continue
        if tag == "-text":
            text = node.text_content or ""
            parts.append(text)
            if link_depth:
                link_chars += len(text.strip())
            continue
        if tag.startswith("-") or node.mem_id in skipped:
            continue
        if tag in BLOCK_TAGS:
            if parts:
                yield _Block("".join(parts), link_chars, block_tags[-1])
                parts, link_chars = [], 0
            if tag in ("br", "hr"):
                continue
            block_tags.append(tag)
        elif tag == "a":
            link_depth += 1
        stack.append((node, True))
        children = list(node.iter(include_text=True))
        stack.extend((child, False) for child in reversed(children))
    if parts:
        yield _Block("".join(parts), link_chars, block_tags[-1] if block_tags else "div")


def clean_paragraphs(blocks: Iterable[_Block], title: str) -> list[str]:
    """Block texts that belong to the article: no "Baca juga" lines, link lists or repeated headline."""
    title_key = _SPACE.sub(" ", title).strip().casefold()
    paragraphs: list[str] = []
    for block in blocks:
        text = " ".join(block.text.split())
        # A bare URL (a share box's "copy link") is no prose, and its slug must not feed matching.
        if not _WORD_CHAR.search(text) or _BARE_URL.match(text):
            continue
        # Casefolding never shortens a text: a longer one cannot be the headline (and needs no folding).
        if block.tag == "h1" or (title_key and len(text) <= len(title_key) and text.casefold() == title_key):
            continue
        density = block.link_chars / len(text)
        if density > 0.5 and len(text) < 400:
            continue
        if len(text) < 250 and hints.is_boilerplate_line(text):
            continue
        # The heading of a box of links ("You may also like"): its links go by their density.
        if len(text) < 60 and hints.RELATED_HEADING.match(text):
            continue
        if len(text) <= 80 and is_dateline(text):
            continue
        if len(text) <= 100 and text[-1] not in ".!?:;" and _BYLINE.match(text):
            continue
        if len(text) <= 100 and _DATED_BYLINE.search(text) and parse_date(text) is not None:
            continue
        if hints.is_credit_line(text):
            continue
        paragraphs.append(text)
    return paragraphs


def user_css(tree: LexborHTMLParser, selector: str) -> list[LexborNode]:
    """Matches of a selector from the source's settings; one Lexbor cannot parse is the user's error."""
    try:
        return tree.css(selector)
    except SelectolaxError as err:
        raise ExtractError(
            f"extract: bad CSS selector {selector!r} in the source's article settings ({err})"
        ) from err


def extract_body(tree: LexborHTMLParser, body_selector: str | None, title: str) -> list[str]:
    """Paragraphs of the article; `body_selector` (all matches, in order) overrides the automatic choice."""
    root = tree.body
    if root is None:
        return []
    if body_selector:
        chosen = outermost(user_css(tree, body_selector))
        if chosen:
            skipped: set[int] = set()
            for node in chosen:
                skipped.update(furniture_keys(node))
            # Lexbor's node.css() matches the node itself: what the user chose is never furniture.
            skipped.difference_update(node.mem_id for node in chosen)
            return clean_paragraphs(read_blocks(chosen, skipped), title)
        # A redesign that breaks the selector should degrade to automatic extraction, not silence alerts.
    containers, skipped = select_containers(root)
    return clean_paragraphs(read_blocks(containers, skipped), title)
