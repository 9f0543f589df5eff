"""Relative publication dates ("2 jam lalu", "3 hours ago") resolve against the time the page was fetched,
which the caller passes in: the pipeline's fetch time, the CLI's own clock. Extraction never reads a clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pantau.analyse import ArticlePage, analyse
from pantau.cli import run_cli
from pantau.clock import utc_now
from pantau.extract import extract_article
from pantau.rules import compile_rules

FETCHED = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
BODY = (
    "<p>Pemerintah akan mengirim bantuan ke daerah yang terdampak banjir, dan juga menyiapkan posko untuk "
    "warga yang mengungsi dari rumah mereka di tepi sungai.</p>"
    "<p>Kepala badan penanggulangan bencana mengatakan air mulai surut sejak pagi, tetapi warga diminta tetap "
    "waspada karena hujan diperkirakan turun lagi pada malam hari.</p>"
)


def page(date_line: str, lang: str = "id") -> str:
    return (
        f"<html lang='{lang}'><head><title>Banjir</title></head><body><article><h1>Banjir surut</h1>"
        f"<span class='date'>{date_line}</span>{BODY}</article></body></html>"
    )


@pytest.mark.parametrize(
    ("line", "lang", "ago"),
    [
        ("2 jam lalu", "id", timedelta(hours=2)),
        ("5 menit yang lalu", "id", timedelta(minutes=5)),
        ("3 hours ago", "en", timedelta(hours=3)),
        ("vor 10 Minuten", "de", timedelta(minutes=10)),
        ("il y a 2 jours", "fr", timedelta(days=2)),
        ("3時間前", "ja", timedelta(hours=3)),
    ],
)
def test_a_relative_date_counts_back_from_the_fetch_time(line: str, lang: str, ago: timedelta) -> None:
    got = extract_article(page(line, lang), "https://warta.example/p1", fetched_at=FETCHED)
    assert got.published == FETCHED - ago


def test_yesterday_is_the_day_before_the_fetch_in_the_page_zone() -> None:
    got = extract_article(page("Kemarin, 14.30 WIB"), "https://warta.example/p1", fetched_at=FETCHED)
    assert got.published == datetime(2026, 11, 29, 7, 30, tzinfo=UTC)


def test_without_a_fetch_time_a_relative_date_stays_unknown() -> None:
    assert extract_article(page("2 jam lalu"), "https://warta.example/p1").published is None


def test_the_pipeline_stage_passes_the_fetch_time_on() -> None:
    rules = compile_rules([], {})
    article = ArticlePage(page("2 jam lalu").encode(), "utf-8", "https://warta.example/p1", "warta")
    assert analyse(article, rules).extracted.published is None
    fetched = ArticlePage(
        page("2 jam lalu").encode(), "utf-8", "https://warta.example/p1", "warta", fetched_at=FETCHED
    )
    assert analyse(fetched, rules).extracted.published == FETCHED - timedelta(hours=2)


def test_cli_extract_reads_a_saved_page_against_its_own_clock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "banjir.html"
    saved.write_text(page("3 hours ago", "en"), encoding="utf-8")
    before = utc_now()
    assert run_cli(["extract", str(saved), "--json"]) == 0
    after = utc_now()
    published = datetime.fromisoformat(json.loads(capsys.readouterr().out)["published"])
    assert before - timedelta(hours=3, seconds=1) <= published <= after - timedelta(hours=3)
