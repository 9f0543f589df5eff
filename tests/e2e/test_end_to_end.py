"""pantau end to end: real HTTP outlets on 127.0.0.1, a real SMTP server, a real webhook receiver.

The outlets are the demo's (src/pantau/demo/site, with EXPECTED.md saying which article must alert on which
rule); each test serves a private copy so it can publish articles and script failures.
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.site import ScriptedSite
from support.smtp import SmtpSink
from support.webhook import WebhookSink

from pantau.cli import run_cli
from pantau.config import load_config
from pantau.demo.server import DEMO_SITE
from pantau.service.once import run_once
from pantau.store import Store

NATO = "nato-indo-pacific"
UKRAINE = "ukraine"


# Later copies of a story another outlet already carried (EXPECTED.md's notes): they match, but the story
# alerts once, and the wire and feedsite copies share their title, so either one stands for both.
FOLDED = {"/feedsite/news/310102/japan-pledges-450-million-dollars-to-help-ukraine-through-winter"}


def expected_alerts() -> dict[str, list[str]]:
    """rule -> article titles (one per expected alert), read from the outlets' EXPECTED.md table."""
    table = (DEMO_SITE / "EXPECTED.md").read_text(encoding="utf-8")
    out: dict[str, list[str]] = {NATO: [], UKRAINE: []}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 7 and cells[0] in {"warta", "wire", "feedsite"} and cells[1] not in FOLDED:
            if cells[4] == "yes":
                out[NATO].append(cells[2])
            if cells[5] == "yes":
                out[UKRAINE].append(cells[2])
    return out


CONFIG = """\
database: sqlite:///{db}
timezone: Asia/Jakarta
defaults:
  every: 5m
  timeout: 3s
  max_age: off  # the demo outlets' articles carry fixed dates in November 2026
channels:
  desk: {mail}
  hook: {hook}
sources:
  - name: warta
    url: {base}/warta/index.html
    link_pattern: '/p\\d+$'
    article:
      body: ".detail-content"
      drop: [".baca-juga", ".komentar"]
  - name: wire
    url: {base}/wire/index.html
    links: "a[href*='/news/']"
  - name: feedsite
    url: {base}/feedsite/index.html
{extra_sources}
concepts:
  nato: [NATO, OTAN, "North Atlantic Treaty Organization", "Pakta Pertahanan Atlantik Utara"]
  ip4: [IP4, AP4, "Indo-Pacific Four", "mitra Indo-Pasifik"]
  japan: [Japan, Japanese, Jepang, Tokyo]
  south_korea: ["South Korea", "Korea Selatan", Korsel, Seoul]
  australia: [Australia, Australian, Canberra]
  new_zealand: ["New Zealand", "Selandia Baru", Wellington]
  ukraine:
    en: [Ukraine, Ukrainian, Kyiv, Zelenskyy]
    id: [Ukraina, Kiev]
rules:
  - name: nato-indo-pacific
    match: '@nato AND (@ip4 OR @japan OR @south_korea OR @australia OR @new_zealand)'
    notify: [desk, hook]
  - name: ukraine
    match: 'title:@ukraine OR (@ukraine AND (war OR perang OR aid OR bantuan))'
    notify: hook
"""


def write_config(
    tmp_path: Path, site: ScriptedSite, smtp: SmtpSink, hook: WebhookSink, extra: str = ""
) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        CONFIG.format(
            db=tmp_path / "pantau.db",
            mail=smtp.url(),
            hook=hook.url(),
            base=site.url,
            extra_sources=extra,
        )
    )
    return path


def settle() -> None:
    """Give the sinks' threads a moment: anything that was going to arrive has arrived."""
    time.sleep(0.3)


def hook_titles(hook: WebhookSink, skip: int = 0) -> list[str]:
    return [r.json["title"] for r in hook.requests[skip:]]


def test_alerts_arrive_once_and_a_new_article_alerts_exactly_once(
    tmp_path: Path, site: ScriptedSite, smtp: SmtpSink, hook: WebhookSink, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, site, smtp, hook)
    expected = expected_alerts()
    assert len(expected[NATO]) == 3 and len(expected[UKRAINE]) == 4  # feedsite 310102 folds into wire's story

    assert run_cli(["once", "--config", str(config)]) == 0
    mails = smtp.wait_for(len(expected[NATO]))
    posts = hook.wait_for(len(expected[NATO]) + len(expected[UKRAINE]))
    settle()

    # exactly the expected (rule, article) pairs, each once, nothing set off by menus, boxes or comments
    assert sorted(m["Subject"] for m in smtp.messages) == sorted(f"[{NATO}] {t}" for t in expected[NATO])
    wanted = [f"[{NATO}] {t}" for t in expected[NATO]] + [f"[{UKRAINE}] {t}" for t in expected[UKRAINE]]
    assert sorted(hook_titles(hook)) == sorted(wanted)

    # what a message says: rule, title, source, canonical link, local time, matched terms, snippet
    mail = next(m for m in mails if "Indonesia says NATO" in m["Subject"])
    text = mail.get_body(preferencelist=("plain", "html")).get_content()
    assert "Rule: nato-indo-pacific" in text and "Source: feedsite" in text
    assert "/feedsite/news/310101/indonesia-says-nato-outreach-must-respect-asean-centrality" in text
    assert "utm_" not in text
    assert "24 Nov 2026 10:15 WIB" in text  # 03:15 UTC in Asia/Jakarta
    assert re.search(r"Matched: .*NATO.*IP4|Matched: .*IP4.*NATO", text)
    post = next(p for p in posts if "Zelenskyy" in p.json["title"])
    assert "Source: warta" in post.json["message"] and "Kiev" in post.json["message"]
    assert post.headers.get("x-pantau-delivery")

    # a second run finds nothing new and sends nothing
    before_mail, before_hook = len(smtp.messages), len(hook.requests)
    assert run_cli(["once", "--config", str(config)]) == 0
    settle()
    assert (len(smtp.messages), len(hook.requests)) == (before_mail, before_hook)

    # publish one new article: exactly one new alert, to both of its rule's channels
    publish_warta_article(site)
    assert run_cli(["once", "-c", str(config)]) == 0
    smtp.wait_for(before_mail + 1)
    hook.wait_for(before_hook + 1)
    settle()
    assert len(smtp.messages) == before_mail + 1 and len(hook.requests) == before_hook + 1
    assert smtp.messages[-1]["Subject"] == f"[{NATO}] NATO dan Jepang Sepakati Latihan Siber Bersama"

    # the record of it all
    capsys.readouterr()
    assert run_cli(["alerts", "--since", "30d", "-c", str(config)]) == 0
    listing = capsys.readouterr().out
    assert listing.count("-> desk: delivered") == 4 and listing.count("-> hook: delivered") == 8
    # the japan-pledges-aid story alerted once, naming the outlet whose copy came second
    assert re.search(
        r"\[ukraine\] (wire|feedsite): Japan pledges .*\n.*\n\s+also reported by: (feedsite|wire)", listing
    )
    assert run_cli(["sources", "-c", str(config)]) == 0
    health = capsys.readouterr().out
    assert re.search(r"warta .* 0 +7 ", health), health


def publish_warta_article(site: ScriptedSite) -> None:
    page = (
        "<!doctype html><html lang='id'><head><meta charset='utf-8'>"
        "<title>NATO dan Jepang Sepakati Latihan Siber Bersama - Warta Nusantara</title></head><body>"
        "<nav><a href='/warta/index.html'>Beranda</a> Ukraina Perang</nav>"
        "<h1>NATO dan Jepang Sepakati Latihan Siber Bersama</h1>"
        "<div class='tanggal'>Rabu, 25 November 2026 | 09:30 WIB</div>"
        "<div class='detail-content'><p>Jakarta, Warta Nusantara - NATO dan Jepang sepakat menggelar latihan "
        "pertahanan siber bersama mulai tahun depan, kata pejabat kedua pihak pada Rabu.</p>"
        "<div class='baca-juga'>Baca juga: Ukraina terima bantuan baru</div>"
        "<p>Latihan itu akan melibatkan tim tanggap insiden dari Tokyo dan markas aliansi di Brussel.</p>"
        "</div><div class='komentar'>Bagaimana dengan perang di Ukraina?</div></body></html>"
    )
    site.write("warta/p1007", page)
    index = (site.root / "warta" / "index.html").read_text(encoding="utf-8")
    link = '<li><a href="/warta/p1007">NATO dan Jepang Sepakati Latihan Siber Bersama</a></li>'
    site.write(
        "warta/index.html", index.replace("<ul", "<ul>" + link + "<ul", 1) if "<ul" in index else index + link
    )


def test_a_failed_delivery_is_retried_and_arrives_exactly_once(
    tmp_path: Path, site: ScriptedSite, smtp: SmtpSink, hook: WebhookSink
) -> None:
    config_path = write_config(tmp_path, site, smtp, hook)
    config = load_config(config_path)
    hook.statuses = [500]  # the webhook is down for the first delivery
    now = [datetime(2026, 11, 25, 3, 0, tzinfo=UTC)]
    store = Store.open(config.database)
    try:
        first = asyncio.run(run_once(config, store, lambda: now[0]))
        # the failure holds back the rest of that channel (order is kept), never the mail channel
        assert first.delivery.failed == 7 and first.delivery.delivered == 3
        assert len(smtp.messages) == 3
        assert len(hook.requests) == 1
        # not due again until its backoff has passed
        again = asyncio.run(run_once(config, store, lambda: now[0]))
        assert again.delivery.delivered == 0
        now[0] += timedelta(minutes=5)
        later = asyncio.run(run_once(config, store, lambda: now[0]))
        assert later.delivery.delivered == 7 and later.delivery.failed == 0
        now[0] += timedelta(hours=1)
        asyncio.run(run_once(config, store, lambda: now[0]))
    finally:
        store.close()
    settle()
    titles = hook_titles(hook, skip=1)  # what arrived after the refused first attempt
    expected = expected_alerts()
    assert sorted(titles) == sorted(
        [f"[{NATO}] {t}" for t in expected[NATO]] + [f"[{UKRAINE}] {t}" for t in expected[UKRAINE]]
    )
    assert len(smtp.messages) == 3


def test_bad_pages_fail_their_source_alone(
    tmp_path: Path, site: ScriptedSite, smtp: SmtpSink, hook: WebhookSink, capsys: pytest.CaptureFixture[str]
) -> None:
    site.write(
        "bad/list.html",
        "<html><body><a href='/bad/truncated.html'>t</a> <a href='/bad/invalid-utf8.html'>u</a></body></html>",
    )
    extra = "\n".join(
        [
            "  - {name: big, url: '%s/bad/oversized', links: a}",
            "  - {name: bomb, url: '%s/bad/gzip-bomb', links: a}",
            "  - {name: notxml, url: '%s/bad/not-xml.rss'}",
            "  - {name: hang, url: '%s/bad/hang', links: a, timeout: 1s}",
            "  - {name: broken, url: '%s/bad/list.html', links: a}",
            "  - {name: gone, url: '%s/nothing/here.html', links: a}",
            "  - {name: redesigned, url: '%s/bad/list.html', links: 'h2.headline a'}",
        ]
    ) % ((site.url,) * 7)
    config = write_config(tmp_path, site, smtp, hook, extra)
    assert run_cli(["once", "-c", str(config)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = {
        name: [ln for ln in err.splitlines() if ln.strip().startswith(name + ":")]
        for name in ("big", "bomb", "notxml", "hang", "gone", "redesigned", "warta", "wire", "feedsite")
    }
    assert any("fetch: response larger than" in ln for ln in lines["big"])
    assert any("fetch: response larger than" in ln for ln in lines["bomb"])
    assert any("discover: not a valid feed" in ln for ln in lines["notxml"])
    assert any("fetch: timed out after 1s" in ln for ln in lines["hang"])
    assert any("fetch: HTTP 404" in ln for ln in lines["gone"])
    assert any(
        f"discover: no article links on {site.url}/bad/list.html match links 'h2.headline a'" in ln
        for ln in lines["redesigned"]
    )
    # the good outlets were still polled and alerted
    assert any("6 new articles, 3 alerts" in ln for ln in lines["warta"])
    hook.wait_for(7)
    settle()
    assert len(hook_titles(hook)) == 7


def test_test_rule_backtests_over_the_store(
    tmp_path: Path, site: ScriptedSite, smtp: SmtpSink, hook: WebhookSink, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, site, smtp, hook)
    assert run_cli(["once", "-c", str(config)]) == 0
    capsys.readouterr()
    # a rule the user is still writing: which stored articles would it have alerted on?
    assert run_cli(["test-rule", "@ukraine AND (bantuan OR aid)", "--since", "7d", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert "Ukraina Terima Paket Bantuan" in out and "Japan pledges $450 million" in out
    assert "Rupiah Menguat" not in out  # its "Baca juga" box mentions Ukraina and bantuan: not the article
    assert re.search(r"\d+ stored articles? would have matched", out)
    assert run_cli(["test-rule", "Renato", "--since", "7d", "-c", str(config)]) == 0  # the coach, in p1004
    capsys.readouterr()
    assert run_cli(["test-rule", "@nato", "--article", "999999", "-c", str(config)]) == 2
    assert "no stored article" in capsys.readouterr().err


def test_an_article_that_failed_is_fetched_again_though_its_listing_is_unchanged(
    tmp_path: Path, site: ScriptedSite, smtp: SmtpSink, hook: WebhookSink, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, site, smtp, hook)
    site.fail("/warta/p1003", 503)
    assert run_cli(["once", "-c", str(config)]) == 1
    assert "fetch: HTTP 503" in capsys.readouterr().err
    with Store.open(load_config(config).database) as store:
        before = store.counts()["articles"]

    # The listing answers 304 now (nothing on it changed), yet the page that failed is tried again.
    assert run_cli(["once", "-c", str(config)]) == 0
    said = capsys.readouterr()
    assert re.search(r"warta: 1 new articles?\b", said.out + said.err)
    assert site.arrived("/warta/p1003") == 2
    with Store.open(load_config(config).database) as store:
        assert store.counts()["articles"] == before + 1
