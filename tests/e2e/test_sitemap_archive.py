"""A big outlet's sitemap index, oldest child first: the first poll reads today's news, not the archive.

Twelve child sitemaps of 150 articles each, listed oldest first with <lastmod>, each article with its news
publication date. Today's child holds three articles that mention NATO, a month-old child three more. One
article in today's child was changed today but first published a month ago: it is read, stored and held
back as too old (max_age, default 3 days), never alerted.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.outlet import BASE, QuerySite, article_html, prose
from support.webhook import WebhookSink

from pantau.cli import run_cli

CHILDREN, PER_CHILD = 12, 150
TODAY_MATCHES = {10, 70, 140}  # positions in the newest child
OLD_MATCHES = {5, 50, 100}  # positions in the second-oldest child (a month old)
REPUBLISHED = 149  # in the newest child: changed today, first published a month ago, mentions NATO

CONFIG = """\
database: {db}
workers: 0
defaults:
  every: 5m
  timeout: 5s
channels:
  hook: {hook}
sources:
  - name: harian
    url: {base}/sitemap_index.xml
rules:
  - name: nato
    match: NATO
    notify: hook
"""


def _title(child: int, i: int) -> str:
    return f"Report {child}-{i} from the regional desk"


def build_outlet(site: QuerySite, now: datetime) -> None:
    index = ['<?xml version="1.0" encoding="UTF-8"?>']
    index.append('<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">')
    for child in range(1, CHILDREN + 1):
        age = timedelta(days=3 * (CHILDREN - child))
        index.append(
            f"<sitemap><loc>{BASE}/sitemaps/news-{child}.xml</loc>"
            f"<lastmod>{(now - age).isoformat()}</lastmod></sitemap>"
        )
        entries = []
        for i in range(PER_CHILD):
            published = now - age - timedelta(minutes=2 * (PER_CHILD - i))
            matches = (child == CHILDREN and i in TODAY_MATCHES) or (child == 2 and i in OLD_MATCHES)
            if child == CHILDREN and i == REPUBLISHED:
                published, matches = now - timedelta(days=30), True
                entries.append(
                    f"<url><loc>{BASE}/news/{child}-{i}</loc>"
                    f"<lastmod>{(now - timedelta(minutes=1)).isoformat()}</lastmod></url>"
                )
            else:
                entries.append(
                    f"<url><loc>{BASE}/news/{child}-{i}</loc><news:news><news:publication>"
                    "<news:name>Harian</news:name><news:language>en</news:language></news:publication>"
                    f"<news:publication_date>{published.isoformat()}</news:publication_date>"
                    f"<news:title>{_title(child, i)}</news:title></news:news></url>"
                )
            lead = f"Item {child}-{i}: the regional desk filed this report on local affairs."
            if matches:
                lead = f"Item {child}-{i}: NATO ministers met their Asian partners to discuss the region."
            site.write(
                f"news/{child}-{i}",
                article_html(_title(child, i), [lead, *prose(f"{child}-{i}")], published=published),
            )
        site.write(
            f"sitemaps/news-{child}.xml",
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
            + "\n".join(entries)
            + "\n</urlset>\n",
        )
    index.append("</sitemapindex>")
    site.write("sitemap_index.xml", "\n".join(index) + "\n")


def test_first_poll_alerts_todays_matches_and_no_old_news(
    tmp_path: Path, store_url: str, hook: WebhookSink, capsys: pytest.CaptureFixture[str]
) -> None:
    site = QuerySite(tmp_path / "site")
    build_outlet(site, datetime.now(UTC))
    with site:
        config = tmp_path / "config.yaml"
        config.write_text(CONFIG.format(db=store_url, hook=hook.url(), base=site.url))
        assert run_cli(["once", "-c", str(config)]) == 0
        time.sleep(0.3)  # anything that was going to arrive has arrived
        titles = sorted(r.json["title"] for r in hook.requests)
        assert titles == sorted(f"[nato] {_title(CHILDREN, i)}" for i in TODAY_MATCHES)
        asked = site.paths()
        # the newest children were read, the archive's oldest not at all
        assert "/sitemaps/news-12.xml" in asked and "/sitemaps/news-1.xml" not in asked
        assert not any(p.startswith("/news/2-") for p in asked)
        assert f"/news/{CHILDREN}-{REPUBLISHED}" in asked  # read (changed today) but held back

        capsys.readouterr()
        assert run_cli(["sources", "-c", str(config)]) == 0
        row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("harian"))
        found = re.search(r"(\d+)\s+(\d+)\s+(\d+)\s*$", row)
        assert found is not None and found.groups() == ("0", "200", "1")  # fails, articles, too old
        assert run_cli(["alerts", "-c", str(config)]) == 0
        listing = capsys.readouterr().out
        assert listing.count("[nato]") == 3
        assert "1 matching article held back as too old" in listing
