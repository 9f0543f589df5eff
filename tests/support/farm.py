"""Many small outlets on one local server, for cluster tests: each listing takes a while to answer, and every
request's start and end are kept, so a test can tell whether two pollers ever fetched one listing at once.

    farm = NewsFarm(tmp_path, outlets=20, hold=0.3)    # /o00/ … /o19/, listing index.html, articles n.html
    with farm as base:
        farm.publish(3, "NATO ships arrive in Darwin")  # a new matching article on outlet o03
        farm.polls("o03")                              # [(start, end), …] of its listing requests
        farm.overlaps()                                # listing requests that overlapped another of theirs
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

from pantau.demo.server import SiteServer

ARTICLE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta property="article:published_time" content="{published}"></head><body>
<nav><a href="/">Home</a></nav><article><h1>{title}</h1>
<p>JAKARTA - {title}, officials said on Tuesday. {first}</p>
<p>{second}</p></article></body></html>
"""
# Words for article bodies that differ from one another: pantau files near-copies under one story and
# alerts once per story, so articles that only differ in their titles would mostly raise no alert.
_WORDS = [
    "harbour",
    "radar",
    "patrol",
    "frigate",
    "minister",
    "budget",
    "treaty",
    "island",
    "coast",
    "signal",
    "convoy",
    "engineer",
    "pilot",
    "satellite",
    "dock",
    "runway",
    "cable",
    "reserve",
    "drill",
    "summit",
    "envoy",
    "cargo",
    "fuel",
    "channel",
    "strait",
    "garrison",
    "beacon",
    "survey",
    "vessel",
    "crew",
    "depot",
    "bridge",
    "tunnel",
    "reef",
    "monsoon",
    "market",
    "ferry",
    "lighthouse",
    "relay",
    "grid",
    "lantern",
]


def _sentences(title: str) -> tuple[str, str]:
    pick = random.Random(title)
    words = [" ".join(pick.choice(_WORDS) for _ in range(14)) for _ in range(4)]
    return (f"{words[0].capitalize()}, and {words[1]}.", f"{words[2].capitalize()}; {words[3]}.")


class NewsFarm(SiteServer):
    def __init__(self, folder: Path, outlets: int, hold: float = 0.3) -> None:
        root = folder / "farm"
        for i in range(outlets):
            (root / self.outlet(i)).mkdir(parents=True, exist_ok=True)
        super().__init__(root)
        self.outlets = outlets
        self.hold = hold  # seconds each listing takes to answer
        self.slow: dict[str, float] = {}  # outlet -> a longer hold for its listing
        self._published: dict[int, list[str]] = {i: [] for i in range(outlets)}
        self._visits: dict[str, list[tuple[float, float]]] = {}
        self._in_progress: Counter[str] = Counter()
        self._farm_lock = threading.Lock()
        for i in range(outlets):
            self._write_listing(i)

    @staticmethod
    def outlet(i: int) -> str:
        return f"o{i:02d}"

    def listing(self, i: int) -> str:
        return f"{self.url}/{self.outlet(i)}/index.html"

    def publish(self, i: int, title: str) -> None:
        """A new article on outlet `i`, listed first on its listing page."""
        with self._farm_lock:
            n = len(self._published[i])
            name = f"{n}.html"
            first, second = _sentences(title)
            published = datetime.now(UTC).isoformat(timespec="seconds")
            page = ARTICLE.format(title=title, first=first, second=second, published=published)
            (self.root / self.outlet(i) / name).write_text(page)
            self._published[i].append(title)
            self._write_listing(i)

    def _write_listing(self, i: int) -> None:
        folder = self.root / self.outlet(i)
        links = "".join(
            f'<li><a class="story" href="/{self.outlet(i)}/{n}.html">{title}</a></li>'
            for n, title in reversed(list(enumerate(self._published[i])))
        )
        page = folder / "index.html"
        old = page.stat().st_mtime_ns if page.exists() else 0
        fresh = folder / "index.html.new"  # written aside and renamed: a reader never sees half a page
        fresh.write_text(f"<html><body><ul>{links}</ul></body></html>")
        new = max(time.time_ns(), old + 1_000_000_000)  # Last-Modified must move on (1 s resolution)
        os.utime(fresh, ns=(new, new))
        fresh.replace(page)

    def _dispatch(self, handler: object, *, head: bool) -> None:
        path = getattr(handler, "path", "").split("?")[0]
        outlet = path.strip("/").split("/")[0]
        listing = path.endswith("/index.html")
        start = time.monotonic()
        if listing:
            with self._farm_lock:
                self._in_progress[outlet] += 1
            self.stopping.wait(self.slow.get(outlet, self.hold))
        try:
            super()._dispatch(handler, head=head)  # type: ignore[misc]
        finally:
            if listing:
                with self._farm_lock:
                    self._in_progress[outlet] -= 1
                    self._visits.setdefault(outlet, []).append((start, time.monotonic()))

    def arrived_now(self, outlet: str) -> bool:
        """Is a request for the outlet's listing being answered right now?"""
        with self._farm_lock:
            return self._in_progress[outlet] > 0

    def polls(self, outlet: str) -> list[tuple[float, float]]:
        """(start, end) of each request for the outlet's listing, in monotonic seconds, oldest first."""
        with self._farm_lock:
            return sorted(self._visits.get(outlet, []))

    def overlaps(self) -> list[str]:
        """'oNN' once for every listing request that began before the previous one for it had ended."""
        found = []
        with self._farm_lock:
            for outlet, visits in self._visits.items():
                ordered = sorted(visits)
                for (_s1, e1), (s2, _e2) in pairwise(ordered):
                    if s2 < e1:
                        found.append(outlet)
        return found
