"""choose_story on hand-made candidates: copies join, a template filled with other figures does not."""

from __future__ import annotations

from pantau.dedupe import Candidate, choose_story, fingerprint, same_story
from pantau.dedupe.stories import disagreement

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


EXERCISE = (
    "Troops taking part in the Pacific Shield exercise {what} at {place} on {day}, day {n} of the "
    "two-week drill, the military said. About 4,000 soldiers from 12 countries, including Australia and "
    "Japan, are taking part this year, and the drill runs until Sept. 14. Observers from several "
    "neighbouring countries attended the session, the military's spokesperson told reporters on the beach."
)
DAY3 = EXERCISE.format(what="practised a landing", place="Banongan Beach", day="Monday", n=3)
DAY4 = EXERCISE.format(what="carried out an airborne drop", place="Baturaja", day="Tuesday", n=4)


def test_a_day_of_an_exercise_sharing_most_figures_is_told_apart_by_its_headline() -> None:
    # the stock paragraph carries 4,000, 12 and 14 in both: most figures agree, the headlines do not
    day3 = fingerprint(DAY3, "Day 3 of Pacific Shield: landing at Banongan Beach")
    day4 = fingerprint(DAY4, "Day 4 of Pacific Shield: airborne drop at Baturaja")
    assert disagreement(day3, day4) == "headline"
    assert not same_story(day3, day4)


def test_a_lead_with_a_dated_dateline_and_a_byline_still_joins() -> None:
    original = fingerprint(MONDAY, "Rupiah closes at 15,820 per dollar")
    lead = MONDAY.split(" Traders", 1)[0]
    copy = "JAKARTA, Nov 21 (Reuters) - " + lead + "\n\n(Reporting by Ayu Lestari; Editing by Tom Hogue)"
    assert disagreement(original, fingerprint(copy, "Rupiah closes at 15,820 per dollar")) is None
    assert choose_story(fingerprint(copy), [candidate(1, MONDAY), candidate(2, TUESDAY)]) == 1
