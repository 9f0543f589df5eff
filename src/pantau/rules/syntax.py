"""Query text -> syntax tree. Pure parsing: no concepts, no folding, no matching.

Grammar (precedence from loosest to tightest):

    query   := or
    or      := and ("OR" and)*
    and     := not (["AND"] not)*              adjacent terms mean AND
    not     := ("NOT" | "-") not | pos
    pos     := field (("NEAR" | "NEAR/n" | "ONEAR" | "ONEAR/n" | "EXCEPT") field)*
    field   := FIELD ":" field | primary        title: lead: body: source: lang:
    primary := "(" or ")" | word | word* | !word | "phrase" | !"phrase" | "phrase"~n | @concept | @concept:lang

`!` makes a word or phrase case-sensitive; `*` ends a prefix wildcard; `"…"~n` allows n extra words in
between (in order); `EXCEPT` drops left-side occurrences that sit inside a right-side occurrence.

Operators are upper case; `and`/`or` in lower case are ordinary words. Every error is a RuleError with the
1-based column of the offending token. This module must never look at article text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from pantau.errors import RuleError

FIELDS = ("title", "lead", "body", "source", "lang")
TEXT_FIELDS = ("title", "lead", "body")
DEFAULT_NEAR = 5


@dataclass(frozen=True)
class Term:
    text: str  # as written, without quotes, `!` or `*`
    col: int
    phrase: bool = False
    slop: int = 0
    prefix: bool = False
    case: bool = False
    field: str | None = None


@dataclass(frozen=True)
class ConceptRef:
    name: str
    lang: str | None
    col: int
    field: str | None = None


@dataclass(frozen=True)
class Meta:
    """`source:x` or `lang:x`: compares the article's source name or language, not its text."""

    field: str
    value: str
    col: int


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]
    col: int


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]
    col: int


@dataclass(frozen=True)
class Not:
    child: Node
    col: int


@dataclass(frozen=True)
class Near:
    left: Node
    right: Node
    distance: int
    ordered: bool
    col: int


@dataclass(frozen=True)
class Except:
    left: Node
    right: Node
    col: int


Node = Term | ConceptRef | Meta | And | Or | Not | Near | Except


@dataclass(frozen=True)
class Token:
    kind: str  # word, phrase, concept, field, op, minus, lparen, rparen, end
    text: str
    col: int
    slop: int = 0
    case: bool = False


_OP_RE = re.compile(r"(AND|OR|NOT|EXCEPT)|(O?NEAR)(?:/(.*))?")
_FIELD_RE = re.compile(r"([A-Za-z]+):")
_CONCEPT_RE = re.compile(r"@([\w-]+)(?::([A-Za-z*]{1,8}))?")
_BARE_END = re.compile(r"[\s()\"]")


def tokenize(query: str) -> list[Token]:
    out: list[Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            out.append(Token("lparen" if ch == "(" else "rparen", ch, i + 1))
            i += 1
        elif ch == '"':
            i = _phrase(query, i, out)
        elif ch == "!" and query.startswith('"', i + 1):
            i = _phrase(query, i + 1, out, case=True)
        elif (
            ch == "-" and i + 1 < n and not query[i + 1].isspace() and (i == 0 or not query[i - 1].isalnum())
        ):
            out.append(Token("minus", "-", i + 1))
            i += 1
        else:
            i = _bare(query, i, out)
    out.append(Token("end", "", n + 1))
    return out


def _phrase(query: str, i: int, out: list[Token], case: bool = False) -> int:
    close = query.find('"', i + 1)
    if close < 0:
        raise RuleError("unterminated quote", column=i + 1, hint='close the phrase with "')
    text, j, slop = query[i + 1 : close], close + 1, 0
    if j < len(query) and query[j] == "~":
        m = re.match(r"\d+", query[j + 1 :])
        if not m:
            raise RuleError("`~` after a phrase needs a number", column=j + 1, hint='write "a b"~3')
        slop = int(m.group())
        j += 1 + len(m.group())
    out.append(Token("phrase", text, i + 1 - case, slop, case))
    return j


def _bare(query: str, i: int, out: list[Token]) -> int:
    m = _FIELD_RE.match(query, i)
    if m and query[i] != "@":
        name = m.group(1)
        if name not in FIELDS:
            raise RuleError(
                f"unknown field `{name}:`",
                column=i + 1,
                hint="fields are title:, lead:, body:, source:, lang:; quote a term that contains a colon",
            )
        out.append(Token("field", name, i + 1))
        return m.end()
    end = _BARE_END.search(query, i)
    j = end.start() if end else len(query)
    word = query[i:j]
    op = _OP_RE.fullmatch(word)
    if op:
        out.append(Token("op", word, i + 1))
    elif word.startswith("@"):
        if not _CONCEPT_RE.fullmatch(word):
            raise RuleError(f"bad concept reference `{word}`", column=i + 1, hint="write @name or @name:lang")
        out.append(Token("concept", word, i + 1))
    else:
        out.append(Token("word", word, i + 1))
    return j


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.toks = tokenize(query)
        self.i = 0
        self.warnings: list[str] = []

    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def take(self) -> Token:
        t = self.toks[self.i]
        self.i += 1
        return t

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise RuleError("empty query", column=1)
        node = self.or_()
        if self.tok.kind == "rparen":
            raise RuleError("unbalanced parenthesis: `)` has no `(`", column=self.tok.col)
        if self.tok.kind != "end":
            raise RuleError(f"unexpected `{self.tok.text}`", column=self.tok.col)
        return node

    def or_(self) -> Node:
        first = self.tok
        children = [self.and_()]
        while self.tok.kind == "op" and self.tok.text == "OR":
            self.take()
            children.append(self.and_())
        return children[0] if len(children) == 1 else Or(tuple(children), first.col)

    def and_(self) -> Node:
        first = self.tok
        children = [self.not_()]
        while True:
            t = self.tok
            if t.kind == "op" and t.text == "AND":
                self.take()
            elif t.kind in ("word", "phrase", "concept", "field", "lparen", "minus") or (
                t.kind == "op" and t.text == "NOT"
            ):
                self._warn_phrase(self.toks[self.i - 1], t)
            else:
                break
            children.append(self.not_())
        return children[0] if len(children) == 1 else And(tuple(children), first.col)

    def _warn_phrase(self, prev: Token, nxt: Token) -> None:
        both_words = prev.kind == "word" and nxt.kind == "word"
        fielded = self.i >= 2 and self.toks[self.i - 2].kind == "field"
        if both_words and not fielded and prev.text[:1].isupper() and nxt.text[:1].isupper():
            self.warnings.append(f"`{prev.text} {nxt.text}` looks like a phrase; quote it")
        after = self.toks[self.i + 1] if self.i + 1 < len(self.toks) else nxt
        if nxt.kind == "word" and nxt.text.upper() in ("AND", "OR", "NOT") and after.kind != "end":
            self.warnings.append(
                f"`{nxt.text}` is searched as a word: did you mean {nxt.text.upper()}? (operators are upper case)"
            )

    def not_(self) -> Node:
        t = self.tok
        if (t.kind == "op" and t.text == "NOT") or t.kind == "minus":
            self.take()
            return Not(self.not_(), t.col)
        return self.pos()

    def pos(self) -> Node:
        node = self.field(None)
        while self.tok.kind == "op" and self.tok.text not in ("AND", "OR", "NOT"):
            op = self.take()
            right = self.field(None)
            if op.text == "EXCEPT":
                node = Except(node, right, op.col)
            else:
                node = Near(node, right, _near_distance(op), op.text.startswith("O"), op.col)
        return node

    def field(self, outer: str | None) -> Node:
        t = self.tok
        if t.kind == "field":
            self.take()
            if outer is not None:
                raise RuleError(f"`{t.text}:` inside `{outer}:`; a term has one field", column=t.col)
            return self.field(t.text)
        return self.primary(outer)

    def primary(self, field: str | None) -> Node:
        t = self.take()
        if t.kind == "lparen":
            if self.tok.kind == "rparen":
                raise RuleError("empty parentheses", column=t.col)
            node = self.or_()
            if self.tok.kind != "rparen":
                raise RuleError("unbalanced parenthesis: `(` is never closed", column=t.col)
            self.take()
            return _apply_field(node, field) if field else node
        if t.kind == "word":
            return _apply_field(_word(t), field) if field else _word(t)
        if t.kind == "phrase":
            term = Term(t.text, t.col, phrase=True, slop=t.slop, case=t.case)
            return _apply_field(term, field) if field else term
        if t.kind == "concept":
            m = _CONCEPT_RE.fullmatch(t.text)
            assert m is not None  # the tokenizer checked it
            ref = ConceptRef(m.group(1), m.group(2), t.col)
            return _apply_field(ref, field) if field else ref
        if t.kind == "end":
            before = self.toks[self.i - 2].text if self.i >= 2 else ""
            raise RuleError(f"query ends after `{before}`; a term is missing", column=t.col)
        if t.kind == "rparen":
            raise RuleError("unbalanced parenthesis: `)` has no term before it", column=t.col)
        if t.kind == "minus" or t.text == "NOT":
            prev = self.toks[self.i - 2].text
            raise RuleError(
                f"`{t.text}` cannot follow `{prev}`",
                column=t.col,
                hint="negate the whole group instead, e.g. `a AND NOT (b NEAR c)`",
            )
        raise RuleError(f"`{t.text}` needs a term before it", column=t.col)


def _near_distance(op: Token) -> int:
    m = _OP_RE.fullmatch(op.text)
    assert m is not None
    arg = m.group(3)
    if arg is None:
        return DEFAULT_NEAR
    if not arg.isdigit() or int(arg) > 1000:
        raise RuleError(f"`{op.text}`: the distance must be a number of words (0-1000)", column=op.col)
    return int(arg)


def _word(t: Token) -> Term:
    text, case, prefix = t.text, False, False
    if text.startswith("!"):
        text, case = text[1:], True
    if text.endswith("*"):
        text, prefix = text[:-1], True
    if "*" in text:
        raise RuleError("`*` is only allowed at the end of a word", column=t.col + t.text.index("*"))
    if not text:
        raise RuleError(f"`{t.text}` has no letters", column=t.col)
    return Term(text, t.col, prefix=prefix, case=case)


def _apply_field(node: Node, field: str) -> Node:
    if isinstance(node, Term | ConceptRef):
        if node.field is not None:
            raise RuleError(f"`{node.field}:` inside `{field}:`; a term has one field", column=node.col)
        if field in TEXT_FIELDS:
            return replace(node, field=field)
        if isinstance(node, ConceptRef) or node.phrase or node.prefix:
            raise RuleError(f"`{field}:` takes a plain name, e.g. {field}:kyodo", column=node.col)
        return Meta(field, node.text, node.col)
    if isinstance(node, Meta):
        raise RuleError(f"`{node.field}:` inside `{field}:`; a term has one field", column=node.col)
    if isinstance(node, And | Or):
        return replace(node, children=tuple(_apply_field(c, field) for c in node.children))
    if isinstance(node, Not):
        return replace(node, child=_apply_field(node.child, field))
    return replace(node, left=_apply_field(node.left, field), right=_apply_field(node.right, field))


def parse(query: str) -> tuple[Node, list[str]]:
    """The syntax tree of a query and its warnings (bare words that look like an unquoted phrase)."""
    p = _Parser(query)
    return p.parse(), p.warnings
