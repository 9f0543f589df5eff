"""Invisible format characters (soft hyphen, zero-width space …) inside a word never hide it from a rule,
and hits still point at the word in the original text, invisible characters included."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pantau.rules import Document, RuleSpec, compile_rules
from pantau.rules.normalize import fold

INVISIBLE = ["\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202a"]
WORDS = ["NATO", "Ukraina", "Jepang", "perang", "Selandia", "dan", "di", "Kiev"]
RULES = compile_rules([RuleSpec("r", 'NATO OR Ukraina OR "Selandia Baru" OR Kiev OR perang')], {})


def test_a_soft_hyphen_and_a_zero_width_space_inside_words_still_match() -> None:
    body = "Menteri NA\u00adTO bertemu di Ukra\u200bina."
    [match] = RULES.match(Document("", body, "s"))
    assert sorted((h.text, body[h.start : h.end]) for h in match.hits) == [
        ("NA\u00adTO", "NA\u00adTO"),
        ("Ukra\u200bina", "Ukra\u200bina"),
    ]
    assert "«NA\u00adTO»" in match.snippet or "«NATO»" in match.snippet


@st.composite
def sprinkled(draw: st.DrawFn) -> tuple[str, list[tuple[int, int]]]:
    """Text of known words with invisible characters inside and around them, and each word's span."""
    out, spans, pos = [], [], 0
    for _ in range(draw(st.integers(1, 12))):
        word = draw(st.sampled_from(WORDS))
        chars = []
        for i, ch in enumerate(word):
            if i and draw(st.integers(0, 3)) == 0:
                chars.append(draw(st.sampled_from(INVISIBLE)))
            chars.append(ch)
        piece = "".join(chars)
        lead = draw(st.sampled_from(["", *INVISIBLE]))
        spans.append((pos + len(lead), pos + len(lead) + len(piece)))
        sep = draw(st.sampled_from([" ", ", ", " \u200b", "\u00a0", ". "]))
        out.append(lead + piece + sep)
        pos += len(lead) + len(piece) + len(sep)
    return "".join(out), spans


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sprinkled())
def test_folded_words_map_back_to_their_whole_original_word(case: tuple[str, list[tuple[int, int]]]) -> None:
    text, spans = case
    folded = fold(text)
    words = folded.text.split()
    assert [w.strip(",.") for w in words if w.strip(",.")] == [
        "".join(c for c in text[a:b] if c.isalnum()).lower() for a, b in spans
    ]
    cursor = 0
    for a, b in spans:
        word = "".join(c for c in text[a:b] if c.isalnum()).lower()
        start = folded.text.index(word, cursor)
        cursor = start + len(word)
        orig = folded.original_span(start, cursor)
        # the span covers the word from its first to its last visible letter
        assert text[orig[0] : orig[1]].strip("".join(INVISIBLE)) == text[a:b].strip("".join(INVISIBLE))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sprinkled())
def test_hits_in_text_with_invisible_characters_point_at_the_word(
    case: tuple[str, list[tuple[int, int]]],
) -> None:
    text, spans = case
    watched = {"nato", "ukraina", "kiev", "perang"}
    expected = [(a, b) for a, b in spans if "".join(c for c in text[a:b] if c.isalnum()).lower() in watched]
    found = sorted({(h.start, h.end) for m in RULES.match(Document("", text, "s")) for h in m.hits})
    assert found == expected
    assert all(text[start].isalnum() and text[end - 1].isalnum() for start, end in found)
