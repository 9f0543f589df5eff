"""What an alert shows: the hits (term, field, offsets, text) and the snippet sentence with hits marked."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pantau.models import Hit
from pantau.rules import Concept, Document, RuleSpec, compile_rules
from pantau.rules.snippet import sentences

CONCEPTS = {"japan": Concept("japan", {"en": ("Japan", "Tokyo"), "id": ("Jepang",)})}
BODY = (
    "Para menteri bertemu di Jakarta pada Senin. Delegasi Jepang membawa usulan baru.\n\n"
    "NATO dan Jepang sepakat memperluas latihan bersama, kata juru bicara NATO. Cuaca cerah."
)


def _match(query: str, title: str = "NATO menyambut Jepang", body: str = BODY) -> str:
    matches = compile_rules([RuleSpec("r", query)], CONCEPTS).match(Document(title, body, "s"))
    assert len(matches) == 1
    return matches[0].snippet


@pytest.mark.parametrize(
    ("query", "snippet"),
    [
        pytest.param("Jepang", "Delegasi «Jepang» membawa usulan baru.", id="first-sentence-on-tie"),
        pytest.param(
            "NATO AND Jepang",
            "«NATO» dan «Jepang» sepakat memperluas latihan bersama, kata juru bicara «NATO».",
            id="most-distinct-terms",
        ),
        pytest.param("title:NATO", "«NATO» menyambut Jepang", id="title-when-only-title-hits"),
        pytest.param("@japan", "Delegasi «Jepang» membawa usulan baru.", id="concept-alias"),
        pytest.param(
            '"latihan bersama"',
            "NATO dan Jepang sepakat memperluas «latihan bersama», kata juru bicara NATO.",
            id="phrase-marked-whole",
        ),
        pytest.param("Jakarta", "Para menteri bertemu di «Jakarta» pada Senin.", id="body-first-sentence"),
    ],
)
def test_snippet_is_the_best_sentence_with_hits_marked(query: str, snippet: str) -> None:
    assert _match(query) == snippet


def test_body_hit_beats_title_hit() -> None:
    assert _match("NATO", body="Rapat di Brussel. NATO memutuskan.") == "«NATO» memutuskan."


def test_long_sentence_is_trimmed_around_the_hit() -> None:
    before = " ".join(f"kata{i}" for i in range(80))
    after = " ".join(f"lagi{i}" for i in range(80))
    snippet = _match("Wellington", title="x", body=f"{before} Wellington {after}.")
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "«Wellington»" in snippet
    assert len(snippet) <= 250


def test_snippet_collapses_whitespace_and_keeps_sentence_across_lines() -> None:
    body = "Pasukan   Selandia\nBaru tiba. Lainnya."
    assert _match('"Selandia Baru"', title="x", body=body) == "Pasukan «Selandia Baru» tiba."


def test_japanese_sentence_ends_at_full_stop() -> None:
    body = "今日は晴れ。ウクライナの情勢が議論された。会合は終わった。"
    assert _match("ウクライナ", title="x", body=body) == "«ウクライナ»の情勢が議論された。"


def test_hits_carry_field_offsets_and_the_alias() -> None:
    rules = compile_rules([RuleSpec("r", "@japan AND title:NATO")], CONCEPTS)
    title = "Ｎａｔｏ menyambut"
    body = "Kabar dari Tokyo: Jepangnya siap."
    (match,) = rules.match(Document(title, body, "s"))
    assert match.rule == "r"
    assert match.hits == (
        Hit(term="NATO", field="title", start=0, end=4, text="Ｎａｔｏ"),
        Hit(term="Tokyo", field="body", start=11, end=16, text="Tokyo"),
        Hit(term="Jepang", field="body", start=18, end=27, text="Jepangnya"),
    )


def test_sources_restrict_a_rule() -> None:
    rules = compile_rules(
        [RuleSpec("only-kyodo", "NATO", sources=frozenset({"kyodo"})), RuleSpec("all", "NATO")], {}
    )
    assert [m.rule for m in rules.match(Document("NATO", "", "kyodo"))] == ["only-kyodo", "all"]
    assert [m.rule for m in rules.match(Document("NATO", "", "antara"))] == ["all"]


def test_empty_rule_set_matches_nothing() -> None:
    assert compile_rules([], {}).match(Document("NATO", "NATO", "s")) == []


# The sentence rule as first written (a lookahead, then the three endings): the faster pattern must split
# every text where it did, since snippets are stored with alerts and compared in tests of their own.
_FIRST_SENTENCE_END = re.compile(r"(?=[.!?。！？\n])(?:([.!?]+[\"”’)\]]*)(?:\s+|$)|([。！？]+)|\n\s*\n\s*)")


def _sentences_as_first_written(text: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for m in _FIRST_SENTENCE_END.finditer(text):
        end = m.end(1) if m.group(1) else m.end(2) if m.group(2) else m.start()
        if end > start:
            out.append((start, end))
        start = m.end()
    if start < len(text):
        out.append((start, len(text)))
    return out


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from('ab3 .!?。！？\n\r\t\u3000"”’)]'), max_size=40))
def test_sentences_end_where_they_always_did(text: str) -> None:
    assert sentences(text) == _sentences_as_first_written(text)
