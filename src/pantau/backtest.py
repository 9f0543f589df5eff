"""A query tried over stored articles: what `pantau test-rule --since` prints and the web view's /try shows.

Compiles one query with the config's concepts (a RuleError carries the column of a syntax error) and
matches it against stored articles (the CLI: all fetched since a moment; the web: the newest of them). Reads the store; never writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pantau.models import Match
from pantau.rules import Concept, Document, RuleSet, RuleSpec, compile_rules

if TYPE_CHECKING:
    from pantau.store import StoredArticle  # the store (SQLAlchemy) loads only where articles are read

QUERY_RULE = "test-rule"


@dataclass(frozen=True)
class Found:
    stored: StoredArticle
    match: Match


def compile_query(query: str, concepts: Mapping[str, Concept]) -> RuleSet:
    """The query as a one-rule RuleSet; raises RuleError (with .column) when it does not parse."""
    return compile_rules([RuleSpec(QUERY_RULE, query)], concepts)


def document(stored: StoredArticle) -> Document:
    a = stored.article
    return Document(a.title, a.body, a.source, a.lang)


def backtest(ruleset: RuleSet, articles: Iterable[StoredArticle]) -> Iterator[Found]:
    """Every one of the stored `articles` that the query matches, in their order."""
    for stored in articles:
        for match in ruleset.match(document(stored)):
            yield Found(stored, match)
