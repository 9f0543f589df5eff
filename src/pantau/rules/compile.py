"""Syntax trees -> evaluation nodes, the shared term table, the automaton and the presearcher index.

Every word of every term becomes an automaton key (whole words are keyed with the spaces around them, so
the scan itself enforces word boundaries; no-space scripts are keyed bare and match as substrings). Each
rule is then indexed under a set of words at least one of which must appear for it to match (the Lucene
Monitor "presearcher" idea); rules without such a set are always evaluated.

Must never match articles or raise anything but RuleError for a bad query or concept.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import ahocorasick

from pantau.errors import RuleError
from pantau.rules import syntax as ast
from pantau.rules.match import CLITICS, EXACT, PREFIX, SUB, DocContext, Scanner, TermDef
from pantau.rules.nodes import AndNode, ExceptNode, Leaf, MetaLeaf, NearNode, Node, NotNode, OrNode, leaves
from pantau.rules.normalize import fold_words, is_no_space
from pantau.rules.stem import forms as stem_forms

MIN_PREFIX = 3
# Prefixes that are Indonesian or English affixes: as wildcards they would match a large share of all words.
AFFIX_PREFIXES = frozenset(
    {
        *(
            "ber",
            "ter",
            "per",
            "pen",
            "pem",
            "peng",
            "meng",
            "mem",
            "men",
            "meny",
            "mempe",
            "memper",
            "diper",
        ),
        *("ke", "se", "di", "the", "con", "com", "dis", "pre", "pro", "non", "sub", "uni", "int", "inter"),
    }
)


class Compiler:
    """Accumulates terms and words over all rules of one config load."""

    def __init__(self, concepts: Mapping[str, Any]) -> None:
        self.concepts = concepts
        self.word_ids: dict[tuple[str, int], int] = {}
        self.terms: list[TermDef] = []
        self._term_ids: dict[tuple[object, ...], int] = {}
        self._term_cache: dict[tuple[object, ...], int] = {}
        self.refs: Counter[int] = Counter()
        self.stem = False  # set per rule: RuleSpec.stem

    # -- terms ------------------------------------------------------------------------------------------
    def term(self, text: str, col: int, *, prefix: bool = False, case: bool = False, slop: int = 0) -> int:
        key = (text, prefix, case, slop)
        tid = self._term_cache.get(key)
        if tid is None:
            tid = self._term_cache[key] = self._new_term(text, col, prefix, case, slop)
        self.refs.update(set(self.terms[tid].wids))
        return tid

    def _new_term(self, text: str, col: int, prefix: bool, case: bool, slop: int) -> int:
        words = fold_words(text)
        if not words:
            raise RuleError(f"`{text}` has no letters or digits to match", column=col)
        last = words[-1]
        if prefix and not is_no_space(last) and (len(last) < MIN_PREFIX or last in AFFIX_PREFIXES):
            raise RuleError(
                f"`{text}*` would match almost any word",
                column=col,
                hint=f"give at least {MIN_PREFIX} letters before `*`, and more than a common affix",
            )
        wids = []
        for i, w in enumerate(words):
            mode = SUB if is_no_space(w) else PREFIX if prefix and i == len(words) - 1 else EXACT
            wids.append(self.word_ids.setdefault((w, mode), len(self.word_ids)))
        case_words = tuple(fold_words(text, casefold=False)) if case else None
        slop = slop if len(wids) > 1 else 0
        tkey = (tuple(wids), slop, case_words)
        tid = self._term_ids.get(tkey)
        if tid is None:
            tid = self._term_ids[tkey] = len(self.terms)
            self.terms.append(TermDef(tuple(words), tuple(wids), slop, case_words))
        return tid

    # -- nodes ------------------------------------------------------------------------------------------
    def build(self, node: ast.Node) -> Node:
        if isinstance(node, ast.Term):
            if self.stem and _stemmable(node):
                return self._stemmed(node)
            tid = self.term(node.text, node.col, prefix=node.prefix, case=node.case, slop=node.slop)
            return Leaf(tid, node.text + ("*" if node.prefix else ""), node.field)
        if isinstance(node, ast.ConceptRef):
            return self._concept(node)
        if isinstance(node, ast.Meta):
            return MetaLeaf(node.field, node.value)
        if isinstance(node, ast.And):
            return AndNode(tuple(self.build(c) for c in node.children))
        if isinstance(node, ast.Or):
            return OrNode(tuple(self.build(c) for c in node.children))
        if isinstance(node, ast.Not):
            return NotNode(self.build(node.child))
        left, right = self.build(node.left), self.build(node.right)
        if not (left.positional and right.positional):
            op = "EXCEPT" if isinstance(node, ast.Except) else "NEAR"
            raise RuleError(
                f"`{op}` needs words, phrases, concepts or OR-groups of them on both sides",
                column=node.col,
                hint="AND, NOT, source: and lang: cannot sit inside a proximity operator",
            )
        if isinstance(node, ast.Except):
            return ExceptNode(left, right)
        return NearNode(left, right, node.distance, node.ordered)

    def _stemmed(self, node: ast.Term) -> Node:
        words = fold_words(node.text)
        variants = stem_forms(words[0]) if len(words) == 1 else (node.text,)
        alts: list[Node] = [Leaf(self.term(v, node.col), node.text, node.field) for v in variants]
        return alts[0] if len(alts) == 1 else OrNode(tuple(alts))

    def _concept(self, ref: ast.ConceptRef) -> Node:
        concept = self.concepts.get(ref.name)
        if concept is None:
            close = difflib.get_close_matches(ref.name, list(self.concepts), n=1)
            hint = f"did you mean @{close[0]}?" if close else "define it under concepts: in config.yaml"
            raise RuleError(f"unknown concept `@{ref.name}`", column=ref.col, hint=hint)
        terms: Mapping[str, tuple[str, ...]] = concept.terms
        if ref.lang is None:
            aliases = [a for group in terms.values() for a in group]
        elif ref.lang not in terms:
            have = ", ".join(sorted(k for k in terms if k != "*")) or "no languages"
            raise RuleError(
                f"concept `@{ref.name}` has no `{ref.lang}` terms (it has {have})", column=ref.col
            )
        else:
            aliases = list(terms[ref.lang]) + list(terms.get("*", ()))
        alts: list[Node] = []
        for alias in dict.fromkeys(aliases):
            case, prefix, text = alias.startswith("!"), alias.endswith("*"), alias.strip("!*")
            try:
                tid = self.term(text, ref.col, prefix=prefix, case=case)
            except RuleError as err:
                raise RuleError(
                    f"concept `@{ref.name}`: {err.message}", column=ref.col, hint=err.hint
                ) from None
            alts.append(Leaf(tid, text, ref.field))
        if not alts:
            raise RuleError(f"concept `@{ref.name}` has no terms", column=ref.col)
        return alts[0] if len(alts) == 1 else OrNode(tuple(alts))

    # -- presearcher ------------------------------------------------------------------------------------
    def clauses(self, node: Node) -> list[frozenset[int]]:
        """Sets of words that must each have a member in the article for `node` to match (a conjunction of
        disjunctions). An empty list means nothing is required: the rule is always evaluated."""
        if isinstance(node, Leaf):
            return [frozenset((w,)) for w in dict.fromkeys(self.terms[node.tid].wids)]
        if isinstance(node, OrNode):
            union: set[int] = set()
            for c in node.children:
                kids = self.clauses(c)
                if not kids:
                    return []
                best: frozenset[int] = min(kids, key=self.cost)
                union.update(best)
            return [frozenset(union)]
        if isinstance(node, AndNode):
            return [cl for c in node.children for cl in self.clauses(c)]
        if isinstance(node, NearNode):
            return self.clauses(node.left) + self.clauses(node.right)
        if isinstance(node, ExceptNode):
            return self.clauses(node.left)
        return []

    def cost(self, words: frozenset[int]) -> int:
        return sum(self.refs[w] for w in words)

    def scanner(self) -> Scanner:
        # Each entry: (word id, start = key end - back, end = key end + fwd (fwd < 0: token end))
        keys: dict[str, list[tuple[int, int, int]]] = {}
        for (word, mode), wid in self.word_ids.items():
            if mode == SUB:
                keys.setdefault(word, []).append((wid, len(word) - 1, 1))
            elif mode == PREFIX:
                keys.setdefault(f" {word}", []).append((wid, len(word) - 1, -1))
            else:
                keys.setdefault(f" {word} ", []).append((wid, len(word), 0))
        if not keys:
            return Scanner(None, (), ())
        word_keys: list[list[int]] = [[] for _ in self.word_ids]
        automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)  # values in C: matching never touches them
        for kid, (key, entries) in enumerate(keys.items()):
            automaton.add_word(key, kid)
            for entry in entries:
                word_keys[entry[0]].append(kid)
        # Tokens that end in a clitic are reported by these keys; match.py looks their stems up.
        for i, c in enumerate(CLITICS):
            automaton.add_word(f"{c} ", len(keys) + i)
        automaton.make_automaton()
        exact = {key.strip(): kid for kid, key in enumerate(keys) if key.endswith(" ")}
        entries_by_key = tuple(tuple(e) for e in keys.values())
        return Scanner(automaton, entries_by_key, tuple(tuple(k) for k in word_keys), exact, len(keys))


def _stemmable(term: ast.Term) -> bool:
    """Plain lower-case words only: names (capitalised), phrases, wildcards and `!` terms stay as written."""
    return not (term.phrase or term.prefix or term.case) and term.text[:1].islower() and term.text.isalpha()


def bind(node: Node, terms: Sequence[TermDef], scanner: Scanner) -> None:
    """Give each leaf the automaton keys it needs (known only once every rule is compiled)."""
    for leaf in leaves(node):
        term = terms[leaf.tid]
        leaf.need = scanner.word_keys[term.wids[0]]  # shared with the scanner: one tuple per word
        leaf.exact = len(term.wids) == 1 and term.case_words is None


def matches_nothing_required(node: Node, terms: Sequence[TermDef]) -> bool:
    """True when the rule would match an article that has none of its terms (e.g. only NOT terms)."""
    return node.test(DocContext("", "", "\x00", None, None, terms))


def first_not_column(node: ast.Node) -> int:
    if isinstance(node, ast.Not):
        return node.col
    children: tuple[ast.Node, ...] = ()
    if isinstance(node, ast.And | ast.Or):
        children = node.children
    elif isinstance(node, ast.Near | ast.Except):
        children = (node.left, node.right)
    for c in children:
        col = first_not_column(c)
        if col:
            return col
    return 0
