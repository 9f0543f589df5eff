"""Which neighbours of the best-scoring container belong to the article too.

Pages cut an article across sibling elements: a lede in its own <div> or <header> before the body, text
blocks around an inline ad, subheadings, lists and tables between paragraphs. Starting from the best
container, each sibling that reads as prose (enough text, few links, not furniture) or scores well joins it;
a heading joins when the next sibling with text does. When every sibling with text joined, the parent is the
article's container in all but name (give or take a scrap), and its own siblings are judged the same way,
a few levels up.

Reads the tree and never changes it; never raises.
"""

from __future__ import annotations

from selectolax.lexbor import LexborNode

_HEADINGS = frozenset(("h2", "h3", "h4", "h5", "h6"))
_PROSE_TAGS = frozenset(
    ("p", "div", "section", "header", "article", "blockquote", "ul", "ol", "dl", "table", "pre", "center",
     "font", "span", "address")
)  # fmt: skip
_TEASER = "h1 a, h2 a, h3 a, h4 a, h5 a, a h1, a h2, a h3, a h4, a h5"
_PARAGRAPHS = "p, h2, h3, h4, h5, h6, div, blockquote"
_INLINE = frozenset(("a", "span", "b", "strong", "i", "em", "font", "u", "small", "sup", "sub", "mark", "q"))
_STOP = frozenset(("body", "html"))
# How far above the best container the article may reach, and how little text is no text at all.
MAX_LEVELS = 3
MIN_TEXT = 25
MIN_PARAGRAPH = 80
MIN_LIST = 120
# Link share above which a block is a list of links (related stories, tags), not prose.
MAX_LINK_SHARE = 0.25
# Text beside the group that does not belong to it, as a share of the group's, above which climbing stops.
MAX_STRAY = 0.05


def with_neighbours(
    best: LexborNode, best_score: float, final: dict[int, float], skipped: set[int], holders: set[int]
) -> list[LexborNode]:
    """The best container and the neighbours that belong to the article, in document order. `holders` are
    the elements with skipped furniture inside them."""
    threshold = max(10.0, best_score * 0.2)
    group = [best]
    group_size = len(best.text(deep=True, strip=True))  # a measure for scraps beside it: furniture may count
    node = best
    level = 0
    while level < MAX_LEVELS:
        parent = node.parent
        if parent is None or parent.tag in _STOP:
            break
        found_text = False
        before: list[LexborNode] = []
        after: list[LexborNode] = []
        stray = 0  # text beside the group that does not belong to it
        pending: list[LexborNode] = []  # headings waiting for the next sibling with text
        seen_node = False
        for sibling in parent.iter(include_text=False):
            if sibling.mem_id == node.mem_id:
                seen_node = True
                before.extend(pending)
                pending = []
                continue
            if sibling.mem_id in skipped:
                continue
            picked, size = _belongs(sibling, threshold, final, skipped, holders, strict=node is not best)
            if not size:
                continue
            found_text = True
            target = after if seen_node else before
            if sibling.tag in _HEADINGS and picked:
                pending.append(sibling)
                continue
            # Above the best container's own parent only what comes before it (a lede) joins: what comes
            # after is an author box, a company profile or a newsletter plug more often than text.
            if picked and (node is best or not seen_node):
                target.extend(pending)
                target.append(sibling)
                group_size += size
            else:
                stray += size
            pending = []
        group = before + group + after
        # Climb on while what does not belong is a scrap beside the group (a share line, a tag list).
        if stray > MAX_STRAY * group_size:
            break
        node = parent
        # A wrapper around the group alone is no step away from the article.
        level += found_text
    return group


def _belongs(
    node: LexborNode,
    threshold: float,
    final: dict[int, float],
    skipped: set[int],
    holders: set[int],
    strict: bool,
) -> tuple[bool, int]:
    """Does this sibling belong to the article, and how much text does it hold (0: none worth counting)?
    Away from the best container (`strict`) only a block with a real paragraph in it belongs: a lede, not a
    search form."""
    tag = node.tag or ""
    if tag.startswith("-"):
        return False, 0
    if node.mem_id in holders:
        text, linked = _text_and_links(node, skipped)
    else:  # no furniture inside: Lexbor counts faster than a walk
        text = len(node.text(deep=True, strip=True))
        linked = sum(len(link.text(deep=True, strip=True)) for link in node.css("a")) if text else 0
    if text < MIN_TEXT:
        # A short heading still counts ("Fazit"); other scraps are neither article nor a reason to stop.
        heading = tag in _HEADINGS and text > 0
        return heading and linked == 0, text if heading else 0
    if tag in _HEADINGS:
        return linked == 0, text
    # A linked headline over a blurb is a teaser for another article, however little of it is link text.
    if node.css_first(_TEASER) is not None:
        return False, text
    if final.get(node.mem_id, 0.0) >= threshold:
        return True, text
    if tag not in _PROSE_TAGS or linked > MAX_LINK_SHARE * text:
        return False, text
    return not strict or _holds_paragraph(node), text


def _holds_paragraph(node: LexborNode) -> bool:
    """Does the block hold a paragraph of prose: a <p>, a subheadline, a <div> with text of its own, or a
    list of several items?"""
    blocks = [node, *node.css(_PARAGRAPHS)]
    if any(_own_length(block) >= MIN_PARAGRAPH for block in blocks):
        return True
    # A list of several plain items (ingredients, steps, key points) is prose cut into lines.
    lists = [node] if node.tag in ("ul", "ol") else node.css("ul, ol")
    return any(
        len(items := lst.css("li")) >= 3 and sum(len(li.text(deep=True).strip()) for li in items) >= MIN_LIST
        for lst in lists
    )


def _own_length(node: LexborNode) -> int:
    """Characters of text a block holds itself (its text and inline children, not nested blocks)."""
    size = 0
    for child in node.iter(include_text=True):
        tag = child.tag
        if tag == "-text":
            size += len((child.text_content or "").strip())
        elif tag in _INLINE:
            size += len(child.text(deep=True).strip())
    return size


def _text_and_links(root: LexborNode, skipped: set[int]) -> tuple[int, int]:
    """Characters of visible text under `root` and how many of them are link text, leaving out furniture."""
    text = linked = 0
    stack: list[tuple[LexborNode, bool]] = [(root, False)]
    while stack:
        node, in_link = stack.pop()
        tag = node.tag or ""
        if tag == "-text":
            size = len((node.text_content or "").strip())
            text += size
            if in_link:
                linked += size
            continue
        if tag.startswith("-") or node.mem_id in skipped:
            continue
        inner = in_link or tag == "a"
        stack.extend((child, inner) for child in node.iter(include_text=True))
    return text, linked
