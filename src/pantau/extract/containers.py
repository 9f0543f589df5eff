"""Which element(s) of a page hold the article: furniture detection and content scoring.

Furniture (navigation, asides, comments, related links, share bars ...) is found by tag, role and class/id
words; layout wrappers that merely carry such a word are told apart by how much paragraph text they hold.
Paragraphs (text, commas, length, discounted for link text) feed their nearest ancestors, class/id words tilt
the score, link-heavy containers lose. The best container comes back with its siblings that score well and its
"twins" (same tag and classes: articles cut into chunks around ads or figures).

Reads the tree; the only mutation is remove_all(), which callers use explicitly. Never raises for any markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from selectolax.lexbor import LexborNode, SelectolaxError

from pantau.extract import hints
from pantau.extract.siblings import with_neighbours

_INLINE_TAGS = frozenset(
    ["span", "a", "b", "strong", "i", "em", "font", "u", "small", "sup", "sub", "mark", "q"]
)
_SELF_CONTAINED = frozenset(["div", "article", "section", "td", "blockquote"])
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
_PLAIN_CLASS = re.compile(r"^-?[A-Za-z_][\w-]*$")
# Elements whose class/id is checked for furniture words. Links, list items, images and headings are left
# out: they are many (half of all classed elements) and their container already says what they are.
_CLASSED_CONTAINER_TAGS = frozenset(
    ["div", "section", "ul", "ol", "p", "span", "form", "table", "figure", "dl", "center", "font"]
)
# Ancestor levels a paragraph's score reaches, and the share each receives.
_LEVEL_SHARE = (1.0, 0.5, 1 / 3, 0.25)


# A text-bearing block, its value, and the keys of itself and all its ancestors (nearest first).
_Paragraph = tuple[LexborNode, float, list[int]]


def outermost(nodes: Iterable[LexborNode]) -> list[LexborNode]:
    """The nodes that are not inside another of the given nodes, in the given order."""
    chosen = list(nodes)
    keys = {n.mem_id for n in chosen}
    keep: list[LexborNode] = []
    seen: set[int] = set()
    for node in chosen:
        if node.mem_id in seen:
            continue
        seen.add(node.mem_id)
        parent = node.parent
        while parent is not None and parent.mem_id not in keys:
            parent = parent.parent
        if parent is None:
            keep.append(node)
    return keep


def remove_all(nodes: Iterable[LexborNode]) -> None:
    """Remove nodes from the tree; a node inside another one being removed is never touched again, because
    Lexbor frees the whole subtree."""
    for node in outermost(nodes):
        node.decompose()


def furniture_keys(root: LexborNode) -> dict[int, LexborNode]:
    """Elements under `root` that look like navigation, asides, comments, related links, share bars ..."""
    found = {n.mem_id: n for n in root.css(hints.FURNITURE_SELECTOR)}
    for node in root.css("[class], [id]"):
        # One simple selector and a tag test in Python: Lexbor pays per selector in a list.
        if node.tag not in _CLASSED_CONTAINER_TAGS:
            continue
        attrs = node.attributes
        if hints.is_furniture_element(attrs.get("class"), attrs.get("id")):
            found[node.mem_id] = node
    for key in [k for k, n in found.items() if n.tag in ("body", "html", "main") or _is_article_header(n)]:
        del found[key]
    return found


def _is_article_header(node: LexborNode) -> bool:
    """A <header> that holds a paragraph of prose (a lede, a long subheadline) is the article's own, not the
    site's."""
    if node.tag != "header" or hints.is_furniture(_class_words(node)):
        return False
    for para in node.css("p, h2, h3, h4"):
        text, linked = _own_text(para)
        if len(text.strip()) >= 80 and linked < 0.2 * len(text):
            return True
    return False


def _paragraphs(root: LexborNode) -> list[_Paragraph]:
    """Text-bearing blocks with their value and the keys of all their ancestors (nearest first)."""
    found = []
    lineages: dict[int, tuple[tuple[int, ...], bool]] = {}
    for para in root.css(_SCORED):
        raw, linked = _own_text(para)
        text = raw.strip()
        # Teasers (a headline link plus a blurb) and link lists are not article paragraphs.
        # The value stops growing at 300 characters: only shorter texts need CJK characters counted.
        size = len(text) if len(text) >= 300 else hints.text_weight(text)
        if size < 25 or linked > 0.5 * len(raw):
            continue
        path, in_link = _lineage(para.parent, lineages)
        # Blocks inside a link are teaser cards, whatever their text.
        if in_link:
            continue
        value = (1.0 + text.count(",") + text.count("、") + text.count("，") + min(size / 100, 3.0)) * (
            1 - linked / len(raw)
        )
        found.append((para, value, [para.mem_id, *path]))
    return found


def _lineage(
    node: LexborNode | None, memo: dict[int, tuple[tuple[int, ...], bool]]
) -> tuple[tuple[int, ...], bool]:
    """Keys of `node` and all its ancestors (nearest first), and whether one of them is a link. Paragraphs
    share parents, so this is memoised."""
    climbed: list[LexborNode] = []
    tail: tuple[int, ...] = ()
    in_link = False
    while node is not None:
        known = memo.get(node.mem_id)
        if known is not None:
            tail, in_link = known
            break
        climbed.append(node)
        node = node.parent
    for ancestor in reversed(climbed):
        tail = (ancestor.mem_id, *tail)
        in_link = in_link or ancestor.tag == "a"
        memo[ancestor.mem_id] = (tail, in_link)
    return tail, in_link


def select_containers(root: LexborNode) -> tuple[list[LexborNode], set[int]]:
    """The element(s) that most likely hold the article, in document order, and the furniture to skip."""
    furniture = furniture_keys(root)
    paragraphs = _paragraphs(root)
    densities: dict[int, float] = {}
    skipped = _furniture_to_skip(furniture, paragraphs, densities)
    final, nodes = _score(paragraphs, skipped, densities)
    if not final:
        return [root], skipped
    best_key = max(final, key=lambda k: final[k])
    best = nodes[best_key]
    containers: list[LexborNode] = []
    chunks = _chunks(root, best, final[best_key], final)
    holders = _holders(skipped, furniture)
    for chunk in chunks:
        containers.extend(with_neighbours(chunk, final[best_key], final, skipped, holders))
    # A twin can also be a neighbour of another: keep each element once, in document order.
    kept = outermost(containers)
    if len(chunks) > 1:
        position = {node.mem_id: index for index, node in enumerate(root.traverse())}
        kept.sort(key=lambda node: position.get(node.mem_id, 0))
    return kept, skipped


def _holders(skipped: set[int], furniture: dict[int, LexborNode]) -> set[int]:
    """Keys of the elements that hold skipped furniture somewhere inside them."""
    found: set[int] = set()
    for key in skipped:
        parent = furniture[key].parent
        while parent is not None and parent.mem_id not in found:
            found.add(parent.mem_id)
            parent = parent.parent
    return found


def _furniture_to_skip(
    furniture: dict[int, LexborNode], paragraphs: list[_Paragraph], densities: dict[int, float]
) -> set[int]:
    """Furniture minus the layout wrappers that merely carry a furniture word (Blogger wraps every post in a
    "widget", The Verge puts articles in "l-sidebar-fixed", The Hill in "content-with-sidebar-wrp", Business
    Insider in a display:none <div>). A wrapper is kept when it holds most of the page's paragraph text, or
    surrounds or holds most of the container that scores best before anything is skipped; comment threads,
    related-link boxes and share bars (hints.is_strong_furniture) are never kept."""
    if not furniture:
        return set()
    mass = _mass(furniture, paragraphs, None)
    total = sum(value for _, value, _ in paragraphs)
    # Comment threads and related-link boxes stay out whatever their size: a NATO headline in them must
    # never reach matching. Other furniture words also name layout wrappers, which hold most of the text.
    skipped = {
        key
        for key, held in mass.items()
        if held <= 0.5 * total or total == 0 or hints.is_strong_furniture(_class_words(furniture[key]))
    }
    # Only a wrapper that holds a fair share of the text can be the article's: otherwise skip the extra pass.
    if all(mass[key] < 0.1 * total for key in skipped):
        return skipped
    final, nodes = _score(paragraphs, set(), densities)
    if not final:
        return skipped
    best_key = max(final, key=lambda k: final[k])
    within = _mass(furniture, paragraphs, best_key)
    best_mass = sum(value for _, value, path in paragraphs if best_key in path)
    kept = {key for key, held in within.items() if held > 0.5 * best_mass}
    lineage: LexborNode | None = nodes[best_key]
    while lineage is not None:
        kept.add(lineage.mem_id)
        lineage = lineage.parent
    for key in kept & skipped:
        node = furniture[key]
        if not hints.is_strong_furniture(_class_words(node)) or (
            mass[key] > 0.5 * total and _holds_article_body(node)
        ):
            skipped.discard(key)
    return skipped


def _holds_article_body(node: LexborNode) -> bool:
    """Does this element hold an element named like an article body ("entry-content", "article-text")? Then
    a strong furniture word on it ("socialicons-sticky") names a layout wrapper, not a share bar."""
    for inner in node.css("[class]"):
        if inner.tag not in _CLASSED_CONTAINER_TAGS and inner.tag != "article":
            continue
        words = _class_words(inner)
        if hints.class_weight(words) > 0 and not hints.is_furniture(words):
            return True
    return False


def _mass(
    furniture: dict[int, LexborNode], paragraphs: list[_Paragraph], inside: int | None
) -> dict[int, float]:
    """Paragraph value held by each furniture element (only paragraphs inside `inside`, when given)."""
    mass = dict.fromkeys(furniture, 0.0)
    for _, value, path in paragraphs:
        if inside is not None and inside not in path:
            continue
        for key in path:
            if key in mass:
                mass[key] += value
    return mass


def _score(
    paragraphs: list[_Paragraph], skipped: set[int], densities: dict[int, float]
) -> tuple[dict[int, float], dict[int, LexborNode]]:
    """Readability-style scores of the paragraphs' nearest ancestors, times (1 - their link density)."""
    scores: dict[int, float] = {}
    nodes: dict[int, LexborNode] = {}
    for para, value, path in paragraphs:
        if skipped and skipped.intersection(path):
            continue
        # A <div> that holds its own text (paragraphs split by <br>) is itself the container.
        ancestor = para if para.tag in _SELF_CONTAINED else para.parent
        for share in _LEVEL_SHARE:
            if ancestor is None or ancestor.tag in ("body", "html"):
                break
            key = ancestor.mem_id
            if key not in scores:
                nodes[key] = ancestor
                scores[key] = _initial_score(ancestor)
            scores[key] += value * share
            ancestor = ancestor.parent
    if not scores:
        return {}, nodes
    # Link density costs a subtree walk: only candidates that could matter get one.
    floor = 0.1 * max(scores.values())
    final = {}
    for key, score in scores.items():
        if score >= floor:
            if key not in densities:
                densities[key] = _link_density(nodes[key])
            final[key] = score * (1 - densities[key])
    return final, nodes


def _chunks(
    root: LexborNode, best: LexborNode, best_score: float, final: dict[int, float]
) -> list[LexborNode]:
    """The best container and its twins: pages that cut an article into chunks (Wired's grid rows, Quanta's
    sections between figures, a CMS that closes the body <div> around each inline ad) repeat the chunk's
    tag and class, so each twin that scores well is part of the article too. In document order."""
    classes = best.attributes.get("class")
    if not classes or '"' in classes or "\\" in classes:
        return [best]
    names = classes.split()
    try:
        if names and all(_PLAIN_CLASS.match(name) for name in names):
            # Every class of the best chunk, and maybe more ("block-text block-text_initial-letter").
            twins = root.css((best.tag or "div") + "".join(f".{name}" for name in names))
        else:
            twins = root.css(f'{best.tag}[class="{classes}"]')
    except SelectolaxError:
        # A class Lexbor cannot put in a selector: the page's fault, not the user's settings.
        return [best]
    kept = [n for n in twins if n.mem_id == best.mem_id or final.get(n.mem_id, 0.0) >= 0.1 * best_score]
    return outermost(kept) or [best]


def _own_text(node: LexborNode) -> tuple[str, int]:
    """The text a block holds itself (for a <div>: its text and inline children, not nested blocks), and how
    many of its characters are link text."""
    if node.tag in ("p", "pre"):
        # Phrasing content only (the parser closes a <p> at any block), so the deep text is its own.
        text = node.text(deep=True)
        linked = sum(len(child.text(deep=True)) for child in node.traverse() if child.tag == "a")
        return text, linked
    parts = []
    linked = 0
    for child in node.iter(include_text=True):
        tag = child.tag
        if tag == "-text":
            parts.append(child.text_content or "")
        elif tag in _INLINE_TAGS:
            inner = child.text(deep=True)
            parts.append(inner)
            if tag == "a":
                linked += len(inner)
    return "".join(parts), linked


def _class_words(node: LexborNode) -> str:
    attrs = node.attributes
    return hints.class_words(attrs.get("class"), attrs.get("id"))


def _initial_score(node: LexborNode) -> float:
    words = _class_words(node)
    return _TAG_BASE.get(node.tag or "", 0.0) + hints.class_weight(words)


def _link_density(node: LexborNode) -> float:
    total = len(node.text(deep=True))
    if total == 0:
        return 1.0
    linked = sum(len(a.text(deep=True)) for a in node.css("a"))
    return min(linked / total, 1.0)
