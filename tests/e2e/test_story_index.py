"""Stories end to end through real local servers: bulletins from one template alert once each, a copy of a
bulletin folds into it, and an article that matched no rule still anchors its story for a later rewrite.

The outlets are written into a temporary folder and served on 127.0.0.1; `pantau once`, `pantau alerts`
and `pantau stories` run as a user runs them, alerts arrive at a real webhook receiver.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from support.site import ScriptedSite
from support.webhook import WebhookSink

from pantau.cli import run_cli

BULLETINS = Path(__file__).parents[1] / "stories" / "data" / "bulletins.yaml"

CONFIG = """\
database: sqlite:///{db}
timezone: Asia/Jakarta
defaults:
  every: 5m
  timeout: 3s
channels:
  hook: {hook}
sources:
  - name: agency
    url: {base}/agency/index.html
    links: "a[href*='/agency/']"
  - name: copier
    url: {base}/copier/index.html
    links: "a[href*='/copier/']"
rules:
  - name: drones
    match: 'drones OR drone'
    notify: hook
  - name: nato
    match: 'NATO'
    notify: hook
"""


def page(title: str, body: str, lang: str = "en") -> str:
    paras = "".join(f"<p>{html.escape(p)}</p>\n" for p in body.split("\n\n"))
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    return (
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>\n'
        f'<meta property="article:published_time" content="{now}"></head><body>\n'
        f"<nav><a href='/'>Home</a></nav>\n<article>\n<h1>{html.escape(title)}</h1>\n{paras}</article>\n"
        "</body></html>\n"
    )


def listing(outlet: str, articles: list[tuple[str, str]]) -> str:
    items = "".join(
        f'<li><a href="/{outlet}/{slug}.html">{html.escape(t)}</a></li>\n' for slug, t in articles
    )
    return f"<!doctype html>\n<html><head><title>{outlet}</title></head><body>\n<ul>\n{items}</ul>\n</body></html>\n"


def publish(site: ScriptedSite, outlet: str, articles: dict[str, tuple[str, str]]) -> None:
    for slug, (title, body) in articles.items():
        site.write(f"{outlet}/{slug}.html", page(title, body))
    site.write(f"{outlet}/index.html", listing(outlet, [(slug, t) for slug, (t, _) in articles.items()]))


def drone_bulletins(count: int) -> list[tuple[str, str]]:
    spec = next(
        t for t in yaml.safe_load(BULLETINS.read_text(encoding="utf-8")) if t["template"] == "drones-en"
    )
    out = []
    for fill in spec["fills"][:count]:
        values = {k: str(v) for k, v in fill.items()}
        out.append((spec["title"].format(**values), spec["body"].format(**values).strip()))
    return out


@pytest.fixture
def site(tmp_path: Path) -> Iterator[ScriptedSite]:
    root = tmp_path / "outlets"
    root.mkdir()
    server = ScriptedSite(root)
    server.start()
    yield server
    server.stop()


def write_config(tmp_path: Path, site: ScriptedSite, hook: WebhookSink) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "pantau.db", hook=hook.url(), base=site.url))
    return path


def settled(hook: WebhookSink, count: int) -> list[dict[str, str]]:
    hook.wait_for(count)
    time.sleep(0.3)  # anything that was going to arrive has arrived
    return [r.json for r in hook.requests]


def cli_output(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert run_cli(argv) == 0
    return capsys.readouterr().out


def test_a_series_of_bulletins_alerts_once_each_and_a_copy_folds_into_its_bulletin(
    tmp_path: Path, site: ScriptedSite, hook: WebhookSink, capsys: pytest.CaptureFixture[str]
) -> None:
    bulletins = drone_bulletins(5)
    publish(site, "agency", {f"night-{n}": b for n, b in enumerate(bulletins)})
    title, body = bulletins[2]
    copy = ("Russia fires drones at Ukraine: " + title, "KYIV (AP) — " + body + "\n\n(AP)")
    publish(site, "copier", {"wire-copy": copy})
    config = write_config(tmp_path, site, hook)

    assert run_cli(["once", "-c", str(config)]) == 0
    got = settled(hook, 5)
    assert len(got) == 5, [m["title"] for m in got]
    alerted = sorted(m["title"].removeprefix("[drones] ") for m in got)
    # every bulletin alerted once; the copy alerted in its place only if it was placed first
    for n, (bulletin_title, _) in enumerate(bulletins):
        if n != 2:
            assert alerted.count(bulletin_title) == 1, bulletin_title
    assert sum(t in (bulletins[2][0], copy[0]) for t in alerted) == 1

    listing_text = cli_output(["alerts", "--since", "1d", "-c", str(config)], capsys)
    also = re.findall(r"also reported by: (.+)\n\s+story (\d+): ", listing_text)
    assert len(also) == 1 and also[0][0] in ("agency", "copier")
    stories = cli_output(["stories", "--since", "1d", "-c", str(config)], capsys)
    assert f"story {also[0][1]}: 2 outlets" in stories
    assert len(re.findall(r"^story \d+: ", stories, re.M)) == 5

    before = len(hook.requests)
    assert run_cli(["once", "-c", str(config)]) == 0
    assert len(settled(hook, before)) == before


def test_an_article_that_matched_nothing_anchors_the_story_a_later_rewrite_joins(
    tmp_path: Path, site: ScriptedSite, hook: WebhookSink, capsys: pytest.CaptureFixture[str]
) -> None:
    story = (
        "Allies and four Asian partners opened a joint cyber defence centre in Tallinn on Tuesday, where "
        "about 60 specialists will share warnings of attacks on undersea cables and power grids.\n\n"
        "The centre, funded with 45 million euros over five years, will run its first joint exercise in "
        "March, its director Kadri Tamm told reporters at the opening ceremony.\n\n"
        "Japan and South Korea will each send eight officers, and Australia and New Zealand four each, "
        "under an agreement signed in Brussels last month."
    )
    publish(site, "agency", {"cyber-centre": ("Cyber defence centre opens in Tallinn", story)})
    config = write_config(tmp_path, site, hook)
    site.write("copier/index.html", listing("copier", []))
    assert run_cli(["once", "--source", "agency", "-c", str(config)]) == 0
    time.sleep(0.3)
    assert hook.requests == []  # nothing in it is watched

    rewrite = story.replace("Allies and four", "NATO and four") + "\n\nNATO officials called it a model."
    publish(site, "copier", {"nato-cyber": ("NATO opens cyber centre with Asian partners", rewrite)})
    assert run_cli(["once", "-c", str(config)]) == 0
    got = settled(hook, 1)
    assert [m["title"] for m in got] == ["[nato] NATO opens cyber centre with Asian partners"]
    found = re.search(r"Also reported by: agency \(story (\d+)\)", got[0]["message"])
    assert found, got[0]["message"]

    listing_text = cli_output(["alerts", "--since", "1d", "-c", str(config)], capsys)
    assert "also reported by: agency" in listing_text
    stories = cli_output(["stories", "--since", "1d", "-c", str(config)], capsys)
    assert f"story {found.group(1)}: 2 outlets (agency, copier), 2 articles, alerted: nato" in stories


INVISIBLE_PAGE = """<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>Menlu bahas bantuan untuk Ukra&#8203;ina</title></head><body>
<article>
<h1>Menlu bahas bantuan untuk Ukra&#8203;ina</h1>
<p>Menteri luar negeri negara anggota NA&shy;TO bertemu di Brussel pada Selasa untuk membahas bantuan musim
dingin bagi Ukra&#8203;ina, termasuk 120 trafo bergerak dan 3.000 generator listrik.</p>
<p>Pertemuan itu juga membahas perlindungan kabel bawah laut di Laut Baltik dan rencana latihan bersama
pada bulan Maret, kata juru bicara aliansi kepada wartawan.</p>
</article>
</body></html>
"""


def test_words_hidden_by_invisible_characters_alert_highlighted_and_copies_without_them_fold(
    tmp_path: Path, site: ScriptedSite, hook: WebhookSink, capsys: pytest.CaptureFixture[str]
) -> None:
    site.write("agency/menlu.html", INVISIBLE_PAGE)
    site.write("agency/index.html", listing("agency", [("menlu", "Menlu bahas bantuan")]))
    plain = INVISIBLE_PAGE.replace("&#8203;", "").replace("&shy;", "")
    site.write("copier/menlu-copy.html", plain.replace("<p>Menteri", "<p>JAKARTA (ANTARA) - Menteri"))
    site.write("copier/index.html", listing("copier", [("menlu-copy", "Menlu bahas bantuan")]))
    config = write_config(tmp_path, site, hook)
    config.write_text(
        config.read_text() + "  - name: ukraina\n    match: 'title:Ukraina'\n    notify: hook\n"
    )

    assert run_cli(["once", "--source", "agency", "-c", str(config)]) == 0
    got = settled(hook, 2)
    by_rule = {m["title"].split("]")[0].lstrip("["): m for m in got}
    assert sorted(by_rule) == ["nato", "ukraina"]
    assert by_rule["nato"]["message"].count("**NA\u00adTO**") == 1  # the whole word highlighted
    assert "**Ukra\u200bina**" in by_rule["ukraina"]["message"]

    assert run_cli(["once", "-c", str(config)]) == 0  # the copy without invisible characters
    assert len(settled(hook, 2)) == 2
    stories = cli_output(["stories", "--since", "1d", "-c", str(config)], capsys)
    assert "2 outlets (agency, copier), 2 articles" in stories


def test_stories_says_when_there_are_none_and_rejects_a_bad_period(
    tmp_path: Path, site: ScriptedSite, hook: WebhookSink, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, site, hook)
    assert "no stories since" in cli_output(["stories", "-c", str(config)], capsys)
    assert run_cli(["stories", "--since", "yesterday", "-c", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--since" in err and "Traceback" not in err
