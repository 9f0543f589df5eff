"""An outlet written on the fly for a test: article pages, sitemaps and pagers made from a few values.

    site = QuerySite(tmp_path / "site")          # a ScriptedSite that also serves `?query` pages
    site.write("news/1", article_html("Title", ["para", ...], published=now))
    site.write("news/1@page=2", ...)              # what /news/1?page=2 answers

Pages link to http://pantau-demo.invalid, which the server rewrites to its own address.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import datetime
from html import escape
from pathlib import Path
from urllib.parse import unquote, urlsplit

from support.site import ScriptedSite

BASE = "http://pantau-demo.invalid"
FILLER = (
    "Officials from several ministries met in the capital on the day to review the budget for the coming "
    "year, with the finance minister presenting a revised estimate of revenue and spending.",
    "The talks went on for most of the afternoon, and a second round is planned for the end of the month, "
    "when the regional governments are due to present their own plans for the same period.",
    "Economists said the figures were close to what markets had expected, and the currency was little "
    "changed after the announcement, trading in a narrow range for the rest of the session.",
)


_WORDS = [
    "harbour",
    "rice",
    "farmers",
    "province",
    "council",
    "budget",
    "river",
    "bridge",
    "school",
    "teachers",
    "festival",
    "rain",
    "market",
    "prices",
    "ferry",
    "island",
    "village",
    "road",
    "election",
    "mayor",
    "hospital",
    "clinic",
    "fishermen",
    "coffee",
    "exports",
    "port",
    "railway",
    "station",
    "museum",
    "library",
    "students",
    "police",
    "court",
    "drought",
    "harvest",
    "flood",
    "airport",
    "tourism",
]


def prose(seed: str, paragraphs: int = 3) -> list[str]:
    """Paragraphs of plain filler that no other seed repeats (so articles are not taken for copies)."""
    rng = random.Random(seed)
    out = []
    for _ in range(paragraphs):
        words = [rng.choice(_WORDS) for _ in range(40)]
        out.append(f"On day {rng.randint(100, 999)} the " + " ".join(words) + ".")
    return out


class QuerySite(ScriptedSite):
    """Serves `/path?query` from the file `path@query` when there is one (CMS pagers live in queries)."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        super().__init__(root)

    def resolve(self, url_path: str) -> Path | None:
        parts = urlsplit(url_path)
        if parts.query:
            found = super().resolve(unquote(parts.path) + "@" + parts.query)
            if found is not None:
                return found
        return super().resolve(url_path)

    def paths(self) -> list[str]:
        """Every path (with its query) requested so far, in order."""
        return [served.path for served in self.requests()]


def article_html(
    title: str,
    paragraphs: Sequence[str],
    *,
    published: datetime | None = None,
    extra: str = "",
    head: str = "",
    lang: str = "en",
) -> str:
    """A plain article page: headline, JSON-LD date, the paragraphs, then `extra` (pagers, boxes)."""
    ld = ""
    if published is not None:
        data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": title}
        data["datePublished"] = published.isoformat()
        ld = f'<script type="application/ld+json">{json.dumps(data)}</script>'
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'{ld}{head}</head>\n<body><header><nav><a href="/">Home</a></nav></header>\n'
        f"<main><article><h1>{escape(title)}</h1>\n{body}\n{extra}</article></main>\n"
        "<footer><p>Copyright the outlet</p></footer></body></html>\n"
    )
