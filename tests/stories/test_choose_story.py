"""choose_story on hand-made candidates: copies join, a template filled with other figures does not."""

from __future__ import annotations

from pantau.dedupe import Candidate, choose_story, fingerprint, same_story

REPORT = (
    "The rupiah closed at {a} per dollar on {day}, {move} from the previous session, as foreign investors "
    "bought {b} billion rupiah of government bonds, the central bank said. Traders in Jakarta said demand "
    "for dollars from importers eased before the end of the month, while exporters sold part of their "
    "earnings. The currency has moved in a narrow range for two weeks, and analysts expect it to stay "
    "there until the next decision on interest rates."
)
MONDAY = REPORT.format(a="15,820", day="Monday", move="little changed", b="1.2")
TUESDAY = REPORT.format(a="15,760", day="Tuesday", move="slightly stronger", b="2.4")


def candidate(story_id: int, body: str) -> Candidate:
    return Candidate(story_id, story_id * 10, "wire", "en", fingerprint(body))


def test_a_template_filled_in_with_other_figures_is_another_story() -> None:
    assert not same_story(fingerprint(MONDAY), fingerprint(TUESDAY))
    assert choose_story(fingerprint(TUESDAY), [candidate(1, MONDAY)]) is None


def test_a_copy_with_the_same_figures_joins() -> None:
    copy = "JAKARTA (ANTARA) - " + MONDAY + " (Editing by the desk)"
    assert choose_story(fingerprint(copy), [candidate(1, MONDAY), candidate(2, TUESDAY)]) == 1


def test_a_figure_free_excerpt_does_not_pull_another_report_into_the_story() -> None:
    # Monday's story holds the report and a copy trimmed to its figure-free end; that end reads like
    # Tuesday's too, but the report itself disagrees on every figure, so Tuesday starts its own story
    tail = MONDAY.split("the central bank said. ", 1)[1]
    assert same_story(fingerprint(TUESDAY), fingerprint(tail))
    assert choose_story(fingerprint(TUESDAY), [candidate(1, MONDAY), candidate(1, tail)]) is None
    assert choose_story(fingerprint(TUESDAY), [candidate(1, tail), candidate(1, MONDAY)]) is None
