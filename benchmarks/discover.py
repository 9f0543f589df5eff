"""Throughput of discovery and URL canonicalisation, printed as figures with a baseline from the same run.

Run: PYTHONPATH=src .venv/bin/python tests/discover/bench_discover.py
Not collected by pytest (no test_ prefix): timings depend on the machine and belong in no assertion.
The baselines are the cheapest thing that touches the same bytes (feedparser alone; urlsplit alone), so
the ratios stay meaningful on a noisy shared machine.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import feedparser

from pantau.dedupe import canonical_url
from pantau.discover import discover
from pantau.models import Page

BASE = "https://bench.example.id"


def _rss(items: int) -> bytes:
    rows = "".join(
        f"<item><title>NATO dan Jepang {i}</title><link>{BASE}/berita/{i}?utm_source=rss</link>"
        f"<pubDate>Tue, 24 Nov 2026 10:{i % 60:02d}:00 +0700</pubDate>"
        f"<description>&lt;p&gt;Ringkasan berita nomor {i} tentang Ukraina.&lt;/p&gt;</description></item>"
        for i in range(items)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>B</title>{rows}</channel></rss>'.encode()


def _sitemap(urls: int) -> bytes:
    rows = "".join(f"<url><loc>{BASE}/p{i}</loc><lastmod>2026-11-24</lastmod></url>" for i in range(urls))
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</urlset>'.encode()


def _listing(anchors: int) -> bytes:
    nav = "".join(f'<a href="/kategori/{i}">Kategori {i}</a>' for i in range(50))
    rows = "".join(
        f'<h2 class="t"><a href="/read/2026/11/{i}/judul-{i}">Judul {i}</a></h2>' for i in range(anchors)
    )
    return f"<html><body><nav>{nav}</nav><main>{rows}</main></body></html>".encode()


def _time(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - start) / repeat)
    return best


def _page(body: bytes, content_type: str) -> Page:
    return Page(url=BASE, final_url=BASE, status=200, content_type=content_type, charset=None, body=body)


def main() -> None:
    rss = _page(_rss(100), "application/rss+xml")
    t_ours = _time(lambda: discover(rss, links=None, link_pattern=None), 20)
    t_base = _time(lambda: feedparser.parse(io.BytesIO(rss.body)), 20)
    print(
        f"rss 100 items   discover {t_ours * 1e3:7.2f} ms  feedparser alone {t_base * 1e3:7.2f} ms"
        f"  ratio {t_ours / t_base:.2f}"
    )

    sm = _page(_sitemap(10_000), "application/xml")
    t_sm = _time(lambda: discover(sm, links=None, link_pattern=None), 3)
    print(
        f"sitemap 10k     discover {t_sm * 1e3:7.2f} ms"
        f"  ({10_000 / t_sm:,.0f} URLs/s, {len(sm.body) / t_sm / 1e6:.0f} MB/s)"
    )

    html = _page(_listing(200), "text/html")
    pattern = re.compile(r"/read/\d{4}/")
    t_css = _time(lambda: discover(html, links="h2.t a", link_pattern=None), 50)
    t_re = _time(lambda: discover(html, links=None, link_pattern=pattern), 50)
    print(f"listing 250 a   css {t_css * 1e3:6.2f} ms  regex {t_re * 1e3:6.2f} ms")

    urls = [
        f"https://www.Bench.example.id/amp/read/2026/11/{i}/judul/?utm_source=x&id={i}#c"
        for i in range(10_000)
    ]
    t_canon = _time(lambda: [canonical_url(u) for u in urls], 1)
    t_split = _time(lambda: [urlsplit(u) for u in urls], 1)
    print(
        f"canonical_url   {len(urls) / t_canon:,.0f} URLs/s  urlsplit alone {len(urls) / t_split:,.0f} URLs/s"
        f"  ratio {t_canon / t_split:.1f}"
    )


if __name__ == "__main__":
    main()
