"""The labelled story test set, built from the hand-written texts in data/.

stories.yaml holds 42 originals (with another outlet's headline, and for some an Indonesian rewrite that
cites the wire) and three later stories that reuse a background paragraph; unrelated.yaml holds sentence
parts for 200 unrelated articles on the same topics. `labelled_stream()` turns them into one stream of
articles in publication order, each labelled with the story it belongs to:

- wrapped: the original with a dateline and a credits footer added
- retitled: another headline, the dateline changed
- lead: trimmed to its first paragraph
- edited: 5-15% of the words replaced, dropped or inserted (figures are left alone: a changed number is
  a changed fact, not an edit)
- cross-outlet: own dateline, paragraphs shuffled after the lead, the last one cut, 5% of words edited
- id-rewrite: the hand-written Indonesian version (cross-language, reported apart from the rest)

and two kinds of look-alikes that are other stories: `related` (a later story reusing a background
paragraph, hand-written) and `refigured` (the same text with every figure changed, as in a daily report
filled in from a template).

Everything is seeded: the same stream every run.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).parent / "data"
T0 = datetime(2026, 11, 1, tzinfo=UTC)
MONOLINGUAL = ("wrapped", "retitled", "lead", "edited", "cross-outlet")
OUTLETS = ("antara-en", "jakpost", "feedsite", "asiawire", "tempo-en", "straits", "koreaherald")
DATELINES = (
    "TOKYO (Kyodo) -- ",
    "JAKARTA, Nov. 18 (ANTARA) - ",
    "SEOUL - ",
    "BRUSSELS (AP) — ",
    "(Reuters) - ",
)
FOOTERS = (
    "(Reporting by staff writers; editing by the news desk)",
    "Copyright 2026 Asia Wire. All rights reserved.",
    "Follow our coverage of the region on our website.",
    "This story was first published by a partner news agency.",
)
REPLACEMENTS = (
    "officials", "reported", "country", "government", "week", "said", "also", "major", "several", "new",
    "announced", "regional", "local", "about", "nearly", "would", "could", "leaders", "the", "its",
)  # fmt: skip


@dataclass(frozen=True)
class Item:
    key: str  # unique name of this article
    group: str  # the story it belongs to (its own key for an unrelated article)
    kind: str  # original, a variant kind above, related, unrelated
    lang: str
    source: str
    title: str
    body: str
    at: datetime
    resembles: str = ""  # related and refigured: the original story it looks like but is not


def load_stories() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    docs = yaml.safe_load((DATA / "stories.yaml").read_text(encoding="utf-8"))
    stories = [d for d in docs if isinstance(d, dict) and "body" in d]
    related = [r for d in docs if isinstance(d, dict) and "related" in d for r in d["related"]]
    return stories, related


def paragraphs(body: str) -> list[str]:
    return [p.strip() for p in body.strip().split("\n\n") if p.strip()]


def edit_words(text: str, rate: float, rng: random.Random) -> str:
    out: list[str] = []
    for word in text.split(" "):
        roll = rng.random()
        if roll >= rate or any(c.isdigit() for c in word):
            out.append(word)
        elif roll < rate / 2:
            out.append(rng.choice(REPLACEMENTS))
        elif roll < rate * 3 / 4:
            continue
        else:
            out.extend([word, rng.choice(REPLACEMENTS)])
    return " ".join(out)


def make_variant(kind: str, story: dict[str, Any], rng: random.Random) -> tuple[str, str]:
    """(title, body) of one kind of copy."""
    paras = paragraphs(story["body"])
    title = story["title"]
    if kind == "wrapped":
        return title, "\n\n".join([rng.choice(DATELINES) + paras[0], *paras[1:], rng.choice(FOOTERS)])
    if kind == "retitled":
        return story["alt_title"], "\n\n".join([rng.choice(DATELINES) + paras[0], *paras[1:]])
    if kind == "lead":
        return title, paras[0]
    if kind == "edited":
        rate = rng.uniform(0.05, 0.15)
        return title, "\n\n".join(edit_words(p, rate, rng) for p in paras)
    if kind == "cross-outlet":
        middle = paras[1:-1]
        rng.shuffle(middle)
        kept = [rng.choice(DATELINES) + paras[0], *middle]
        return story["alt_title"], "\n\n".join(edit_words(p, 0.05, rng) for p in kept)
    raise ValueError(kind)


def unrelated_articles(count: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """(lang, title, body) of `count` unrelated same-topic articles, one in four in Indonesian."""
    spec = yaml.safe_load((DATA / "unrelated.yaml").read_text(encoding="utf-8"))
    fillers: dict[str, list[str]] = spec["fillers"]
    out: list[tuple[str, str, str]] = []
    for n in range(count):
        lang = "id" if n % 4 == 3 else "en"
        parts = spec[lang]
        sentences = [
            _fill(" ".join(rng.choice(parts[p]) for p in ("subject", "verb", "object", "tail")), fillers, rng)
            for _ in range(rng.randint(5, 9))
        ]
        paras = [" ".join(sentences[i : i + 2]) for i in range(0, len(sentences), 2)]
        title = sentences[0].rstrip(".")
        out.append((lang, title, "\n\n".join(paras)))
    return out


def _fill(frame: str, fillers: dict[str, list[str]], rng: random.Random) -> str:
    text = frame.format(**{name: rng.choice(options) for name, options in fillers.items()})
    return text[0].upper() + text[1:]


def labelled_stream(seed: int = 5) -> list[Item]:
    rng = random.Random(seed)
    stories, related = load_stories()
    items: list[Item] = []
    span = timedelta(days=6)
    for i, story in enumerate(stories):
        start = T0 + timedelta(minutes=int(span.total_seconds() // 60 * i / len(stories)))
        gid = story["id"]
        items.append(Item(gid, gid, "original", "en", "wire", story["title"], story["body"], start))
        kinds = rng.sample(MONOLINGUAL, k=rng.randint(2, 4 if story.get("id_rewrite") else 5))
        outlets = rng.sample(OUTLETS, k=len(kinds))
        for kind, outlet in zip(kinds, outlets, strict=True):
            title, body = make_variant(kind, story, rng)
            at = start + timedelta(minutes=rng.randint(10, 48 * 60))
            items.append(Item(f"{gid}/{kind}", gid, kind, "en", outlet, title, body, at))
        if story.get("id_rewrite"):
            at = start + timedelta(minutes=rng.randint(30, 24 * 60))
            body = story["id_rewrite"]
            title = " ".join(body.split()[:10])
            items.append(Item(f"{gid}/id", gid, "id-rewrite", "id", "warta", title, body, at))
    for story in [s for s in stories if len(re.findall(r"\d+", s["body"])) >= 3][::6]:
        at = next(it.at for it in items if it.key == story["id"]) + timedelta(hours=rng.randint(20, 30))
        body = re.sub(r"\d+", lambda m: str(int(m.group()) + rng.randint(1, 9)), story["body"])
        key = story["id"] + "/refigured"
        items.append(Item(key, key, "refigured", "en", "wire", story["title"], body, at, story["id"]))
    for rel in related:
        at = next(it.at for it in items if it.key == rel["of"]) + timedelta(hours=rng.randint(6, 40))
        item = Item(
            rel["id"], rel["id"], "related", "en", "asiawire", rel["title"], rel["body"], at, rel["of"]
        )
        items.append(item)
    for n, (lang, title, body) in enumerate(unrelated_articles(200, rng)):
        at = T0 + timedelta(minutes=rng.randint(0, int(span.total_seconds() // 60)))
        source = "warta" if lang == "id" else rng.choice(OUTLETS)
        items.append(Item(f"unrelated-{n}", f"unrelated-{n}", "unrelated", lang, source, title, body, at))
    items.sort(key=lambda it: (it.at, it.key))
    return items
