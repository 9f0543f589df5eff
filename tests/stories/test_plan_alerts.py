"""plan_alerts: a rule alerts once per story (or per outlet), and once more for a new watched term."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pantau.dedupe import PriorAlert, StoryView, plan_alerts
from pantau.models import Hit, Match

CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "plan_cases.yaml").read_text())
CONCEPTS = {
    "@ukraine": ["Ukraine", "Ukrainian", "Kyiv", "Ukraina", "Kiev"],
    "@japan": ["Japan", "Jepang", "Tokyo"],
}
ALIASES = {alias.casefold(): name for name, aliases in CONCEPTS.items() for alias in aliases}


def term_key(term: str) -> str:
    return ALIASES.get(term.casefold(), term.casefold())


def match(rule: str, terms: list[str]) -> Match:
    hits = tuple(Hit(term=t, field="body", start=0, end=len(t), text=t) for t in terms)
    return Match(rule=rule, hits=hits, snippet=f"«{terms[0]}» in a sentence.")


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_plan_alerts(case: dict[str, Any]) -> None:
    story = None
    if case.get("story", True):
        alerts = tuple(PriorAlert(rule, source, tuple(terms)) for rule, source, terms in case["earlier"])
        story = StoryView(7, alerts, tuple(dict.fromkeys(a.source for a in alerts)))
    matches = [match(rule, terms) for rule, terms in case["matches"].items()]
    planned = plan_alerts(
        matches, story, case["source"], per_source=frozenset(case.get("per_source", [])), term_key=term_key
    )
    got = []
    for m in planned:
        prefix = "Follow-up: this report adds "
        if m.snippet.startswith(prefix):
            got.append(f"{m.rule}: {m.snippet[len(prefix) :].split('. ', 1)[0]}")
            assert m.snippet.endswith(next(x.snippet for x in matches if x.rule == m.rule))
        else:
            got.append(m.rule)
            assert m == next(x for x in matches if x.rule == m.rule)
    assert got == case["want"]
