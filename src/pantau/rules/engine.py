"""The public face of the rules stage: specs in, an immutable RuleSet out, matches per article.

`compile_rules` parses and compiles every rule once per config load; `RuleSet.match` scans an article once
and evaluates only the candidate rules. Must never do I/O, read a clock, or change after compile (the service
swaps whole RuleSets on reload).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from pantau.errors import RuleError
from pantau.models import Hit, Match
from pantau.rules.match import DocContext, FieldText, Scanner, TermDef
from pantau.rules.nodes import HitRef, Node
from pantau.rules.snippet import SentenceCache, make_snippet

if TYPE_CHECKING:
    from pantau.rules.compile import Compiler


@dataclass(frozen=True)
class Concept:
    name: str
    terms: Mapping[str, tuple[str, ...]]  # language code ("*" = any) -> aliases


@dataclass(frozen=True)
class RuleSpec:
    name: str
    query: str
    sources: frozenset[str] | None = None  # None: every source
    stem: bool = False


@dataclass(frozen=True)
class Document:
    title: str
    body: str
    source: str
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    node: Node
    sources: frozenset[str] | None


_FIELD_ORDER = {"title": 0, "body": 1, "source": 2, "lang": 3}
MAX_PROBES = 16  # a substring search costs about what the automaton spends on 20 to 50 characters


class RuleSet:
    """Compiled rules. Immutable after compile_rules; safe to share between threads."""

    __slots__ = (
        "_always",
        "_checks",
        "_index",
        "_indexed",
        "_probes",
        "_rules",
        "_scanner",
        "_terms",
        "warnings",
    )

    def __init__(
        self,
        rules: tuple[_Rule, ...],
        terms: tuple[TermDef, ...],
        scanner: Scanner,
        presearch: _Presearch,
        warnings: tuple[str, ...],
    ) -> None:
        self._rules, self._terms, self._scanner = rules, terms, scanner
        # Never mutated after compile: the service may share one RuleSet between threads.
        self._index, self._checks, self._always = presearch.index, presearch.checks, presearch.always
        self._indexed = frozenset(self._index)
        self._probes = presearch.probes
        self.warnings = warnings

    @property
    def rule_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self._rules)

    def candidates(self, ctx: DocContext) -> list[int]:
        """Indexes of the rules worth evaluating for this article (the presearcher): the rule's indexed word
        was seen, and every other required clause has a word that was seen."""
        found: set[int] = set()
        index = self._index
        seen = ctx.seen
        for kid in seen.intersection(self._indexed):  # C-speed: most words seen index no rule
            found.update(index[kid])
        checks, disjoint = self._checks, seen.isdisjoint
        out = list(self._always)
        append = out.append
        for i in found:
            for clause in checks[i]:
                if disjoint(clause):
                    break
            else:
                append(i)
        out.sort()
        return out

    def _absent(self, fields: tuple[FieldText, FieldText]) -> bool:
        """True when no rule can match: not one of the indexed words is even a substring of the article."""
        title, body = fields[0].stream, fields[1].stream
        return not any(probe in body or probe in title for probe in self._probes or ())

    def match(self, doc: Document, *, prefilter: bool = True) -> list[Match]:
        """The rules this article satisfies, in rule order. `prefilter=False` evaluates every rule (for tests
        and benchmarks; the result must be the same)."""
        fields = (FieldText(doc.title), FieldText(doc.body))
        if prefilter and self._probes is not None and self._absent(fields):
            return []
        ctx = DocContext(doc.title, doc.body, doc.source, doc.lang, self._scanner, self._terms, fields=fields)
        order = self.candidates(ctx) if prefilter else range(len(self._rules))
        out: list[Match] = []
        cache: SentenceCache = {}
        for i in order:
            rule = self._rules[i]
            if rule.sources is not None and doc.source not in rule.sources:
                continue
            if rule.node.test(ctx):
                out.append(_evidence(rule, ctx, doc, cache))
        return out


def _evidence(rule: _Rule, ctx: DocContext, doc: Document, cache: SentenceCache) -> Match:
    refs: list[HitRef | Hit] = []
    rule.node.collect(ctx, refs)
    if ctx.plain and Hit not in map(type, refs):  # source: and lang: add Hits of their own
        # Stream offsets are original offsets plus one here: dedupe and order the refs themselves (the first
        # ref of a span wins, as below) and make a hit only for each ref kept.
        first = {ref[:3]: ref for ref in reversed(cast(list[HitRef], refs))}
        hits = [ctx.hit_of(first[span]) for span in sorted(first)]
    else:
        seen: dict[tuple[str, int, int], Hit] = {}
        for ref in refs:
            hit = ref if isinstance(ref, Hit) else ctx.hit_of(ref)
            seen.setdefault((hit.field, hit.start, hit.end), hit)
        hits = sorted(seen.values(), key=lambda h: (_FIELD_ORDER[h.field], h.start, h.end))
    return Match(rule=rule.name, hits=tuple(hits), snippet=make_snippet(doc.title, doc.body, hits, cache))


def compile_rules(specs: Sequence[RuleSpec], concepts: Mapping[str, Concept]) -> RuleSet:
    """Raises RuleError whose `.rule` attribute names the failing rule."""
    # Loaded here, not with this module: the analysis workers only unpickle compiled rules and match.
    from pantau.rules.compile import Compiler, bind, first_not_column, matches_nothing_required
    from pantau.rules.syntax import parse

    compiler = Compiler(concepts)
    rules: list[_Rule] = []
    warnings: list[str] = []
    for spec in specs:
        try:
            tree, notes = parse(spec.query)
            compiler.stem = spec.stem
            node = compiler.build(tree)
            if matches_nothing_required(node, compiler.terms):
                raise RuleError(
                    "the rule would match articles that contain none of its terms (only NOT terms?)",
                    column=first_not_column(tree) or 1,
                    hint="add a term to look for, e.g. `nato NOT football`",
                )
        except RuleError as err:
            err.rule = spec.name
            raise
        warnings.extend(f"rule '{spec.name}': {note}" for note in notes)
        rules.append(_Rule(spec.name, node, spec.sources))
    scanner = compiler.scanner()
    for rule in rules:
        bind(rule.node, compiler.terms, scanner)
    return RuleSet(
        tuple(rules), tuple(compiler.terms), scanner, _presearch(rules, compiler, scanner), tuple(warnings)
    )


@dataclass(frozen=True)
class _Presearch:
    index: dict[int, tuple[int, ...]]  # automaton key id -> rules indexed under it
    checks: tuple[tuple[tuple[int, ...], ...], ...]  # per rule: key sets that must also each be seen
    always: tuple[int, ...]  # rules without a required word: always evaluated
    # With few indexed words and no rule always evaluated: the indexed keys as substrings to look for before
    # the scan (" nato" for " nato ", so that "NATOnya" counts). Finding none of them rules every rule out,
    # and a few substring searches cost far less than the automaton's pass over every character.
    probes: tuple[str, ...] | None = None


def _presearch(rules: list[_Rule], compiler: Compiler, scanner: Scanner) -> _Presearch:
    index: dict[int, list[int]] = {}
    always: list[int] = []
    checks: list[tuple[tuple[int, ...], ...]] = []
    shared: dict[tuple[int, ...], tuple[int, ...]] = {}  # rules that check the same words share one tuple
    for i, rule in enumerate(rules):
        clauses = list(dict.fromkeys(compiler.clauses(rule.node)))
        if not clauses:
            always.append(i)
            checks.append(())
            continue
        # Index under the clause whose words the fewest rules use; check the others per article.
        clauses.sort(key=compiler.cost)
        keys = [tuple(dict.fromkeys(k for w in clause for k in scanner.word_keys[w])) for clause in clauses]
        keys = [shared.setdefault(k, k) for k in keys]
        for kid in keys[0]:
            index.setdefault(kid, []).append(i)
        checks.append(tuple(keys[1:]))
    probes = None
    if not always and len(index) <= MAX_PROBES and scanner.automaton is not None:
        probes = tuple(key.rstrip(" ") for key, kid in scanner.automaton.items() if kid in index)
    return _Presearch({k: tuple(r) for k, r in index.items()}, tuple(checks), tuple(always), probes)
