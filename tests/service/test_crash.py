"""Kill -9 of `pantau run` at random moments of a busy run loses no alert.

A local outlet lists 80 articles that all match; `pantau run` is started and killed with SIGKILL at a random
moment, 24 times over, then allowed to finish. Every alert must reach the webhook. A repeat happens only
when the kill lands between the receiver accepting a message and pantau recording it (here the receiver
takes 30 ms to answer, to widen that window); it is the same delivery again, with the same X-Pantau-Delivery
key, which a receiver can drop: after that, duplicates are zero.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.webhook import WebhookSink

from pantau.demo.server import SiteServer

ARTICLES = 80
KILLS = 24

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta property="article:published_time" content="2026-11-25T0{h}:00:00+09:00"></head><body>
<nav><a href="/">Home</a></nav><article><h1>{title}</h1>
<p>TOKYO - NATO and Japan agreed on Tuesday on step {n} of a plan to share maritime surveillance data,
officials from both sides said after talks that lasted most of the day.</p>
<p>The arrangement, the {n}th of its kind this year, covers patrol aircraft and coastal radar stations and
will be reviewed by defense ministers at their next meeting in the spring.</p></article></body></html>
"""

CONFIG = """\
database: sqlite:///{db}
defaults: {{every: 2s, timeout: 5s, max_age: "off"}}  # the pages carry fixed dates
channels: {{hook: "{hook}"}}
sources:
  - {{name: wire, url: "{base}/index.html", links: "a.story"}}
concepts:
  nato: [NATO]
rules:
  - {{name: nato-japan, match: '@nato AND Japan', notify: hook}}
"""


@pytest.fixture
def outlet(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    links = []
    for n in range(ARTICLES):
        title = f"NATO and Japan agree on surveillance step {n}"
        (root / "news" / f"{n}.html").write_text(PAGE.format(title=title, n=n, h=n % 10))
        links.append(f'<li><a class="story" href="/news/{n}.html">{title}</a></li>')
    (root / "index.html").write_text("<html><body><ul>" + "".join(links) + "</ul></body></html>")
    with SiteServer(root) as base:
        yield base


def test_kill_9_at_random_points_loses_no_alert(tmp_path: Path, outlet: str) -> None:
    with WebhookSink() as hook:
        hook.delay = 0.03  # a slow receiver keeps deliveries in flight when the kill comes
        config = tmp_path / "config.yaml"
        config.write_text(CONFIG.format(db=tmp_path / "p.db", hook=hook.url(), base=outlet))
        command = [sys.executable, "-m", "pantau", "run", "--config", str(config)]
        env = {**os.environ, "NO_COLOR": "1"}
        rng = random.Random(20261125)
        for _ in range(KILLS):
            service = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            time.sleep(rng.uniform(0.8, 4.0))
            service.send_signal(signal.SIGKILL)
            service.wait(timeout=10)
        service = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
        )
        try:
            deadline = time.monotonic() + 90
            while len({r.json["title"] for r in hook.requests}) < ARTICLES and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(3)  # let it finish starting, so the stop below is a clean one
            service.send_signal(signal.SIGTERM)
            _, err = service.communicate(timeout=30)
        finally:
            if service.poll() is None:
                service.kill()
        assert service.returncode == 0, err

    titles = Counter(r.json["title"] for r in hook.requests)
    expected = {f"[nato-japan] NATO and Japan agree on surveillance step {n}" for n in range(ARTICLES)}
    assert set(titles) == expected  # nothing lost, nothing unexpected
    keys = {r.headers["x-pantau-delivery"] for r in hook.requests}
    assert len(keys) == ARTICLES  # a repeat, if any, is the same delivery again and can be dropped by key
    duplicates = sum(titles.values()) - ARTICLES
    print(
        f"kill -9 x{KILLS}: {ARTICLES} alerts delivered, {duplicates} duplicate(s), 0 after dropping repeated keys"
    )
    # A kill can cost at most the one message in flight on the channel at that moment.
    assert duplicates <= KILLS
