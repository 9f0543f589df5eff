"""Properties over random rules and texts: the presearcher never changes a result, plain boolean queries agree
with a set-based oracle, bad input only ever raises RuleError, hit offsets point into the original text, and
matches (hits and snippets) agree with a straightforward reference."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pantau.errors import RuleError
from pantau.models import Hit, Match
from pantau.rules import Concept, Document, RuleSpec, compile_rules
from pantau.rules.match import FIELD_NAMES, DocContext
from pantau.rules.nodes import AndNode, MetaLeaf, Node, NotNode, OrNode
from pantau.rules.snippet import make_snippet

WORDS = ["nato", "jepang", "ukraina", "kiev", "perang", "bantuan", "korea", "selatan", "serangan", "pasukan"]
CLITICS = ["", "", "", "nya", "lah", "pun"]
CONCEPTS = {
    "ukraine": Concept("ukraine", {"en": ("Ukraina", "Kiev"), "id": ("Kiev",), "*": ("pasukan*",)}),
    "korea": Concept("korea", {"*": ("Korea Selatan", "!KOREA")}),
}
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def texts(draw: st.DrawFn, words: tuple[str, ...] = (*WORDS, "dan", "yang", "di")) -> str:
    out = []
    for _ in range(draw(st.integers(0, 30))):
        word = draw(st.sampled_from(words))
        style = draw(st.sampled_from(["lower", "upper", "title"]))
        word = word.upper() if style == "upper" else word.title() if style == "title" else word
        out.append(word + draw(st.sampled_from(CLITICS)))
        out.append(draw(st.sampled_from([" ", " ", ", ", "-", ". ", "\n\n"])))
    return "".join(out)


def _leaf(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 6))
    if kind == 0:
        return f'"{draw(st.sampled_from(WORDS))} {draw(st.sampled_from(WORDS))}"~{draw(st.integers(0, 2))}'
    if kind == 1:
        return draw(st.sampled_from(WORDS))[:4] + "*"
    if kind == 2:
        return draw(st.sampled_from(["@ukraine", "@ukraine:id", "@korea"]))
    if kind == 3:
        return draw(st.sampled_from(["title:", "body:", "lead:"])) + draw(st.sampled_from(WORDS))
    if kind == 4:
        return "!" + draw(st.sampled_from(WORDS)).upper()
    return draw(st.sampled_from(WORDS))


@st.composite
def queries(draw: st.DrawFn, depth: int = 0) -> str:
    if depth >= 2 or draw(st.booleans()):
        return _leaf(draw)
    op = draw(st.sampled_from(["AND", "OR", "AND NOT", "NEAR/2", "ONEAR/3", "EXCEPT", ""]))
    left, right = draw(queries(depth + 1)), draw(queries(depth + 1))
    if op in ("NEAR/2", "ONEAR/3", "EXCEPT"):
        left, right = _leaf(draw), _leaf(draw)
    return f"({left} {op} {right})"


def _compile_valid(qs: list[str]) -> list[RuleSpec]:
    specs = []
    for i, q in enumerate(qs):
        try:
            compile_rules([RuleSpec("x", q)], CONCEPTS)
        except RuleError:
            continue  # e.g. only NOT terms: refused at compile, nothing to compare
        specs.append(RuleSpec(f"r{i}", q, sources=frozenset({"a"}) if i % 5 == 4 else None))
    return specs


@SETTINGS
@given(
    st.lists(queries(), min_size=1, max_size=25),
    st.lists(st.tuples(texts(), texts()), min_size=1, max_size=4),
)
def test_presearcher_agrees_with_evaluating_every_rule(qs: list[str], docs: list[tuple[str, str]]) -> None:
    rules = compile_rules(_compile_valid(qs), CONCEPTS)
    for title, body in docs:
        for source in ("a", "b"):
            doc = Document(title, body, source)
            assert rules.match(doc) == rules.match(doc, prefilter=False)


def _oracle(query: tuple[str, list[list[str]]], text: str) -> bool:
    """Reference for `a b OR c d` (OR of ANDs of plain words): split on non-letters, strip one clitic."""
    words = set()
    for tok in re.findall(r"[a-z0-9]+", text.lower()):
        words.add(tok)
        for c in ("nya", "lah", "pun"):
            if tok.endswith(c):
                words.add(tok[: -len(c)])
    return any(all(w in words for w in conj) for conj in query[1])


@st.composite
def dnf(draw: st.DrawFn) -> tuple[str, list[list[str]]]:
    conj = draw(st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3), min_size=1, max_size=3))
    return " OR ".join("(" + " AND ".join(c) + ")" for c in conj), conj


@SETTINGS
@given(dnf(), texts(), texts())
def test_plain_boolean_queries_agree_with_a_set_oracle(
    query: tuple[str, list[list[str]]], title: str, body: str
) -> None:
    rules = compile_rules([RuleSpec("r", query[0])], {})
    assert bool(rules.match(Document(title, body, "s"))) == _oracle(query, title + " " + body)


@SETTINGS
@given(st.text(alphabet=st.sampled_from('abN AT O()"*:@!-~/ title:NEAR OR AND NOT ２ｱ中é'), max_size=40))
def test_any_query_text_compiles_or_raises_rule_error(query: str) -> None:
    try:
        rules = compile_rules([RuleSpec("r", query)], CONCEPTS)
    except RuleError as err:
        assert err.column is None or 1 <= err.column <= len(query) + 1
        assert err.rule == "r"  # type: ignore[attr-defined]
        return
    rules.match(Document("NATO ab", "ab-NATO 中国 ｱ é", "s"))


ODD_TEXT = st.lists(
    st.sampled_from([*"aNİßéｶﾞｳ中国ＮＡＴＯ ’-.\n", "e\u0301", "ﬁ", "Ⅻ", "😀", "nato", "xii"]), max_size=40
).map("".join)


@SETTINGS
@given(ODD_TEXT, ODD_TEXT)
def test_hits_point_into_the_original_text(title: str, body: str) -> None:
    rules = compile_rules([RuleSpec("r", "nato OR abc* OR ガ OR 中国 OR strasse OR e OR fi OR xii")], {})
    for match in rules.match(Document(title + " abc", body, "s")):
        for hit in match.hits:
            text = title + " abc" if hit.field == "title" else body
            assert 0 <= hit.start < hit.end <= len(text)
            assert text[hit.start : hit.end] == hit.text


def _positions(text: str, word: str, clitic_ok: bool = True) -> list[int]:
    out = []
    for i, tok in enumerate(re.findall(r"[a-z0-9]+", text.lower())):
        if tok == word or (clitic_ok and any(tok == word + c for c in ("nya", "lah", "pun"))):
            out.append(i)
    return out


@st.composite
def proximity(draw: st.DrawFn) -> tuple[str, str, str, int]:
    return (
        draw(st.sampled_from(["NEAR", "ONEAR", "PHRASE"])),
        draw(st.sampled_from(FEW)),
        draw(st.sampled_from(FEW)),
        draw(st.integers(0, 4)),
    )


FEW = ("nato", "jepang", "kiev")  # few words, so that near misses by one word are common


@settings(SETTINGS, max_examples=500)
@given(proximity(), texts((*FEW, "dan", "yang")))
def test_proximity_agrees_with_a_token_index_oracle(case: tuple[str, str, str, int], body: str) -> None:
    op, a, b, n = case
    query = f'"{a} {b}"~{n}' if op == "PHRASE" else f"{a} {op}/{n} {b}"
    rules = compile_rules([RuleSpec("r", query)], {})
    got = bool(rules.match(Document("", body, "s")))
    pa, pb = _positions(body, a, clitic_ok=op != "PHRASE"), _positions(body, b)
    if op == "NEAR":
        want = any(i != j and abs(i - j) - 1 <= n for i in pa for j in pb)
    else:
        want = any(i < j and j - i - 1 <= n for i in pa for j in pb)
    assert got == want


# -- the evidence against a straightforward reference ---------------------------------------------------
# The hits a rule shows (and so its snippet) are its positional nodes' spans mapped to original offsets one
# by one, the first of each span kept, ordered by field and offset; an OR shows the evidence of the children
# that match, a NOT none. Articles mix plain ASCII with folded text (full-width letters, accents, ligatures)
# whose offsets do not map one to one.

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
