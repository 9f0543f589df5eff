"""Why pantau misses text on trafeval-dev: each missed `with` snippet, by page and language, with a cause.

Used by `benchmarks/extraction.py --misses`. The cause is a heuristic read off the page, in this order:
- no-article: extraction found nothing on the page
- not-in-page-text: the snippet is not in the visible text (it sits in script data, or spans oddly)
- comments: the snippet sits beside a big comment section (a comment-named element near it, or the
  chosen container is one)
- cjk: a Japanese/Chinese/Korean page whose text was left out (length measures count words)
- heading: the snippet is a heading (h2-h6) or sits in one
- list: a list item, table cell or definition (many short items)
- sibling: the snippet's block sits in a sibling (or cousin) of the chosen container(s)
- div-text: text held directly by a <div>/<section>/<span> rather than a <p>
- furniture: inside the chosen container but in an element named like furniture (class/id words)
- line-filter: inside the chosen container, dropped by a line filter (boilerplate, link density, dateline)
- other: a different part of the page altogether (the wrong container won)
"""

from __future__ import annotations

import re
from collections import Counter

from selectolax.lexbor import LexborHTMLParser, LexborNode

from pantau.errors import ExtractError
from pantau.extract import extract_article, hints
from pantau.extract.containers import select_containers
from pantau.extract.metadata import read_metadata
from pantau.extract.nesting import limit_nesting

_CJK = ("ja", "zh", "ko")
_COMMENT = re.compile(r"comment|komentar|disqus|respon|repl(?:y|ies)|kommentar|comentario", re.IGNORECASE)
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_LISTS = frozenset(("li", "dd", "dt", "td", "th"))
_BLOCKS = frozenset(("p", "div", "section", "article", "main", "li", "dd", "dt", "td", "th", "blockquote",
                     "pre", "h1", "h2", "h3", "h4", "h5", "h6", "header", "footer", "aside", "span", "figure",
                     "ul", "ol", "table", "body"))  # fmt: skip


def _text(node: LexborNode) -> str:
    return " ".join(node.text(deep=True, separator="").split())


def _deepest_holding(root: LexborNode, probe: str) -> LexborNode | None:
    """The smallest element whose (whitespace-collapsed) text contains `probe`."""
    if probe not in _text(root):
        return None
    node = root
    while True:
        for child in node.iter(include_text=False):
            if probe in _text(child):
                node = child
                break
        else:
            return node


def _ancestors(node: LexborNode | None) -> list[LexborNode]:
    found = []
    while node is not None:
        found.append(node)
        node = node.parent
    return found


def _words(node: LexborNode) -> str:
    attrs = node.attributes
    return f"{attrs.get('class') or ''} {attrs.get('id') or ''}"


def classify(tree: LexborHTMLParser, snippet: str, lang: str | None, failed: bool) -> str:
    if failed:
        return "no-article"
    root = tree.body
    if root is None:
        return "no-article"
    containers, skipped = select_containers(root)
    probe = snippet[:40]
    node = _deepest_holding(root, probe)
    if node is None:
        return "not-in-page-text"
    lineage = _ancestors(node)
    keys = {n.mem_id for n in lineage}
    inside = any(c.mem_id in keys for c in containers)
    block = next((n for n in lineage if n.tag in _BLOCKS), node)
    chosen_words = " ".join(_words(n) for c in containers for n in _ancestors(c)[:3])
    near_comments = any(_COMMENT.search(_words(n)) for n in lineage[:8]) or _COMMENT.search(chosen_words)
    if near_comments:
        return "comments"
    if inside:
        if skipped.intersection(keys):
            return "heading" if block.tag in _HEADINGS else "furniture"
        return "heading" if block.tag in _HEADINGS else "line-filter"
    if (lang or "")[:2] in _CJK:
        return "cjk"
    if block.tag in _HEADINGS:
        return "heading"
    if block.tag in _LISTS:
        return "list"
    chosen_parents = {p.mem_id for c in containers for p in _ancestors(c)[1:4]}
    if any(n.mem_id in chosen_parents for n in lineage[1:5]):
        return "sibling"
    if block.tag in ("div", "section", "span", "td", "body", "article"):
        return "div-text"
    return "other"


def print_misses(pages: list) -> None:  # type: ignore[type-arg]
    causes: Counter[str] = Counter()
    by_lang: Counter[str] = Counter()
    for page in pages:
        try:
            extracted = extract_article(page.html, page.url)
            text, lang, failed = " ".join(extracted.body.split()), extracted.lang, False
        except ExtractError:
            text, lang, failed = "", None, True
        missed = [s for s in page.with_ if s not in text]
        wrong = [s for s in page.without if s in text]
        if not missed and not wrong:
            continue
        tree = LexborHTMLParser(limit_nesting(page.html))
        if lang is None:
            lang = read_metadata(tree, page.url).lang
        tree.strip_tags(list(hints.JUNK_TAGS))
        print(f"== {page.key}  lang={lang}")
        for snippet in missed:
            cause = classify(tree, snippet, lang, failed)
            causes[cause] += 1
            by_lang[lang or "?"] += 1
            print(f"   MISS {cause:16} {snippet[:110]}")
        for snippet in wrong:
            print(f"   EXTRA {'':15} {snippet[:110]}")
    print("\nmissed `with` snippets per cause:")
    for cause, count in causes.most_common():
        print(f"  {cause:18} {count}")
    print(f"  {'total':18} {sum(causes.values())}")
    print("per language: " + ", ".join(f"{lang} {n}" for lang, n in by_lang.most_common()))
