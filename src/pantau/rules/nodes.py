"""Compiled query nodes: `test` answers "does this article satisfy me?", `spans` says where (positional
nodes only), `collect` gathers the evidence once a rule has matched.

Nodes are immutable after compile and hold no per-article state: all of that lives in DocContext.
"""

from __future__ import annotations

from bisect import bisect_left

from pantau.models import Hit
from pantau.rules.match import DocContext, Span

HitRef = tuple[int, int, int, str]


class Node:
    __slots__ = ()
    positional = False

    def test(self, ctx: DocContext) -> bool:
        raise NotImplementedError

    def spans(self, ctx: DocContext) -> list[Span]:
        raise NotImplementedError

    def collect(self, ctx: DocContext, out: list[HitRef | Hit]) -> None:
        for span in self.spans(ctx):
            out.extend(span[3])


class Leaf(Node):
    """One term (a word, prefix, phrase or one alias of a concept), maybe restricted to a field."""

    __slots__ = ("exact", "field", "label", "need", "tid")
    positional = True

    def __init__(self, tid: int, label: str, field: str | None) -> None:
        self.tid, self.label, self.field = tid, label, field
        # Set once by compile after the automaton is built: the keys of the term's first word (none seen:
        # the term is absent) and whether seeing one proves the term is present (one word, any case).
        self.need: tuple[int, ...] = ()
        self.exact = False

    def test(self, ctx: DocContext) -> bool:
        if ctx.seen.isdisjoint(self.need):
            return False
        field = self.field
        if field is None:
            return self.exact or bool(ctx.term_occ(self.tid))
        if field == "title" or field == "body":  # most `title:` words an article has are in its body only
            if ctx.seen_in[field == "body"].isdisjoint(self.need):
                return False
            if self.exact:
                return True
        in_field = ctx.in_field
        return any(in_field(field, f, s) for f, s, _ in ctx.term_occ(self.tid))

    def spans(self, ctx: DocContext) -> list[Span]:
        label, field = self.label, self.field
        return [
            (f, s, e, ((f, s, e, label),))
            for f, s, e in ctx.term_occ(self.tid)
            if field is None or ctx.in_field(field, f, s)
        ]

    def collect(self, ctx: DocContext, out: list[HitRef | Hit]) -> None:
        label, field = self.label, self.field
        occ = ctx.term_occ(self.tid)
        if field is None:
            out.extend([(f, s, e, label) for f, s, e in occ])
        else:
            out.extend([(f, s, e, label) for f, s, e in occ if ctx.in_field(field, f, s)])


class MetaLeaf(Node):
    """`source:NAME` or `lang:CODE`."""

    __slots__ = ("field", "value")

    def __init__(self, field: str, value: str) -> None:
        self.field, self.value = field, value.casefold()

    def test(self, ctx: DocContext) -> bool:
        return (ctx.source if self.field == "source" else ctx.lang) == self.value

    def collect(self, ctx: DocContext, out: list[HitRef | Hit]) -> None:
        text = ctx.source_original if self.field == "source" else ctx.lang
        out.append(
            Hit(term=f"{self.field}:{self.value}", field=self.field, start=0, end=len(text), text=text)
        )


class OrNode(Node):
    __slots__ = ("children", "positional")

    def __init__(self, children: tuple[Node, ...]) -> None:
        self.children = children
        self.positional = all(c.positional for c in children)

    def test(self, ctx: DocContext) -> bool:
        for c in self.children:  # noqa: SIM110 - a plain loop: no generator per call on the hot path
            if c.test(ctx):
                return True
        return False

    def spans(self, ctx: DocContext) -> list[Span]:
        return [s for c in self.children for s in c.spans(ctx)]

    def collect(self, ctx: DocContext, out: list[HitRef | Hit]) -> None:
        for c in self.children:
            if c.test(ctx):
                c.collect(ctx, out)


class AndNode(Node):
    __slots__ = ("children",)

    def __init__(self, children: tuple[Node, ...]) -> None:
        self.children = children

    def test(self, ctx: DocContext) -> bool:
        for c in self.children:  # noqa: SIM110 - a plain loop: no generator per call on the hot path
            if not c.test(ctx):
                return False
        return True

    def collect(self, ctx: DocContext, out: list[HitRef | Hit]) -> None:
        for c in self.children:
            c.collect(ctx, out)


def leaves(node: Node) -> list[Leaf]:
    if isinstance(node, Leaf):
        return [node]
    if isinstance(node, OrNode | AndNode):
        return [leaf for c in node.children for leaf in leaves(c)]
    if isinstance(node, NotNode):
        return leaves(node.child)
    if isinstance(node, NearNode | ExceptNode):
        return leaves(node.left) + leaves(node.right)
    return []


class NotNode(Node):
    __slots__ = ("child",)

    def __init__(self, child: Node) -> None:
        self.child = child

    def test(self, ctx: DocContext) -> bool:
        return not self.child.test(ctx)

    def collect(self, ctx: DocContext, out: list[HitRef | Hit]) -> None:
        return None  # an absent term is no evidence


class NearNode(Node):
    """Both sides within `distance` words of each other (in order when `ordered`), in the same field."""

    __slots__ = ("distance", "left", "ordered", "right")
    positional = True

    def __init__(self, left: Node, right: Node, distance: int, ordered: bool) -> None:
        self.left, self.right, self.distance, self.ordered = left, right, distance, ordered

    def test(self, ctx: DocContext) -> bool:
        return bool(self.left.test(ctx) and self.right.test(ctx) and self.spans(ctx))

    def spans(self, ctx: DocContext) -> list[Span]:
        rights = sorted(self.right.spans(ctx), key=_start)
        if not rights:
            return []
        keys = [(b[0], b[1]) for b in rights]
        out: list[Span] = []
        longest = -1
        for a in self.left.spans(ctx):
            f = a[0]
            # Walk outwards from `a` in each direction; the word count only grows, so stop at the first miss.
            j = bisect_left(keys, (f, a[2]))
            while (
                j < len(rights) and rights[j][0] == f and ctx.between(f, a[2], rights[j][1]) <= self.distance
            ):
                out.append(_joined(a, rights[j]))
                j += 1
            if self.ordered:
                continue
            # Backwards, spans of different lengths do not end in start order: stop once even the longest
            # right-hand span could no longer end close enough.
            if longest < 0:
                longest = max(ctx.words(b[0], b[1], b[2]) for b in rights)
            j = bisect_left(keys, (f, a[1])) - 1
            while j >= 0 and rights[j][0] == f:
                b = rights[j]
                if b[2] <= a[1] and ctx.between(f, b[2], a[1]) <= self.distance:
                    out.append(_joined(a, b))
                elif ctx.words(f, b[1], a[1]) > self.distance + longest:
                    break
                j -= 1
        return out


def _start(span: Span) -> tuple[int, int]:
    return span[0], span[1]


def _joined(a: Span, b: Span) -> Span:
    return (a[0], min(a[1], b[1]), max(a[2], b[2]), a[3] + b[3])


class ExceptNode(Node):
    """Occurrences of the left side not inside an occurrence of the right side (`中国 EXCEPT 中国地方`)."""

    __slots__ = ("left", "right")
    positional = True

    def __init__(self, left: Node, right: Node) -> None:
        self.left, self.right = left, right

    def test(self, ctx: DocContext) -> bool:
        return bool(self.spans(ctx))

    def spans(self, ctx: DocContext) -> list[Span]:
        lefts = self.left.spans(ctx)
        if not lefts:
            return lefts
        outer = self.right.spans(ctx)
        return [a for a in lefts if not any(b[0] == a[0] and b[1] <= a[1] and a[2] <= b[2] for b in outer)]
