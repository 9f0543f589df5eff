"""Stories: which earlier story a new article joins, and which alerts the article may still raise.

Two pure decisions, both on plain values the store has already loaded:
- `choose_story(fingerprint, candidates)`: the story of the candidate this article copies (an exact copy,
  or a near-duplicate confirmed by estimated containment, so a copy trimmed to its lead or lightly edited
  joins), or None for a new story. An article that cites a wire service can also join an English story
  through shared numbers and names (`cites_wire`, `entity_overlap`).
- `plan_alerts(matches, story, ...)`: a rule alerts once per story; with `repeat: per-source` once per
  (story, source); a copy that adds a watched term the story's earlier alerts lacked raises one follow-up
  alert whose snippet says what it adds.

Never reads the store, the clock or the network: candidates come from the store's index (bounded by the
window), and the caller records the result in the same transaction as the article.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from pantau.dedupe.fingerprint import Fingerprint, containments, similarity
from pantau.models import Match

__all__ = [
    "MIN_CONTAINMENT",
    "Candidate",
    "PriorAlert",
    "StoryView",
    "choose_story",
    "cites_wire",
    "disagreement",
    "entity_overlap",
    "plan_alerts",
    "same_story",
]

# Estimated share of the shorter text's shingles found in the longer one. Copies edited by 15% keep ~0.44,
# trimmed and wrapped copies ~1.0; unrelated articles on one topic stay under ~0.05.
MIN_CONTAINMENT = 0.3
MIN_SHARED_SHINGLES = 8.0  # two short texts that share one stock phrase are not one story
# A cross-language link needs shared figures and names: two figures and two names, or one figure and four
# names, making up at least this share of the smaller article's figures and names.
MIN_ENTITY_OVERLAP = 0.3
MIN_OWN_NAMES = 2  # names each of two alike texts has alone before they count as other places


_WIRES = (
    r"kyodo\w*|reuters|afp|ap|associated\s+press|xinhua|yonhap|bernama|bloomberg|nikkei|nhk|"
    r"anadolu|tass|efe|dpa|aap|kantor\s+berita"
)
_WIRE_HINTS = (
    "kyodo", "reuters", "afp", "(ap)", " ap ", " ap,", " ap.", "associated press", "xinhua", "yonhap", "bernama", "bloomberg", "nikkei",
    "nhk", "anadolu", "tass", "efe", "dpa", "aap", "kantor berita",
)  # fmt: skip
# Words of datelines, credits and bylines that outlets add to a copy: they never make it another story.
_CREDIT_NAMES = frozenset(
    [
        "kyodo",
        "reuters",
        "afp",
        "ap",
        "xinhua",
        "yonhap",
        "bernama",
        "bloomberg",
        "nikkei",
        "nhk",
        "anadolu",
        "tass",
        "efe",
        "dpa",
        "aap",
        "antara",
        "sumber",
        "editor",
        "reporting",
        "editing",
        "copyright",
        "jakarta",
        "kyiv",
        "tokyo",
        "seoul",
        "brussels",
        "nov",
        "baca",
    ]
)
_CITATION = re.compile(
    r"\b(?:melansir|dilansir|lansir|dikutip|mengutip|menurut|seperti\s+dilaporkan|dilaporkan|laporan)\b"
    rf"[^.\n]{{0,80}}?\b(?:{_WIRES})\b"
    rf"|\b(?:lapor|melaporkan)\s+(?:kantor\s+berita\s+)?(?:{_WIRES})\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Candidate:
    """A stored article from the index window that may be an earlier copy of a new one."""

    story_id: int
    article_id: int
    source: str
    lang: str | None
    fingerprint: Fingerprint


@dataclass(frozen=True)
class PriorAlert:
    """An alert already raised for a story."""

    rule: str
    source: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class StoryView:
    """An existing story as alert planning sees it."""

    id: int
    alerts: tuple[PriorAlert, ...] = ()
    sources: tuple[str, ...] = ()


def same_story(a: Fingerprint, b: Fingerprint) -> bool:
    """Are these two texts copies of one story (same language)?

    Copies keep their figures; the same template filled with other numbers or places (a daily price
    report, an earthquake bulletin, day 4 of an exercise after day 3) is another story, however alike the
    words are.
    """
    return _verdict(a, b)[0] == "same"


def _verdict(a: Fingerprint, b: Fingerprint) -> tuple[str, float]:
    """The verdict on two texts: "same", "other figures" (alike words, disagreeing figures, places or
    headline) or "different", with the estimated containment it rests on (1.0 for exact copies)."""
    return _judged(a, b, similarity(a, b)[1])


def _judged(a: Fingerprint, b: Fingerprint, containment: float) -> tuple[str, float]:
    """_verdict given the estimated containment of the two texts."""
    if a.exact and a.exact == b.exact:
        return "same", 1.0
    shared = containment * min(a.size, b.size)
    if containment < MIN_CONTAINMENT or shared < MIN_SHARED_SHINGLES:
        return "different", containment
    if _disagreement(_facets(a), _facets(b)):
        return "other figures", containment
    return "same", containment


@dataclass(frozen=True)
class _Facets:
    """A fingerprint's entities as `disagreement` reads them, sorted out once (the properties of
    Fingerprint go through every entity on each use)."""

    figures: frozenset[str]
    names: frozenset[str]
    title: frozenset[str]  # the title's own figures and names
    title_figures: frozenset[str]


@lru_cache(maxsize=1024)  # a few KB each; the articles of a busy story are candidates again and again
def _facets(fp: Fingerprint) -> _Facets:
    title = fp.title_entities
    return _Facets(fp.figures, fp.names, title, frozenset(e for e in title if e[0].isdigit()))


def disagreement(a: Fingerprint, b: Fingerprint) -> str | None:
    """What two alike texts disagree on, if it makes them two stories: None for copies.

    A copy may drop figures and names (trimmed to its lead) or add a few (a dateline, a wire credit), but
    each side of a copy is found in the other. Bulletins from one template share the stock paragraphs and
    often an incidental figure (a depth of 10 km, "2 missiles"), and disagree on what makes them news:
    - most figures: more than half of the figures of the side with fewer are missing from the other;
    - the headlines: each title has a figure found nowhere in the other article;
    - the places and names: each side has names of its own, and half of the figures differ too (a copy
      with a byline and a dated dateline has names of its own, but keeps most of its figures), of at
      least three figures on each side.
    """
    return _disagreement(_facets(a), _facets(b))


def _disagreement(a: _Facets, b: _Facets) -> str | None:
    fa, fb = a.figures, b.figures
    differ = _figures_differing(fa, fb)
    if differ > 0.5:
        return "figures"
    # Outlets retitle a copy in their own words ("Tokyo" for "Japan"), but keep its figures.
    if a.title_figures - fb - b.title and b.title_figures - fa - a.title:
        return "headline"
    na, nb = _own_names(a.names - b.names), _own_names(b.names - a.names)
    enough = min(len(fa), len(fb)) >= 3  # one figure of two (a dateline's date) says little
    if min(len(na), len(nb)) >= MIN_OWN_NAMES and enough and differ >= 0.5:
        return "places"
    return None


def _figures_differing(fa: frozenset[str], fb: frozenset[str]) -> float:
    """The share of the figures of the side with fewer that are missing from the other (0.0 without any)."""
    smaller = min(len(fa), len(fb))
    return (smaller - len(fa & fb)) / smaller if smaller else 0.0


def _own_names(names: frozenset[str]) -> set[str]:
    """Names that say which event this is: not the datelines and credits that outlets add to a copy."""
    return {n for n in names if n not in _CREDIT_NAMES}


def cites_wire(text: str) -> bool:
    """Does the text say it is based on a wire service ("Melansir Kyodo", "dikutip dari Reuters")?"""
    # Rewrites credit the wire in their lead or their last lines; looking only there (and first for a
    # wire's name at all) keeps this check cheap enough for every article.
    ends = text if len(text) <= 1000 else text[:700] + "\n" + text[-300:]
    lowered = ends.casefold()
    if not any(name in lowered for name in _WIRE_HINTS):
        return False
    return _CITATION.search(ends) is not None


def _telling(figures: frozenset[str]) -> frozenset[str]:
    """Figures that say which story this is: single digits are in nearly every article."""
    return frozenset(f for f in figures if len(f) > 1)


def entity_overlap(a: Fingerprint, b: Fingerprint) -> float:
    """The share of the smaller article's figures and names found in the other, or 0.0 when they share
    too few figures (shared names alone only say "same topic")."""
    # Single digits are in nearly every article: they say nothing about which story this is.
    left = {e for e in a.figures | a.names if not (e.isdigit() and len(e) == 1)}
    right = {e for e in b.figures | b.names if not (e.isdigit() and len(e) == 1)}
    shared = left & right
    figures = sum(1 for e in shared if e[0].isdigit())
    names = len(shared) - figures
    if not ((figures >= 2 and names >= 2) or (figures >= 1 and names >= 4)):
        return 0.0
    return len(shared) / min(len(left), len(right))


def choose_story(
    fp: Fingerprint, candidates: Sequence[Candidate], *, lang: str | None = None, cited: bool = False
) -> int | None:
    """The story id this article joins, or None. The closest copy wins; ties go to the oldest story.

    A story with any member that reads alike but disagrees on the figures is not joined, even when a
    figure-free excerpt of it (a copy trimmed to the lead) matches.
    """
    prints = [cand.fingerprint for cand in candidates]
    verdicts = [
        (cand, *_judged(fp, other, containment))
        for cand, other, containment in zip(candidates, prints, containments(fp, prints), strict=True)
    ]
    vetoed = {cand.story_id for cand, verdict, _ in verdicts if verdict == "other figures"}
    best: tuple[float, int] | None = None
    for cand, verdict, containment in verdicts:
        if cand.story_id in vetoed:
            continue
        if fp.exact and fp.exact == cand.fingerprint.exact:
            score = 2.0
        elif verdict == "same":
            score = 1.0 + containment / 2
        elif cited and lang and cand.lang and cand.lang != lang:
            # A translation keeps the figures; a same-topic report shares names and a stock figure or two.
            if _figures_differing(_telling(fp.figures), _telling(cand.fingerprint.figures)) > 0.5:
                continue
            score = entity_overlap(fp, cand.fingerprint) / 2
            if score < MIN_ENTITY_OVERLAP / 2:
                continue
        else:
            continue
        key = (score, -cand.story_id)
        if best is None or key > best:
            best = key
    return None if best is None else -best[1]


def plan_alerts(
    matches: Sequence[Match],
    story: StoryView | None,
    source: str,
    *,
    per_source: Collection[str] = (),
    term_key: Callable[[str], str] = str.casefold,
) -> list[Match]:
    """The matches that still alert for this copy, follow-ups with their snippet saying what is new.

    `per_source` names the rules with `repeat: per-source`; `term_key` maps a matched term to the watched
    term it stands for (a concept's aliases are one term, so "Kiev" after "Kyiv" adds nothing).
    """
    if story is None:
        return list(matches)
    out: list[Match] = []
    for match in matches:
        earlier = [a for a in story.alerts if a.rule == match.rule]
        if not earlier:
            out.append(match)
            continue
        if match.rule in per_source and all(a.source != source for a in earlier):
            out.append(match)
            continue
        known = {term_key(t) for a in earlier for t in a.terms}
        added: dict[str, str] = {}
        for hit in match.hits:
            key = term_key(hit.term)
            if key not in known:
                added.setdefault(key, hit.term)
        if added:
            note = "Follow-up: this report adds " + ", ".join(added.values()) + ". "
            out.append(replace(match, snippet=note + match.snippet))
    return out
