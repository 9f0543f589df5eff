"""An article updated in place, end to end: a real local outlet, real polls, a real webhook receiver.

The article first names Ukraina (one alert). Its outlet then adds a paragraph about NATO under the same
URL: the re-check alerts once on the update, marked as one, and the Ukraina rule sends nothing new. A later
re-check finds the page unchanged (304) and sends nothing.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from support.outlet import BASE, QuerySite, article_html, prose
from support.webhook import WebhookSink

from pantau.cli import run_cli
from pantau.store import Store

PATH = "/berita/2026/11/30/menlu-bertemu-mitra"
TITLE = "Menlu bertemu mitra dari Eropa membahas Ukraina"
CONFIG = """\
database: {db}
workers: 0
defaults: {{every: 1s, timeout: 5s, recheck: 1h}}
channels: {{hook: "{hook}"}}
sources:
  - {{name: kabar, url: "{base}/index.html", links: "a.berita"}}
rules:
  - {{name: nato, match: NATO, notify: hook}}
  - {{name: ukraina, match: Ukraina, notify: hook}}
"""


def _article(site: QuerySite, published: datetime, *, update: bool) -> None:
    paragraphs = [
        "Menteri luar negeri bertemu mitra dari Eropa untuk membahas bantuan bagi Ukraina.",
        *prose("u"),
    ]
    if update:
        paragraphs.append(
            "PEMUTAKHIRAN: Sekretaris Jenderal NATO kemudian ikut bergabung dalam pertemuan itu."
        )
    site.write(PATH[1:], article_html(TITLE, paragraphs, published=published, lang="id"))


def test_an_update_that_adds_a_watched_word_alerts_once(
    tmp_path: Path, store_url: str, hook: WebhookSink
) -> None:
    site = QuerySite(tmp_path / "site")
    published = datetime.now(UTC) - timedelta(minutes=30)
    site.write("index.html", f'<html><body><a class="berita" href="{BASE}{PATH}">{TITLE}</a></body></html>')
    _article(site, published, update=False)
    with site:
        config = tmp_path / "config.yaml"
        config.write_text(CONFIG.format(db=store_url, hook=hook.url(), base=site.url))
        assert run_cli(["once", "-c", str(config)]) == 0
        hook.wait_for(1)
        assert [r.json["title"] for r in hook.requests] == [f"[ukraina] {TITLE}"]

        time.sleep(1.2)  # the first re-check is due one poll interval after the article was first seen
        _article(site, published, update=True)
        assert run_cli(["once", "-c", str(config)]) == 0
        hook.wait_for(2)
        time.sleep(0.3)
        assert [r.json["title"] for r in hook.requests[1:]] == [f"[nato] {TITLE}"]
        message = hook.requests[1].json["message"]
        assert "Update" in message and "NATO" in message
        checks = site.requests(PATH)
        assert len(checks) == 2 and checks[1].if_none_match and checks[1].status == 200

        time.sleep(2.5)  # the next gap is as long as the article's age at the last check
        assert run_cli(["once", "-c", str(config)]) == 0
        time.sleep(0.3)
        checks = site.requests(PATH)
        assert len(checks) == 3 and checks[2].status == 304  # re-checked, unchanged
        assert len(hook.requests) == 2

    with Store.open(store_url) as store:
        assert store.counts()["alerts"] == 2
