"""The store going away under a running service is an operational event: one log line per failed poll or
delivery pass naming the cause, 503 on /healthz, counted in /metrics, the ops channel told once when it
lasts and once when it recovers, and nothing lost: every alert arrives once afterwards.

PostgreSQL is reached through a TCP proxy that the test cuts (open connections reset, new ones refused,
as when the server stops) and restores; SQLite is locked by another process's exclusive transaction.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from support.process import PantauRun
from support.running import Running, running, wait_until
from support.site import ScriptedSite
from support.tcpproxy import TcpProxy
from support.webhook import WebhookRequest, WebhookSink

from pantau.config import load_config
from pantau.store import Store

CONFIG = """\
database: "{db}"
workers: 0
defaults: {{every: 1s, timeout: 3s, max_age: "off"}}  # the demo outlets carry fixed dates
channels:
  alerts: "{alerts}"
  ops: "{ops}"
ops: {{channel: ops, store_down_after: 2s}}
sources:
  - {{name: wire, url: "{base}/wire/index.html", links: "a[href*='/news/']"}}
concepts:
  nato: [NATO]
  partners: [Japan, "South Korea", Australia, "New Zealand"]
rules:
  - {{name: nato, match: '@nato AND @partners', notify: alerts}}
"""

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NEW_TITLE = "NATO and Japan agree to hold a joint cyber defence exercise"
LISTING = "/wire/index.html"


def publish_wire_article(site: ScriptedSite) -> None:
    """An article written for this test, linked from the top of the wire's listing."""
    path = "wire/news/2026/11/nato-japan-cyber-exercise.html"
    site.write(
        path,
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{NEW_TITLE} | Wire News</title></head><body>"
        f"<article><h1>{NEW_TITLE}</h1><p class='time'>Nov 25, 2026 | 10:00 JST</p>"
        "<div class='body'><p>TOKYO - NATO and Japan will run their first joint exercise in cyber defence "
        "next spring, officials from both sides said on Wednesday, with response teams working from "
        "Tokyo and from the alliance's centre in Tallinn.</p><p>The drill follows months of talks on "
        "sharing warnings about attacks on power grids, ports and undersea cables.</p></div></article>"
        "</body></html>",
    )
    index = (site.root / "wire" / "index.html").read_text(encoding="utf-8")
    link = f'<li class="article-item"><a href="/{path}"><h3>{NEW_TITLE}</h3></a></li>'
    site.write(
        "wire/index.html", index.replace('<ul class="article-list">', '<ul class="article-list">' + link, 1)
    )


def gauges(body: str) -> dict[str, float]:
    """Unlabelled samples and labelled ones summed, by sample name."""
    out: dict[str, float] = Counter()
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            out[sample.name] += sample.value
    return dict(out)


async def outage(
    run: Running, site: ScriptedSite, hook: WebhookSink, cut: object, restore: object
) -> dict[str, object]:
    """Wait for the first alert, take the store away (`cut()`), publish an article, check the service
    says so, bring the store back (`restore()`), and wait for the article's alert."""
    seen: dict[str, object] = {}
    # a write to a locked SQLite waits out its busy timeout (5 s) on the service's loop: be patient
    async with httpx.AsyncClient(base_url=run.base, timeout=30) as client:
        await wait_until(lambda: len(hook.requests) >= 1)
        assert (await client.get("/healthz")).text == "ok"
        cut()  # type: ignore[operator]
        publish_wire_article(site)

        async def unhealthy() -> bool:
            answer = await client.get("/healthz")
            seen["healthz"] = (answer.status_code, answer.text)
            return answer.status_code == 503

        await wait_until(unhealthy, timeout=20)
        await wait_until(lambda: any(r.path == "/ops" for r in hook.requests), timeout=20)
        scraped = await client.get("/metrics")
        seen["metrics_down"] = (scraped.status_code, gauges(scraped.text))
        restore()  # type: ignore[operator]
        await wait_until(
            lambda: any(NEW_TITLE in (r.json or {}).get("title", "") for r in hook.requests), timeout=30
        )
        await wait_until(lambda: sum(r.path == "/ops" for r in hook.requests) >= 2, timeout=30)

        async def healthy() -> bool:
            return (await client.get("/healthz")).status_code == 200

        await wait_until(healthy, timeout=20)
        # a few more polls and passes (counted, so a slow machine waits for them): nothing arrives twice
        polled = site.arrived(LISTING)
        await asyncio.sleep(2)
        await wait_until(lambda: site.arrived(LISTING) >= polled + 2, timeout=30)
    return seen


def check(
    seen: dict[str, object],
    hook: WebhookSink,
    caplog: pytest.LogCaptureFixture,
    cause: str,
    *,
    readable: bool,
) -> None:
    status, reason = seen["healthz"]  # type: ignore[misc]
    assert status == 503 and reason == f"store: database unavailable ({cause})"
    scraped_status, down = seen["metrics_down"]  # type: ignore[misc]
    assert (
        scraped_status == 200 and down["pantau_store_up"] == 0 and down["pantau_store_unavailable_total"] >= 1
    )
    # read from the store at scrape time: left out while it cannot be read, never made up
    assert ("pantau_outbox_pending" in down) == readable

    alerts = [r.json["title"] for r in hook.requests if r.path == "/alerts"]
    assert len(alerts) == len(set(alerts)) == 2, alerts  # the first alert and the new one, each once
    ops = [r.json for r in hook.requests if r.path == "/ops"]
    assert [o["title"] for o in ops] == ["[pantau] store: database unavailable", "[pantau] store: recovered"]
    assert f"store: database unavailable ({cause})" in ops[0]["message"]

    records = [r for r in caplog.records if r.name.startswith(("pantau", "sqlalchemy"))]
    assert not [r for r in records if r.exc_info or "unexpectedly" in r.getMessage()]
    failed = [r.getMessage() for r in records if "failed: store: database unavailable" in r.getMessage()]
    assert failed and all(line.endswith(f"({cause})") and "\n" not in line for line in failed)
    assert any(m.startswith(("poll of wire failed:", "delivery failed:")) for m in failed)


def test_postgresql_stopping_and_coming_back(
    tmp_path: Path, pg_store_url: str, site: ScriptedSite, hook: WebhookSink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with TcpProxy("127.0.0.1", 5432) as proxy:
        url = pg_store_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        assert url != pg_store_url
        config_file = tmp_path / "config.yaml"
        config_file.write_text(
            CONFIG.format(db=url, alerts=hook.url("/alerts"), ops=hook.url("/ops"), base=site.url)
        )
        config = load_config(config_file)

        async def scenario() -> dict[str, object]:
            with Store.open(config.database) as store:
                async with running(config, store) as run:
                    return await outage(run, site, hook, proxy.cut, proxy.restore)

        seen = asyncio.run(scenario())
    check(seen, hook, caplog, "connection refused", readable=False)


def test_sqlite_locked_by_another_process_and_released(
    tmp_path: Path, site: ScriptedSite, hook: WebhookSink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    db = tmp_path / "pantau.db"
    config_file = tmp_path / "config.yaml"
    config_file.write_text(
        CONFIG.format(db=f"sqlite:///{db}", alerts=hook.url("/alerts"), ops=hook.url("/ops"), base=site.url)
    )
    config = load_config(config_file)
    holder: list[sqlite3.Connection] = []

    def lock() -> None:  # a backup or a careless sqlite3 shell: an exclusive transaction left open
        conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        conn.execute("BEGIN EXCLUSIVE")
        holder.append(conn)

    def release() -> None:
        holder.pop().rollback()

    async def scenario() -> dict[str, object]:
        with Store.open(config.database) as store:
            async with running(config, store) as run:
                return await outage(run, site, hook, lock, release)

    seen = asyncio.run(scenario())
    check(seen, hook, caplog, "database is locked", readable=True)  # WAL: reads go on


def test_pantau_run_through_a_postgresql_outage(
    tmp_path: Path, pg_store_url: str, site: ScriptedSite, hook: WebhookSink
) -> None:
    """The same outage under a real `pantau run` process, seen from outside: its web server and its log."""
    with TcpProxy("127.0.0.1", 5432) as proxy:
        url = pg_store_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        config_file = tmp_path / "config.yaml"
        config_file.write_text(
            CONFIG.format(db=url, alerts=hook.url("/alerts"), ops=hook.url("/ops"), base=site.url)
            + 'web: {listen: "127.0.0.1:0"}\n'
        )
        service = PantauRun(config_file)
        try:
            with httpx.Client(base_url=service.web_url(), timeout=20) as client:

                def healthz() -> tuple[int, str]:
                    answer = client.get("/healthz")
                    return answer.status_code, answer.text

                hook.wait_for(1, timeout=30)
                assert healthz() == (200, "ok")
                proxy.cut()
                cut_at = time.monotonic()
                publish_wire_article(site)
                service.wait_for("failed: store: database unavailable", after=cut_at)
                assert healthz() == (503, "store: database unavailable (connection refused)")
                down = gauges(client.get("/metrics").text)
                assert down["pantau_store_up"] == 0 and down["pantau_store_unavailable_total"] >= 1
                hook_wait(hook, lambda r: r.path == "/ops", 1)
                proxy.restore()
                hook_wait(hook, lambda r: NEW_TITLE in (r.json or {}).get("title", ""), 1)
                hook_wait(hook, lambda r: r.path == "/ops", 2)
                deadline = time.monotonic() + 20
                while healthz()[0] != 200:
                    assert time.monotonic() < deadline, service.log
                    time.sleep(0.2)
                # more polls and passes (counted, so a slow machine waits for them): nothing arrives twice
                polled = site.arrived(LISTING)
                time.sleep(2)
                deadline = time.monotonic() + 30
                while site.arrived(LISTING) < polled + 2:
                    assert time.monotonic() < deadline, service.log
                    time.sleep(0.1)
        finally:
            assert service.stop() == 0
    log = service.log
    assert "Traceback" not in log and "unexpectedly" not in log, log
    failed = [line for line in log.splitlines() if "database unavailable" in line]
    assert failed and all(
        line.endswith("(connection refused)") or "nothing is lost" in line for line in failed
    ), log
    alerts = [r.json["title"] for r in hook.requests if r.path == "/alerts"]
    assert len(alerts) == len(set(alerts)) == 2, alerts
    assert [r.json["title"] for r in hook.requests if r.path == "/ops"] == [
        "[pantau] store: database unavailable",
        "[pantau] store: recovered",
    ]


def hook_wait(
    hook: WebhookSink, wanted: Callable[[WebhookRequest], bool], count: int, timeout: float = 30
) -> None:
    deadline = time.monotonic() + timeout
    while sum(map(wanted, list(hook.requests))) < count:
        assert time.monotonic() < deadline, [r.json for r in hook.requests]
        time.sleep(0.05)


def test_a_message_sent_as_the_database_goes_away_is_recorded_when_it_is_back(
    tmp_path: Path, pg_store_url: str, site: ScriptedSite, hook: WebhookSink
) -> None:
    """The channel takes the alert, and in that instant the database goes: the delivery is recorded once
    the database is back, instead of staying pending (and being sent again when its lease runs out)."""
    with TcpProxy("127.0.0.1", 5432) as proxy:
        url = pg_store_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        config_file = tmp_path / "config.yaml"
        config_file.write_text(
            CONFIG.format(db=url, alerts=hook.url("/alerts"), ops=hook.url("/ops"), base=site.url)
        )
        config = load_config(config_file)
        gate = hook.gate = threading.Event()  # the answer comes after the cut, however slow the machine

        def cut_on_arrival() -> None:
            hook_wait(hook, lambda r: r.path == "/alerts", 1)
            proxy.cut()
            gate.set()

        cutter = threading.Thread(target=cut_on_arrival, daemon=True)
        cutter.start()

        async def scenario() -> list[tuple[str, str]]:
            with Store.open(config.database) as store:
                async with (
                    running(config, store) as run,
                    httpx.AsyncClient(base_url=run.base, timeout=30) as client,
                ):
                    await wait_until(lambda: run.service.outage.ongoing)
                    hook.gate = None
                    proxy.restore()
                    await wait_until(lambda: not run.service.outage.ongoing)
                    assert (await client.get("/healthz")).text == "ok"
                    await run.stop()
                    return [(d.channel, d.state) for _alert, states in store.alerts_since(T0) for d in states]

        states = asyncio.run(scenario())
    assert states == [("alerts", "delivered")]
    assert [r.path for r in hook.requests] == ["/alerts"]
