"""The query language, case by case (cases.yaml): every operator, field, clitic, trap and folding rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pantau.rules import Concept, Document, RuleSpec, compile_rules

DATA: dict[str, Any] = yaml.safe_load((Path(__file__).parent / "cases.yaml").read_text(encoding="utf-8"))


def _concepts() -> dict[str, Concept]:
    out = {}
    for name, terms in DATA["concepts"].items():
        mapping = terms if isinstance(terms, dict) else {"*": terms}
        out[name] = Concept(name, {lang: tuple(aliases) for lang, aliases in mapping.items()})
    return out


CONCEPTS = _concepts()
ROWS = [
    pytest.param(group, query, expected, id=f"{group['id']}/{case_id}")
    for group in DATA["groups"]
    for case_id, query, expected in group["cases"]
]


def test_cases_are_plentiful_and_ids_unique() -> None:
    ids = [f"{g['id']}/{c[0]}" for g in DATA["groups"] for c in g["cases"]]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 150


@pytest.mark.parametrize(("group", "query", "expected"), ROWS)
def test_rule_case(group: dict[str, Any], query: str, expected: bool | list[str]) -> None:
    rules = compile_rules([RuleSpec("case", query)], CONCEPTS)
    doc = Document(group["title"], group["body"], group.get("source", "test"), group.get("lang"))
    matches = rules.match(doc)
    if expected is False:
        assert matches == [], f"unexpected hits: {matches[0].hits if matches else ()}"
        return
    assert len(matches) == 1, "the rule should have matched"
    match = matches[0]
    if expected is not True:
        assert [" ".join(h.text.split()) for h in match.hits] == expected
    for hit in match.hits:
        if hit.field in ("title", "body"):
            text = doc.title if hit.field == "title" else doc.body
            assert text[hit.start : hit.end] == hit.text  # offsets point into the original text
    assert match.snippet.count("«") == match.snippet.count("»")
