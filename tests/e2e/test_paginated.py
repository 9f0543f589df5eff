"""Articles split over pages, end to end through a real local outlet.

kabar's listing has a pager of its own ("Halaman 1 2 Selanjutnya") that must never be followed. Its first
article is split over two pages with `?page=2`, and only page 2 names NATO and Japan; its second article
is split over three pages with `/2`, `/3`, and robots.txt keeps pantau from page 3; its pages carry a
"Baca juga" box and a news index with a pager of its own, neither of which is followed.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from support.outlet import BASE, QuerySite, article_html, prose
from support.webhook import WebhookSink

from pantau.cli import run_cli
from pantau.store import Store

ONE = "/read/2026/11/30/101/menteri-bertemu-delegasi"
TWO = "/read/2026/11/30/103/jembatan-baru-diresmikan"
OTHER = "/read/2026/11/30/999/harga-beras-naik"

CONFIG = """\
database: {db}
workers: 0
defaults: {{every: 5m, timeout: 5s}}
channels: {{hook: "{hook}"}}
sources:
  - {{name: kabar, url: "{base}/index.html", links: "a.berita"}}
rules:
  - {{name: nato-japan, match: 'NATO AND (Japan OR Jepang)', notify: hook}}
  - {{name: jembatan, match: 'jembatan AND gubernur', notify: hook}}
"""

SIDEBAR = (
    '<div class="baca-juga"><strong>Baca juga:</strong> '
    f'<a href="{BASE}{OTHER}">Harga beras naik</a> <a href="{BASE}{OTHER}">Berikutnya</a></div>'
    '<div class="indeks-terkini"><h3>Indeks berita</h3>'
    f'<div class="pagination">Halaman 1 <a href="{BASE}/indeks?page=2">2</a> '
    f'<a href="{BASE}/indeks?page=2">Selanjutnya</a></div></div>'
)


def _pager(first: str, number: int, pages: int, style: str) -> str:
    def href(n: int) -> str:
        if n == 1:
            return BASE + first
        return f"{BASE}{first}?page={n}" if style == "query" else f"{BASE}{first}/{n}"

    links = " ".join(
        f"<span>{n}</span>" if n == number else f'<a href="{href(n)}">{n}</a>' for n in range(1, pages + 1)
    )
    nxt = f' <a href="{href(number + 1)}">Selanjutnya</a>' if number < pages else ""
    return f'<div class="halaman">Halaman {links}{nxt}</div>' + SIDEBAR


def build(site: QuerySite, now: datetime) -> None:
    site.write("robots.txt", f"User-agent: *\nDisallow: {TWO}/3\n")
    listing = "".join(
        f'<li><a class="berita" href="{BASE}{path}">{title}</a></li>'
        for path, title in ((ONE, "Menteri bertemu delegasi"), (TWO, "Jembatan baru diresmikan"))
    )
    pager = f'<div class="pagination">Halaman 1 <a href="{BASE}/index.html?page=2">2</a> '
    pager += f'<a href="{BASE}/index.html?page=2">Selanjutnya</a></div>'
    site.write("index.html", f"<html><body><h1>Kabar</h1><ul>{listing}</ul>{pager}</body></html>")
    site.write(
        "index.html@page=2",
        f'<html><body><ul><li><a class="berita" href="{BASE}{OTHER}">Harga beras</a></li></ul></body></html>',
    )
    title = "Menteri bertemu delegasi dari Eropa"
    first = ["Menteri luar negeri menerima delegasi dari Eropa di Jakarta pada Senin.", *prose("one-1")]
    second = ["Dalam pertemuan itu NATO menyatakan ingin bekerja sama dengan Jepang.", *prose("one-2")]
    site.write(
        ONE[1:], article_html(title, first, published=now, extra=_pager(ONE, 1, 2, "query"), lang="id")
    )
    site.write(
        ONE[1:] + "@page=2", article_html(title, second, published=now, extra=_pager(ONE, 2, 2, "query"))
    )
    title = "Jembatan baru diresmikan di tepi sungai"
    pages = [
        ["Jembatan sepanjang dua ratus meter itu dibuka untuk umum pada Selasa pagi.", *prose("two-1")],
        ["Gubernur mengatakan jembatan itu memangkas waktu tempuh ke pasar.", *prose("two-2")],
        ["Halaman ini tidak boleh dibaca karena robots.txt melarangnya.", *prose("two-3")],
    ]
    for n, paragraphs in enumerate(pages, start=1):
        path = f"{TWO[1:]}/index.html" if n == 1 else f"{TWO[1:]}/{n}"  # /2 lives beside page 1
        site.write(path, article_html(title, paragraphs, published=now, extra=_pager(TWO, n, 3, "path")))
    site.write(
        OTHER[1:], article_html("Harga beras naik", ["NATO dan Jepang.", *prose("other")], published=now)
    )
    site.write("indeks@page=2", "<html><body><p>Indeks</p></body></html>")


def test_a_word_on_page_2_alerts_and_no_listing_pager_is_followed(
    tmp_path: Path, store_url: str, hook: WebhookSink
) -> None:
    site = QuerySite(tmp_path / "site")
    build(site, datetime.now(UTC) - timedelta(hours=1))
    with site:
        config = tmp_path / "config.yaml"
        config.write_text(CONFIG.format(db=store_url, hook=hook.url(), base=site.url))
        assert run_cli(["once", "-c", str(config)]) == 0
        hook.wait_for(2)
        time.sleep(0.3)
        titles = sorted(r.json["title"] for r in hook.requests)
        assert titles == [
            "[jembatan] Jembatan baru diresmikan di tepi sungai",
            "[nato-japan] Menteri bertemu delegasi dari Eropa",
        ]
        nato = next(r.json["message"] for r in hook.requests if "nato-japan" in r.json["title"])
        assert "NATO" in nato and "Jepang" in nato  # the snippet comes from page 2

        asked = site.paths()
        assert f"{ONE}?page=2" in asked and f"{TWO}/2" in asked
        assert f"{TWO}/3" not in asked  # robots.txt: continuation pages go through the same fetcher
        for never in ("/index.html?page=2", "/indeks?page=2", OTHER):
            assert never not in asked, f"{never} was fetched"
        assert asked.count(f"{ONE}?page=2") == 1

        before = len(hook.requests)
        assert run_cli(["once", "-c", str(config)]) == 0
        time.sleep(0.3)
        assert len(hook.requests) == before

    with Store.open(store_url) as store:
        bodies = [
            stored.article.body for stored in store.articles_since(datetime.now(UTC) - timedelta(hours=1))
        ]
    assert len(bodies) == 2
    assert all("Halaman" not in body.split("\n\n")[-1] for body in bodies)  # the pagers' lines left out
    assert not any("robots.txt melarangnya" in body for body in bodies)  # page 3 was never read
