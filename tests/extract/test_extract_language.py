"""The language guess (language_cases.yaml): the languages of the outlets we read, and None when unsure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pantau.extract import extract_article
from pantau.extract.language import guess_lang

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "language_cases.yaml").read_text("utf-8")
)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_guess(case: dict[str, Any]) -> None:
    assert guess_lang(case["text"]) == case["want"]


@pytest.mark.parametrize("case", [c for c in CASES if c["want"]], ids=[c["id"] for c in CASES if c["want"]])
def test_undeclared_page_gets_the_guessed_language(case: dict[str, Any]) -> None:
    page = f"<html><body><article><h1>X</h1><p>{case['text']}</p></article></body></html>"
    assert extract_article(page, "https://example.org/a").lang == case["want"]


def test_a_declared_language_wins_over_the_guess() -> None:
    german = next(c["text"] for c in CASES if c["id"] == "german")
    page = f"<html lang='de-AT'><body><article><p>{german}</p></article></body></html>"
    assert extract_article(page, "https://example.org/a").lang == "de"
    page = f"<html lang='en'><body><article><p>{german}</p></article></body></html>"
    assert extract_article(page, "https://example.org/a").lang == "en"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_gets_a_known_code_or_none(text: str) -> None:
    got = guess_lang(text)
    assert got is None or (len(got) == 2 and got.isalpha() and got.islower())


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from([c for c in CASES if c["want"]]),
    st.lists(st.sampled_from(["12", "·", "—", "2024", "%", "10.000", "(", ")"]), max_size=30),
)
def test_numbers_and_punctuation_do_not_change_the_guess(case: dict[str, Any], noise: list[str]) -> None:
    assert guess_lang(" ".join(noise) + " " + case["text"] + " " + " ".join(noise)) == case["want"]
