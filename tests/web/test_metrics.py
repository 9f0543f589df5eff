"""/metrics after a real run (polls that work and fail, alerts, deliveries that work and fail), parsed with
prometheus-client's own parser: its counters agree with what the store holds, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import socket
from collections import defaultdict
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text
from support.running import running, wait_until
from support.site import ScriptedSite
from support.webhook import WebhookSink

from pantau import __version__
from pantau.config import Config, load_config
from pantau.store import Store

CONFIG = """\
database: "{db}"
workers: 0
defaults: {{every: 1s, timeout: 3s, max_age: "off"}}  # the demo outlets carry fixed dates
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


def test_metrics_agree_with_the_store(
    tmp_path: Path, store_url: str, site: ScriptedSite, hook: WebhookSink
) -> None:
    config_file = tmp_path / "config.yaml"
    config_file.write_text(CONFIG.format(db=store_url, hook=hook.url(), closed=closed_port(), base=site.url))
    config = load_config(config_file)
    with Store.open(config.database) as store:
        body, healthz = asyncio.run(_run(config, store, site))
        samples = parse(body)
        engine = create_engine(store_url)
        with engine.connect() as conn:
            sql = lambda q: conn.execute(text(q)).all()  # noqa: E731
            alerts = dict(sql("SELECT rule, count(*) FROM alert GROUP BY rule"))
            articles = dict(sql("SELECT source, count(*) FROM article GROUP BY source"))
            deliveries = sql(
                "SELECT channel, state, count(*), sum(attempts) FROM delivery GROUP BY channel, state"
            )
        engine.dispose()
        health = {h.name: (h.consecutive_failures, h.last_success_at) for h in store.all_source_health()}

    assert healthz == (200, "ok")
    assert value(samples, "pantau_build_info", version=__version__) == 1
    assert alerts and by(samples, "pantau_alerts_total", "rule") == alerts
    assert by(samples, "pantau_articles_total", "source") == articles
    assert set(articles) == {"wire", "warta"}

    attempts: dict[str, float] = defaultdict(float)
    for channel, state, count, tried in deliveries:
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
    assert value(samples, "pantau_outbox_pending", channel="broken") == alerts["nato"]
    assert value(samples, "pantau_deliveries_total", channel="hook", outcome="delivered") == len(
        hook.requests
    )
    assert value(samples, "pantau_alert_delay_seconds_count") == len(hook.requests)

    failures, last_success = health["gone"]
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
        stored = health[source][1]
        assert stored is not None
        last = value(samples, "pantau_source_last_success_timestamp_seconds", source=source)
        assert last == pytest.approx(stored.timestamp(), abs=0.001)


async def _run(config: Config, store: Store, site: ScriptedSite) -> tuple[str, tuple[int, str]]:
    async with running(config, store) as run, httpx.AsyncClient(base_url=run.base) as client:
        await wait_until(
            lambda: site.arrived("/wire/index.html") >= 3 and site.arrived("/gone/index.html") >= 2
        )
        ok = await client.get("/healthz")
        await run.stop()
        scraped = await client.get("/metrics")
        assert scraped.headers["content-type"].startswith("text/plain")
        return scraped.text, (ok.status_code, ok.text)
