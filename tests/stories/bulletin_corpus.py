"""The labelled bulletin set, built from the hand-written templates in data/bulletins.yaml.

Every filled-in template is a bulletin (a story of its own); every bulletin also gets one or two real
copies from other outlets, which must join it:

- credit: a wire dateline in front and a credit line at the end ("JAKARTA (ANTARA) - … (Sumber: Antara)")
- trimmed: the first two paragraphs only (the lead and what follows; the stock paragraphs cut)
- retitled: the other outlet's headline (same figures), a dateline, the last paragraph cut
- trimmed-credit: the lead paragraph only, with a dated dateline and a byline naming the editors

Bulletins of one template come `every` hours apart, so several sit in one story window; copies follow
their bulletin within hours. Everything is seeded: the same stream every run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).parent / "data"
T0 = datetime(2026, 11, 17, tzinfo=UTC)
COPY_KINDS = ("credit", "trimmed", "retitled", "trimmed-credit")
DATELINES = {
    "id": ("JAKARTA (ANTARA) - ", "Jakarta, kabarnusa.test - ", "JAKARTA, KOMPAS.test - "),
    "en": ("JAKARTA (Reuters) - ", "JAKARTA, Nov 20 (Xinhua) -- ", "KYIV (AP) — "),
}
BYLINES = {
    "id": ("Pewarta: Ayu Lestari. Editor: Budi Santoso", "Reporter: Dimas Pratama | Editor: Rina Wulandari"),
    "en": (
        "(Reporting by Ayu Lestari; Editing by Tom Hogue)",
        "Writing by Dimas Pratama; editing by Kim Lee",
    ),
}
DATED = {"id": "JAKARTA, 21/11 (ANTARA) - ", "en": "JAKARTA, Nov 21 (Reuters) - "}
CREDITS = {
    "id": ("(Sumber: Antara)", "Editor: Redaksi", "Baca berita terkini lainnya di kanal kami."),
    "en": ("(Reporting by the Jakarta bureau; editing by the desk)", "(AP)", "Copyright 2026 Asia Wire."),
}
OUTLETS = ("antara", "kabarnusa", "asiawire", "jakpost", "warta", "pos")


@dataclass(frozen=True)
class Bulletin:
    key: str  # unique name: template/number[/copy kind]
    group: str  # the bulletin it reports (its own key for a bulletin)
    template: str
    kind: str  # "bulletin" or a copy kind
    lang: str
    source: str
    title: str
    body: str
    at: datetime


def load_templates() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = yaml.safe_load((DATA / "bulletins.yaml").read_text(encoding="utf-8"))
    return docs


def _paragraphs(body: str) -> list[str]:
    return [p.strip() for p in body.strip().split("\n\n") if p.strip()]


def make_copy(
    kind: str, lang: str, title: str, alt_title: str, body: str, rng: random.Random
) -> tuple[str, str]:
    paras = _paragraphs(body)
    dateline = rng.choice(DATELINES[lang])
    if kind == "credit":
        return title, "\n\n".join([dateline + paras[0], *paras[1:], rng.choice(CREDITS[lang])])
    if kind == "trimmed":
        return title, "\n\n".join(paras[:2])
    if kind == "trimmed-credit":
        return title, "\n\n".join([DATED[lang] + paras[0], rng.choice(BYLINES[lang])])
    if kind == "retitled":
        return alt_title, "\n\n".join([dateline + paras[0], *paras[1:-1]])
    raise ValueError(kind)


def bulletin_stream(seed: int = 11) -> list[Bulletin]:
    rng = random.Random(seed)
    items: list[Bulletin] = []
    for t, spec in enumerate(load_templates()):
        name, lang = spec["template"], spec["lang"]
        start = T0 + timedelta(hours=t)
        for n, fill in enumerate(spec["fills"]):
            values = {k: str(v) for k, v in fill.items()}
            title = spec["title"].format(**values)
            alt_title = spec["alt_title"].format(**values)
            body = "\n\n".join(_paragraphs(spec["body"].format(**values)))
            at = start + timedelta(hours=spec["every"] * n, minutes=rng.randint(0, 50))
            key = f"{name}/{n}"
            items.append(Bulletin(key, key, name, "bulletin", lang, rng.choice(OUTLETS[:2]), title, body, at))
            for kind in rng.sample(COPY_KINDS, k=rng.randint(1, 2)):
                copy_title, copy_body = make_copy(kind, lang, title, alt_title, body, rng)
                later = at + timedelta(minutes=rng.randint(5, 240))
                source = rng.choice(OUTLETS[2:])
                items.append(
                    Bulletin(f"{key}/{kind}", key, name, kind, lang, source, copy_title, copy_body, later)
                )
    items.sort(key=lambda it: (it.at, it.key))
    return items
