"""`stem: true` (opt-in, Indonesian): a lower-case rule word also finds the affixed forms of its stem."""

from __future__ import annotations

import pytest

from pantau.rules import Document, RuleSpec, compile_rules

# Sentences written for this test, each using one form of the word the rule names.
SENTENCES = {
    "serang": [
        "Pasukan menyerang pos perbatasan pada malam hari.",
        "Kota itu diserang dari tiga arah.",
        "Serangan udara berlangsung dua jam.",
        "Penyerangan itu dikecam banyak negara.",
        "Desa kecil itu terserang wabah.",
    ],
    "bantu": [
        "Jepang membantu korban banjir.",
        "Bantuan tiba melalui pelabuhan.",
        "Warga dibantu relawan.",
        "Pembantu rumah tangga ikut mengungsi.",
    ],
    "tulis": [
        "Wartawan menulis laporan panjang.",
        "Tulisan itu dibaca ribuan orang.",
        "Namanya tertulis di daftar.",
    ],
}


def _recall(stem: bool) -> float:
    found = total = 0
    for word, sentences in SENTENCES.items():
        rules = compile_rules([RuleSpec("r", word, stem=stem)], {})
        for sentence in sentences:
            total += 1
            found += bool(rules.match(Document("", sentence, "s")))
    return found / total


def test_stemming_measurably_raises_recall() -> None:
    plain, stemmed = _recall(False), _recall(True)
    assert plain < 0.2
    assert stemmed == 1.0


@pytest.mark.parametrize(
    ("query", "text", "matches"),
    [
        ("serang", "Pasukan menyerang pos.", True),
        ("serangan", "Pasukan menyerang pos.", True),  # the rule word is stemmed too
        ("serang", "Seorang warga datang.", False),  # seorang is not a form of serang
        ("Ukraina", "Ukrainanya dibantu.", True),  # clitics still work
        ("Ukraina", "Keukrainaan tidak dikenal.", False),  # capitalised: a name, never stemmed
        ('"bantuan luar"', "membantu luar negeri", False),  # phrases stay as written
        ("bantu AND Jepang", "Jepang membantu korban.", True),
    ],
)
def test_stemmed_rules(query: str, text: str, matches: bool) -> None:
    rules = compile_rules([RuleSpec("r", query, stem=True)], {})
    assert bool(rules.match(Document("", text, "s"))) is matches


def test_hit_names_the_rule_word_and_shows_the_form_found() -> None:
    rules = compile_rules([RuleSpec("r", "serang", stem=True)], {})
    (match,) = rules.match(Document("", "Kota itu diserang.", "s"))
    assert [(h.term, h.text) for h in match.hits] == [("serang", "diserang")]
    assert match.snippet == "Kota itu «diserang»."
