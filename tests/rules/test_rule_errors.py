"""Bad queries fail at compile with a RuleError that names the rule and the column, ready for
`test-rule: column 12: unbalanced parenthesis` and for config errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pantau.errors import RuleError
from pantau.rules import Concept, RuleSpec, compile_rules

ROWS = yaml.safe_load((Path(__file__).parent / "errors.yaml").read_text(encoding="utf-8"))
CONCEPTS = {
    "ukraine": Concept("ukraine", {"en": ("Ukraine", "Kyiv"), "id": ("Ukraina",)}),
    "nato": Concept("nato", {"*": ("NATO", "OTAN")}),
}


@pytest.mark.parametrize(("query", "column", "words"), [pytest.param(*r[1:], id=r[0]) for r in ROWS])
def test_bad_query_is_refused_with_its_column(query: str, column: int, words: str) -> None:
    good = RuleSpec("fine", "NATO")
    with pytest.raises(RuleError) as info:
        compile_rules([good, RuleSpec("broken", query)], CONCEPTS)
    err = info.value
    assert err.rule == "broken"  # type: ignore[attr-defined]
    assert err.column == column, str(err)
    assert words in str(err)
    assert str(err).startswith(f"column {column}: ")


def test_message_reads_as_one_cli_line() -> None:
    with pytest.raises(RuleError) as info:
        compile_rules([RuleSpec("test-rule", "NATO AND (Japan OR Korea")], {})
    assert f"test-rule: {info.value}" == ("test-rule: column 10: unbalanced parenthesis: `(` is never closed")


def test_concept_with_a_bad_alias_names_the_concept() -> None:
    concepts = {"broad": Concept("broad", {"*": ("NATO", "se*")})}
    with pytest.raises(RuleError) as info:
        compile_rules([RuleSpec("r", "Japan AND @broad")], concepts)
    assert info.value.column == 11
    assert "concept `@broad`" in str(info.value)


@pytest.mark.parametrize(
    ("query", "warning"),
    [
        ("Selandia Baru", "rule 'r': `Selandia Baru` looks like a phrase; quote it"),
        ("NATO AND South Korea", "rule 'r': `South Korea` looks like a phrase; quote it"),
        (
            "nato or japan",
            "rule 'r': `or` is searched as a word: did you mean OR? (operators are upper case)",
        ),
        (
            "nato and japan",
            "rule 'r': `and` is searched as a word: did you mean AND? (operators are upper case)",
        ),
        (
            "NATO not Japan",
            "rule 'r': `not` is searched as a word: did you mean NOT? (operators are upper case)",
        ),
    ],
)
def test_suspicious_queries_warn(query: str, warning: str) -> None:
    assert compile_rules([RuleSpec("r", query)], {}).warnings == (warning,)


@pytest.mark.parametrize(
    "query", ['"Selandia Baru"', "nato japan", "NATO AND Japan", "title:Japan Korea", '"rock and roll"']
)
def test_no_warning_when_intent_is_clear(query: str) -> None:
    assert compile_rules([RuleSpec("r", query)], {}).warnings == ()


def test_rule_names_keep_config_order() -> None:
    rules = compile_rules([RuleSpec("b", "NATO"), RuleSpec("a", "Japan")], {})
    assert rules.rule_names == ("b", "a")
