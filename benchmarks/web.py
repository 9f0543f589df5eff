"""Web view speed on a big store: 100,000 articles, 20,000 alerts (two channels each), 12 sources.

    .venv/bin/python benchmarks/web.py [--articles 100000] [--alerts 20000] [--pg URL] [--runs 30]

Builds the store (SQLite in a temporary folder; with --pg also a fresh PostgreSQL database), then asks the
real aiohttp application (templates, auth middleware, store reads in threads) for each page through a
local TCP connection and prints the median and 90th percentile per page. The baseline, in the same run,
is the same pages on an empty store: the difference is what the data costs. Target: `/` and `/alerts`
under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import create_engine, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pantau.config import Config, load_config
from pantau.store import Store
from pantau.store.tables import ALERT, ARTICLE, DELIVERY, SOURCE_STATE, STORY
from pantau.web import build_app

SOURCES = [f"outlet{i:02d}" for i in range(12)]
RULES = ["nato-indo-pacific", "ukraine", "south-china-sea", "elections", "energy"]
WORDS = [
    "minister",
    "said",
    "talks",
    "defence",
    "pact",
    "summit",
    "ports",
    "rice",
    "harvest",
    "election",
    "vote",
    "court",
    "ruling",
    "energy",
    "pipeline",
    "navy",
    "drill",
    "trade",
    "tariff",
    "Jakarta",
    "Tokyo",
    "Seoul",
    "Canberra",
    "Wellington",
    "NATO",
    "Ukraine",
    "aid",
    "bantuan",
]
PAGES = [
    "/",
    "/alerts",
    "/alerts?rule=ukraine",
    "/alerts?source=outlet07",
    "/alerts?since=24h",
    "/alerts?before={deep}",
    "/sources",
    "/api/alerts?since=24h",
]


def config_for(folder: Path, database: str) -> Config:
    path = folder / "config.yaml"
    sources = "\n".join(f"  - {{name: {s}, url: 'http://127.0.0.1:9/{s}', every: 10m}}" for s in SOURCES)
    rules = "\n".join(f"  - {{name: {r}, match: 'NATO', notify: [desk, chat]}}" for r in RULES)
    path.write_text(
        f'database: "{database}"\ntimezone: Asia/Jakarta\n'
        f"channels: {{desk: 'stdout://', chat: 'stdout://'}}\n"
        f"sources:\n{sources}\nrules:\n{rules}\n"
    )
    return load_config(path)


def fill(url: str, articles: int, alerts: int, now: datetime) -> None:
    """Rows straight into the tables (the pipeline would take an hour): 30 days of articles, alerts on a
    random fifth, two deliveries each (mostly delivered, some pending with a next attempt, a few dead)."""
    rng = random.Random(13)
    Store.open(url).close()  # the schema, migrated as pantau does
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    span = timedelta(days=30).total_seconds()
    times = sorted(now - timedelta(seconds=rng.random() * span) for _ in range(articles))
    with engine.begin() as conn:
        conn.execute(insert(STORY), [{"first_seen_at": t} for t in times])
        story_ids = [r[0] for r in conn.execute(select(STORY.c.id).order_by(STORY.c.id))]
        rows = []
        for i, (at, story_id) in enumerate(zip(times, story_ids, strict=True)):
            title = " ".join(rng.choice(WORDS) for _ in range(9)).capitalize()
            body = "\n\n".join(" ".join(rng.choice(WORDS) for _ in range(40)) for _ in range(4))
            rows.append(
                {
                    "url": f"https://example.org/{i}",
                    "source": SOURCES[i % len(SOURCES)],
                    "title": title,
                    "body": body,
                    "published": at,
                    "author": None,
                    "lang": "en",
                    "content_hash": uuid.uuid4().hex,
                    "fetched_at": at,
                    # every tenth story has a second outlet's copy
                    "story_id": story_ids[i - 1] if i % 10 == 1 else story_id,
                }
            )
        for start in range(0, len(rows), 5000):
            conn.execute(insert(ARTICLE), rows[start : start + 5000])
        ids = [r[0] for r in conn.execute(select(ARTICLE.c.id).order_by(ARTICLE.c.id))]
        chosen = sorted(rng.sample(range(len(ids)), alerts))
        conn.execute(
            insert(ALERT),
            [
                {
                    "article_id": ids[i],
                    "rule": RULES[n % len(RULES)],
                    "terms": '["NATO"]',
                    "hits": "[]",
                    "snippet": "The «NATO» summit in Tokyo agreed on closer defence ties with partners.",
                    "created_at": times[i],
                }
                for n, i in enumerate(chosen)
            ],
        )
        alert_rows = list(conn.execute(select(ALERT.c.id, ALERT.c.created_at)))
        deliveries = []
        for alert_id, created in alert_rows:
            for channel in ("desk", "chat"):
                roll = rng.random()
                state = "delivered" if roll < 0.9 else "pending" if roll < 0.98 else "dead"
                deliveries.append(
                    {
                        "alert_id": alert_id,
                        "channel": channel,
                        "state": state,
                        "digest": False,
                        "attempts": 1 if state == "delivered" else 3,
                        "next_attempt_at": created + timedelta(minutes=5),
                        "delivered_at": created if state == "delivered" else None,
                        "last_error": None if state == "delivered" else "notify: HTTP 502 from chat",
                    }
                )
        for start in range(0, len(deliveries), 5000):
            conn.execute(insert(DELIVERY), deliveries[start : start + 5000])
        conn.execute(
            insert(SOURCE_STATE),
            [
                {
                    "name": s,
                    "last_poll_at": now,
                    "last_success_at": now,
                    "consecutive_failures": 0,
                    "articles_seen": articles // len(SOURCES),
                }
                for s in SOURCES
            ],
        )
    engine.dispose()


async def time_pages(config: Config, store: Store, runs: int) -> dict[str, list[float]]:
    app = build_app(lambda: config, store, lambda: datetime.now(UTC))
    out: dict[str, list[float]] = {}
    async with TestClient(TestServer(app)) as client:
        newest = (await (await client.get("/api/alerts?since=400d&limit=1")).json())["alerts"]
        deep = newest[0]["id"] // 4 + 1 if newest else 1  # three quarters down the history
        for page in PAGES:
            path = page.format(deep=deep)
            times = []
            for i in range(runs + 2):
                started = time.perf_counter()
                response = await client.get(path)
                await response.read()
                assert response.status == 200, (path, response.status)
                if i >= 2:  # the first two warm caches and compile statements
                    times.append((time.perf_counter() - started) * 1000)
            out[page] = times
    return out


def report(label: str, empty: dict[str, list[float]], full: dict[str, list[float]]) -> None:
    print(f"\n{label}")
    print(f"  {'page':<26} {'empty store':>12} {'big store':>11} {'p90':>8}")
    for page in PAGES:
        base = statistics.median(empty[page])
        med = statistics.median(full[page])
        p90 = statistics.quantiles(full[page], n=10)[-1]
        flag = "  <- over 100 ms" if page in ("/", "/alerts") and med > 100 else ""
        print(f"  {page:<26} {base:>9.1f} ms {med:>8.1f} ms {p90:>5.1f} ms{flag}")


def bench(label: str, make_url: object, args: argparse.Namespace, folder: Path) -> None:
    now = datetime.now(UTC)
    empty_url, full_url = make_url("empty"), make_url("full")  # type: ignore[operator]
    with Store.open(empty_url) as store:
        empty = asyncio.run(time_pages(config_for(folder, empty_url), store, args.runs))
    started = time.perf_counter()
    fill(full_url, args.articles, args.alerts, now)
    print(
        f"{label}: filled {args.articles:,} articles and {args.alerts:,} alerts in {time.perf_counter() - started:.0f} s"
    )
    with Store.open(full_url) as store:
        full = asyncio.run(time_pages(config_for(folder, full_url), store, args.runs))
    report(f"{label}: median of {args.runs} requests", empty, full)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--alerts", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--pg", help="a PostgreSQL server URL, e.g. postgresql://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pantau-web-bench-") as name:
        folder = Path(name)
        bench("SQLite", lambda kind: f"sqlite:///{folder / kind}.db", args, folder)
        if args.pg:
            admin = create_engine(
                args.pg.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
            )
            names = {kind: f"pantau_web_bench_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("empty", "full")}
            with admin.connect() as conn:
                for db in names.values():
                    conn.execute(text(f"CREATE DATABASE {db}"))
            base = args.pg.replace("postgresql://", "postgresql+psycopg://", 1).rsplit("/", 1)[0]
            try:
                bench("PostgreSQL", lambda kind: f"{base}/{names[kind]}", args, folder)
            finally:
                with admin.connect() as conn:
                    for db in names.values():
                        conn.execute(text(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                admin.dispose()


if __name__ == "__main__":
    main()
