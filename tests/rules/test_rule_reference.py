"""The matcher's evidence against a straightforward reference on random rules and articles: the hits a rule
shows (and so its snippet) are its positional nodes' spans mapped to original offsets one by one, the first
of each span kept, ordered by field and offset; an OR shows the evidence of the children that match, a NOT
none. Articles mix plain ASCII with folded text (full-width letters, accents, ligatures) whose offsets do not
map one to one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from test_rule_properties import CONCEPTS, SETTINGS, _compile_valid, queries, texts

from pantau.models import Hit, Match
from pantau.rules import Document, compile_rules
from pantau.rules.match import FIELD_NAMES, DocContext
from pantau.rules.nodes import AndNode, MetaLeaf, Node, NotNode, OrNode
from pantau.rules.snippet import make_snippet

ODD = ("ＮＡＴＯ", "Kíev", "ﬁ", "Jépang")
ORDER = {"title": 0, "body": 1, "source": 2, "lang": 3}


def _evidence(node: Node, ctx: DocContext) -> list[Hit]:
    if isinstance(node, AndNode):
        return [h for c in node.children for h in _evidence(c, ctx)]
    if isinstance(node, OrNode):
        return [h for c in node.children if c.test(ctx) for h in _evidence(c, ctx)]
    if isinstance(node, NotNode):
        return []
    if isinstance(node, MetaLeaf):
        text = ctx.source_original if node.field == "source" else ctx.lang
        return [Hit(f"{node.field}:{node.value}", node.field, 0, len(text), text)]
    out = []
    for span in node.spans(ctx):
        for f, s, e, label in span[3]:
            ft = ctx.fields[f]
            a, b = ft.original_span(s, e)
            out.append(Hit(label, FIELD_NAMES[f], a, b, ft.original[a:b]))
    return out


def _reference(rules: object, doc: Document) -> list[Match]:
    ctx = DocContext(doc.title, doc.body, doc.source, doc.lang, rules._scanner, rules._terms)  # type: ignore[attr-defined]
    out = []
    for rule in rules._rules:  # type: ignore[attr-defined]
        if rule.sources is not None and doc.source not in rule.sources:
            continue
        if not rule.node.test(ctx):
            continue
        first: dict[tuple[str, int, int], Hit] = {}
        for hit in _evidence(rule.node, ctx):
            first.setdefault((hit.field, hit.start, hit.end), hit)
        hits = sorted(first.values(), key=lambda h: (ORDER[h.field], h.start, h.end))
        out.append(Match(rule.name, tuple(hits), make_snippet(doc.title, doc.body, hits, {})))
    return out


@SETTINGS
@given(
    st.lists(queries(), min_size=1, max_size=25),
    st.lists(st.tuples(texts(), texts(), st.booleans()), min_size=1, max_size=4),
)
def test_matches_agree_with_a_straightforward_reference(
    qs: list[str], docs: list[tuple[str, str, bool]]
) -> None:
    rules = compile_rules(_compile_valid(qs), CONCEPTS)
    for i, (title, body, odd) in enumerate(docs):
        if odd:  # text whose folded offsets are not the original ones
            body = f"{ODD[i % len(ODD)]} {body}"
        for source in ("a", "b"):
            doc = Document(title, body, source)
            assert rules.match(doc) == _reference(rules, doc)
