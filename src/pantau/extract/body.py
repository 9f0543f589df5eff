"""The article body of a parsed page, as a list of paragraphs.

Per-source selectors first; otherwise a content score of our own: paragraph text, commas and length feed their
ancestors, class/id words in English and Indonesian tilt the score, link-heavy containers lose. The winning
container (plus siblings that score nearly as well, so an article split by an inline ad stays whole) is read
block by block, leaving out furniture that sits inside it: "Baca juga" lines, link lists, share bars, captions.

Mutates only the tree it is given (removing furniture); never raises for any markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from pantau.extract import hints

BLOCK_TAGS = frozenset(
    "p div section article main h1 h2 h3 h4 h5 h6 li ul ol dl dt dd blockquote pre table tbody thead tr td th "
    "br hr figure header footer address center details summary form fieldset nav aside".split()
)
_HEADINGS = frozenset("h2 h3 h4 h5 h6".split())
_SCORED = "p, pre, blockquote, td, div, article, section"
_TAG_BASE = {
    "div": 5.0,
    "article": 8.0,
    "main": 8.0,
    "section": 3.0,
    "pre": 3.0,
    "td": 3.0,
    "blockquote": 3.0,
}
_SPACE = re.compile(r"\s+")
# Ancestor levels a paragraph's score reaches, and the share each receives.
_LEVEL_SHARE = (1.0, 0.5, 1 / 3, 0.25)


@dataclass
class _Block:
    text: str
    link_chars: int
    tag: str


def node_key(node: LexborNode) -> int:
    return node.mem_id


def outermost(nodes: Iterable[LexborNode]) -> list[LexborNode]:
    """The nodes that are not inside another of the given nodes, in the given order."""
    chosen = list(nodes)
    keys = {node_key(n) for n in chosen}
    keep: list[LexborNode] = []
    seen: set[int] = set()
    for node in chosen:
        if node_key(node) in seen:
            continue
        seen.add(node_key(node))
        parent = node.parent
        while parent is not None and node_key(parent) not in keys:
            parent = parent.parent
        if parent is None:
            keep.append(node)
    return keep


def remove_all(nodes: Iterable[LexborNode]) -> None:
    """Remove nodes from the tree; a node inside another one being removed is never touched again, because
    Lexbor frees the whole subtree."""
    for node in outermost(nodes):
        node.decompose()


def remove_furniture(root: LexborNode) -> None:
    """Remove navigation, asides, comments, related-link boxes, share bars ... found by tag, role or class."""
    page_chars = len(root.text(deep=True)) or 1
    candidates = root.css(hints.FURNITURE_SELECTOR)
    for node in root.css(hints.NEGATIVE_PREFILTER):
        words = f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}"
        if hints.is_furniture(words):
            candidates.append(node)
    doomed = []
    for node in candidates:
        if node.tag in ("body", "html", "main", "article"):
            continue
        # A wrapper that holds most of the page is the page itself, whatever its class says.
        if len(node.text(deep=True)) > 0.5 * page_chars and page_chars > 500:
            continue
        doomed.append(node)
    remove_all(doomed)


def select_containers(root: LexborNode) -> list[LexborNode]:
    """The element(s) that most likely hold the article, in document order."""
    scores: dict[int, float] = {}
    nodes: dict[int, LexborNode] = {}
    for para in root.css(_SCORED):
        deep = para.tag in ("p", "pre", "blockquote", "td")
        text = para.text(deep=deep).strip()
        if len(text) < 25:
            continue
        value = 1.0 + text.count(",") + text.count("、") + min(len(text) / 100, 3.0)
        ancestor = para.parent
        for share in _LEVEL_SHARE:
            if ancestor is None or ancestor.tag in ("body", "html"):
                break
            key = node_key(ancestor)
            if key not in scores:
                nodes[key] = ancestor
                scores[key] = _initial_score(ancestor)
            scores[key] += value * share
            ancestor = ancestor.parent
    if not scores:
        return [root]
    final = {key: score * (1 - _link_density(nodes[key])) for key, score in scores.items()}
    best_key = max(final, key=lambda k: final[k])
    best = nodes[best_key]
    return _with_siblings(best, final[best_key], final)


def _initial_score(node: LexborNode) -> float:
    attrs = node.attributes
    words = f"{attrs.get('class') or ''} {attrs.get('id') or ''}".strip()
    return _TAG_BASE.get(node.tag or "", 0.0) + hints.class_weight(words)


def _link_density(node: LexborNode) -> float:
    total = len(node.text(deep=True))
    if total == 0:
        return 1.0
    linked = sum(len(a.text(deep=True)) for a in node.css("a"))
    return min(linked / total, 1.0)


def _with_siblings(best: LexborNode, best_score: float, final: dict[int, float]) -> list[LexborNode]:
    parent = best.parent
    if parent is None:
        return [best]
    threshold = max(10.0, best_score * 0.2)
    chosen: list[LexborNode] = []
    for sibling in parent.iter(include_text=False):
        if node_key(sibling) == node_key(best):
            chosen.append(sibling)
        elif final.get(node_key(sibling), 0.0) >= threshold or _is_plain_paragraph(sibling):
            chosen.append(sibling)
    return chosen


def _is_plain_paragraph(node: LexborNode) -> bool:
    if node.tag != "p":
        return False
    text = node.text(deep=True).strip()
    return len(text) > 80 and _link_density(node) < 0.25


def read_blocks(containers: Iterable[LexborNode]) -> Iterator[_Block]:
    """Text blocks in document order: each block element (and each <br>) starts a new one."""
    for container in containers:
        yield from _walk(container)


def _walk(container: LexborNode) -> Iterator[_Block]:
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
        if tag.startswith("-"):
            continue
        if tag in BLOCK_TAGS or tag == "br":
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
        text = _SPACE.sub(" ", block.text).strip()
        if not text or not any(ch.isalnum() for ch in text):
            continue
        if block.tag == "h1" or (title_key and text.casefold() == title_key):
            continue
        density = block.link_chars / len(text)
        if density > 0.5 and len(text) < 400:
            continue
        if len(text) < 250 and hints.BOILERPLATE_LINE.match(text):
            continue
        paragraphs.append(text)
    return paragraphs


def extract_body(tree: LexborHTMLParser, body_selector: str | None, title: str) -> list[str]:
    """Paragraphs of the article; `body_selector` (all matches, in order) overrides the automatic choice."""
    root = tree.body
    if root is None:
        return []
    remove_all(root.css("figcaption, [hidden], [aria-hidden=true]"))
    if body_selector:
        chosen = outermost(tree.css(body_selector))
        if chosen:
            for node in chosen:
                remove_furniture(node)
            return clean_paragraphs(read_blocks(chosen), title)
        # A redesign that breaks the selector should degrade to automatic extraction, not silence alerts.
    remove_furniture(root)
    return clean_paragraphs(read_blocks(select_containers(root)), title)
