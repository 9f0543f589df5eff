"""Compiled query nodes: `test` answers "does this article satisfy me?", `spans` says where (positional
nodes only), `collect` gathers the evidence once a rule has matched.

Nodes are immutable after compile and hold no per-article state: all of that lives in DocContext.
"""

from __future__ import annotations

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
            out.extend(span[5])


class Leaf(Node):
    """One term (a word, prefix, phrase or one alias of a concept), maybe restricted to a field."""

    __slots__ = ("exact", "field", "label", "need", "tid")
    positional = True

    def __init__(self, tid: int, label: str, field: str | None) -> None:
        self.tid, self.label, self.field = tid, label, field
        # Set once by compile after the automaton is built: the keys of the term's first word (none seen:
        # the term is absent) and whether seeing one proves the term is present (one word, any case).
        self.need: frozenset[int] = frozenset()
        self.exact = False

    def test(self, ctx: DocContext) -> bool:
        if ctx.seen.isdisjoint(self.need):
            return False
        if self.field is None:
            return self.exact or bool(ctx.term_occ(self.tid))
        field, in_field = self.field, ctx.in_field
        return any(in_field(field, o[0], o[3]) for o in ctx.term_occ(self.tid))

    def collect(self, ctx: DocContext, out: list[HitRef | Hit]) -> None:
        # Evidence needs no token positions: skip `spans`, which would compute them.
        label, field = self.label, self.field
        out.extend(
            (f, s, e, label)
            for f, _, _, s, e in ctx.term_occ(self.tid)
            if field is None or ctx.in_field(field, f, s)
        )

    def spans(self, ctx: DocContext) -> list[Span]:
        label, field, positioned = self.label, self.field, ctx.positioned
        return [
            (f, p, q, s, e, ((f, s, e, label),))
            for f, p, q, s, e in map(positioned, ctx.term_occ(self.tid))
            if field is None or ctx.in_field(field, f, s)
        ]


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
        rights = self.right.spans(ctx)
        if not rights:
            return []
        out: list[Span] = []
        for a in self.left.spans(ctx):
            for b in rights:
                if a[0] != b[0] or (a[3] < b[4] and b[3] < a[4]):
                    continue  # different fields, or the same words
                if a[4] <= b[3]:
                    gap = b[1] - a[2] - 1
                elif self.ordered:
                    continue
                else:
                    gap = a[1] - b[2] - 1
                if gap <= self.distance:
                    out.append(
                        (
                            a[0],
                            min(a[1], b[1]),
                            max(a[2], b[2]),
                            min(a[3], b[3]),
                            max(a[4], b[4]),
                            a[5] + b[5],
                        )
                    )
        return out


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
        return [a for a in lefts if not any(b[0] == a[0] and b[3] <= a[3] and a[4] <= b[4] for b in outer)]
