"""/metrics of a real `pantau run` (polls that work and fail, alerts, deliveries that work and fail), parsed
with prometheus-client's own parser: its counters agree with what the store holds, on SQLite and PostgreSQL.

The service keeps polling while the test reads, so the store is read between two scrapes that agree with
each other: nothing happened in between, and the three are one consistent picture."""

from __future__ import annotations

import socket
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text
from support.process import PantauRun
from support.site import ScriptedSite
from support.webhook import WebhookSink

from pantau import __version__
from pantau.store import Store

CONFIG = """\
database: "{db}"
workers: 0
web: {{listen: "127.0.0.1:0"}}
defaults: {{every: 2s, timeout: 3s, max_age: "off"}}  # the demo outlets carry fixed dates
channels:
  hook: "{hook}"
  broken: "json://127.0.0.1:{closed}/nobody-listens"
sources:
  - {{name: wire, url: "{base}/wire/index.html", links: "a[href*='/news/']"}}
  - {{name: warta, url: "{base}/warta/index.html", link_pattern: '/p\\d+$'}}
  - {{name: gone, url: "{base}/gone/index.html"}}
concepts:
  nato: [NATO, OTAN]
  partners: [Japan, Jepang, "South Korea", Australia, "New Zealand"]
rules:
  - {{name: nato, match: '@nato AND @partners', notify: [hook, broken]}}
  - {{name: ukraine, match: 'title:Ukraine OR title:Ukraina', notify: hook}}
"""

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def parse(body: str) -> Samples:
    out: Samples = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def by(samples: Samples, name: str, label: str) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for (sample, labels), v in samples.items():
        if sample == name and v:
            out[dict(labels)[label]] += v
    return dict(out)


def test_metrics_of_pantau_run_agree_with_the_store(
    tmp_path: Path, store_url: str, site: ScriptedSite, hook: WebhookSink
) -> None:
    config_file = tmp_path / "config.yaml"
    config_file.write_text(CONFIG.format(db=store_url, hook=hook.url(), closed=closed_port(), base=site.url))
    service = PantauRun(config_file)
    try:
        base = service.web_url()
        with httpx.Client(base_url=base, timeout=10) as client:
            assert client.get("/healthz").text == "ok"
            deadline = time.monotonic() + 60
            while site.arrived("/wire/index.html") < 3 or site.arrived("/gone/index.html") < 2:
                assert time.monotonic() < deadline, service.log
                time.sleep(0.1)
            scraped = client.get("/metrics")
            assert scraped.headers["content-type"].startswith("text/plain")
            samples, stored = consistent(client, store_url)
    finally:
        assert service.stop() == 0
    assert "Traceback" not in service.log
    agree(samples, stored, len(hook.requests))


def consistent(client: httpx.Client, store_url: str) -> tuple[Samples, Stored]:
    for _ in range(50):
        before = parse(client.get("/metrics").text)
        stored = read_store(store_url)
        if parse(client.get("/metrics").text) == before:
            return before, stored
        time.sleep(0.2)
    raise AssertionError("the service never kept still between two scrapes")


@dataclass(frozen=True)
class Stored:
    alerts: dict[str, int]
    articles: dict[str, int]
    deliveries: list[tuple[str, str, int, int]]  # channel, state, rows, attempts
    health: dict[str, tuple[int, datetime | None]]  # source -> failures in a row, last success


def read_store(url: str) -> Stored:
    engine = create_engine(url)
    with engine.connect() as conn:

        def sql(query: str) -> list[Any]:
            return list(conn.execute(text(query)).all())

        alerts = dict(sql("SELECT rule, count(*) FROM alert GROUP BY rule"))
        articles = dict(sql("SELECT source, count(*) FROM article GROUP BY source"))
        deliveries = [
            tuple(row)
            for row in sql(
                "SELECT channel, state, count(*), sum(attempts) FROM delivery GROUP BY channel, state"
            )
        ]
    engine.dispose()
    with Store.open(url) as store:
        health = {h.name: (h.consecutive_failures, h.last_success_at) for h in store.all_source_health()}
    return Stored(alerts, articles, deliveries, health)


def agree(samples: Samples, stored: Stored, posted: int) -> None:
    assert value(samples, "pantau_build_info", version=__version__) == 1
    assert stored.alerts and by(samples, "pantau_alerts_total", "rule") == stored.alerts
    assert by(samples, "pantau_articles_total", "source") == stored.articles
    assert set(stored.articles) == {"wire", "warta"}

    attempts: dict[str, float] = defaultdict(float)
    for channel, state, count, tried in stored.deliveries:
        if state in ("delivered", "dead"):
            assert value(samples, "pantau_deliveries_total", channel=channel, outcome=state) == count
        else:
            assert value(samples, "pantau_outbox_pending", channel=channel) == count
        attempts[channel] += tried
    for channel, tried in attempts.items():
        counted = sum(
            value(samples, "pantau_deliveries_total", channel=channel, outcome=o)
            for o in ("delivered", "failed", "dead")
        )
        assert counted == tried, channel  # every attempt the store counted, counted once
    # the first alert's attempt fails; the others wait behind it, unattempted, so the order survives
    assert value(samples, "pantau_deliveries_total", channel="broken", outcome="failed") == 1
    assert value(samples, "pantau_outbox_pending", channel="broken") == stored.alerts["nato"]
    delivered = value(samples, "pantau_deliveries_total", channel="hook", outcome="delivered")
    waiting = value(samples, "pantau_outbox_pending", channel="hook")
    assert delivered + waiting == sum(stored.alerts.values()) and delivered >= 1 and posted >= delivered
    assert value(samples, "pantau_alert_delay_seconds_count") == delivered

    failures, last_success = stored.health["gone"]
    assert last_success is None and failures >= 2
    assert value(samples, "pantau_polls_total", source="gone", outcome="failed") == failures
    assert value(samples, "pantau_polls_total", source="gone", outcome="ok") == 0
    assert ("pantau_source_last_success_timestamp_seconds", frozenset({("source", "gone")})) not in samples
    for source in ("wire", "warta"):
        polls = sum(
            value(samples, "pantau_polls_total", source=source, outcome=o)
            for o in ("ok", "not_modified", "failed")
        )
        assert (
            value(samples, "pantau_polls_total", source=source, outcome="not_modified") >= 1
        )  # re-polled: 304
        assert value(samples, "pantau_poll_duration_seconds_count", source=source) == polls
        success = stored.health[source][1]
        assert success is not None
        last = value(samples, "pantau_source_last_success_timestamp_seconds", source=source)
        assert last == pytest.approx(success.timestamp(), abs=0.001)
