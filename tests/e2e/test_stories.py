"""One story from three outlets, end to end: one alert per rule, the other outlets in its history.

The outlets (tests/e2e/data/stories, README there) are served on 127.0.0.1: kabar's RSS link carries
tracking parameters, harian is an HTML listing with a retitled, trimmed copy, pos links to AMP pages.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.site import ScriptedSite
from support.webhook import WebhookSink

from pantau.cli import run_cli

OUTLETS = Path(__file__).parent / "data" / "stories"
STORY_TITLES = {
    "kabar": "NATO, Japan and South Korea open joint cyber defence centre in Tallinn",
    "harian": "Allies launch cyber hub with Asian partners in Estonia",
    "pos": "NATO, Japan, South Korea set up cyber defence centre",
}
GRAIN = "First shipment of Ukrainian wheat under new deal arrives in Jakarta"

CONFIG = """\
database: sqlite:///{db}
timezone: Asia/Jakarta
defaults:
  every: 5m
  timeout: 3s
  max_age: off  # the demo outlets' articles carry fixed dates in November 2026
channels:
  hook: {hook}
sources:
  - name: kabar
    url: {base}/kabar/rss.xml
  - name: harian
    url: {base}/harian/index.html
    links: "a[href*='/harian/2026/']"
  - name: pos
    url: {base}/pos/index.html
    links: "a[href*='/berita/']"
concepts:
  nato: [NATO, OTAN]
  japan: [Japan, Japanese, Jepang, Tokyo]
  south_korea: ["South Korea", "Korea Selatan", Seoul]
  new_zealand: ["New Zealand", "Selandia Baru", Wellington]
  ukraine:
    en: [Ukraine, Ukrainian, Kyiv]
    id: [Ukraina, Kiev]
rules:
  - name: nato-indo-pacific
    match: '@nato AND (@japan OR @south_korea OR @new_zealand)'
    notify: hook
  - name: ukraine
    match: 'title:@ukraine OR (@ukraine AND (war OR perang OR aid OR bantuan))'
    notify: hook
{repeat}
"""


@pytest.fixture
def site(tmp_path: Path) -> Iterator[ScriptedSite]:
    server = ScriptedSite.copy_of(OUTLETS, tmp_path)
    server.start()
    yield server
    server.stop()


def write_config(tmp_path: Path, site: ScriptedSite, hook: WebhookSink, repeat: str = "") -> Path:
    path = tmp_path / "config.yaml"
    text = CONFIG.format(db=tmp_path / "pantau.db", hook=hook.url(), base=site.url, repeat=repeat)
    path.write_text(text)
    return path


def titles(hook: WebhookSink) -> list[str]:
    time.sleep(0.3)  # anything that was going to arrive has arrived
    return sorted(r.json["title"] for r in hook.requests)


def alert_listing(config: Path, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert run_cli(["alerts", "--since", "3650d", "-c", str(config)]) == 0
    return capsys.readouterr().out


def story_alerts(listing: str) -> dict[str, tuple[str, str, str]]:
    """rule -> (source, link, also-reported-by line) for the cyber-centre story's alerts."""
    out: dict[str, tuple[str, str, str]] = {}
    pattern = r"\[([\w-]+)\] (\w+): (.+)\n\s+(\S+)\n(?:\s+also reported by: (.+)\n)?"
    for rule, source, title, link, also in re.findall(pattern, listing):
        if title == STORY_TITLES.get(source):
            assert rule not in out, f"second alert for {rule} on one story"
            out[rule] = (source, link, also)
    return out


def test_one_story_from_three_outlets_alerts_once_per_rule(
    tmp_path: Path, site: ScriptedSite, hook: WebhookSink, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, site, hook)
    assert run_cli(["once", "-c", str(config)]) == 0
    hook.wait_for(3)
    got = titles(hook)
    assert len(got) == 3 and f"[ukraine] {GRAIN}" in got
    story = [t for t in got if GRAIN not in t]
    assert sorted(t.split("] ")[0] + "]" for t in story) == ["[nato-indo-pacific]", "[ukraine]"]
    assert all(t.split("] ", 1)[1] in STORY_TITLES.values() for t in story)

    alerts = story_alerts(alert_listing(config, capsys))
    assert set(alerts) == {"nato-indo-pacific", "ukraine"}
    for source, link, also in alerts.values():
        assert sorted([source, *also.split(", ")]) == ["harian", "kabar", "pos"]
        assert "utm_" not in link and "fbclid" not in link and "/amp" not in link

    # polling again adds nothing and sends nothing
    before = len(hook.requests)
    assert run_cli(["once", "-c", str(config)]) == 0
    assert len(titles(hook)) == before


def test_repeat_per_source_alerts_once_per_outlet_and_a_new_term_sends_one_follow_up(
    tmp_path: Path, site: ScriptedSite, hook: WebhookSink, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, site, hook, "    repeat: per-source")  # on the ukraine rule
    assert run_cli(["once", "-c", str(config)]) == 0
    hook.wait_for(5)
    got = titles(hook)
    ukraine = [t for t in got if t.startswith("[ukraine]") and GRAIN not in t]
    nato = [t for t in got if t.startswith("[nato-indo-pacific]")]
    assert len(ukraine) == 3 and len(nato) == 1 and len(got) == 5

    # harian updates the story under a new URL: the copy adds New Zealand, a term no alert had
    page = (site.root / "harian/2026/11/25/allies-launch-cyber-hub-with-asian-partners.html").read_text()
    update = page.replace(
        "</article>", "<p>New Zealand said it would send two observers to the centre next year.</p></article>"
    )
    site.write("harian/2026/11/26/cyber-hub-update.html", update)
    index = (site.root / "harian/index.html").read_text()
    link = '<li><a href="/harian/2026/11/26/cyber-hub-update.html">Cyber hub: update</a></li>'
    site.write("harian/index.html", index.replace("<ul>", "<ul>" + link, 1))
    before = len(hook.requests)
    assert run_cli(["once", "-c", str(config)]) == 0
    hook.wait_for(before + 1)
    time.sleep(0.3)
    new = hook.requests[before:]
    assert [r.json["title"].split("] ")[0] for r in new] == ["[nato-indo-pacific"]
    assert "Follow-up: this report adds New Zealand" in new[0].json["message"]
