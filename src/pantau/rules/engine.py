"""STUB — to be replaced by the rules engine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pantau.models import Match


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


class RuleSet:
    warnings: tuple[str, ...] = ()

    def match(self, doc: Document) -> list[Match]:
        raise NotImplementedError


def compile_rules(specs: Sequence[RuleSpec], concepts: Mapping[str, Concept]) -> RuleSet:
    """Raises RuleError whose `.rule` attribute names the failing rule."""
    raise NotImplementedError
