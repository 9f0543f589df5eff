"""Quiet sources: what a poll costs when nothing is new, with and without re-checking recent articles.

    .venv/bin/python benchmarks/quiet_sources.py [--sources 100] [--articles 10] [--hours 6]

N sources on eight loopback addresses each list M articles. One first poll reads them all (not measured);
then the clock moves on one poll interval (10 minutes) at a time for `--hours`, and every source is polled
each time. Every listing answers 304 Not Modified from then on, and so does every article asked for again
with its ETag. Two runs against the same server, each on a fresh SQLite store: `recheck: off` (the
baseline: one conditional GET per poll) and the default `recheck: 6h` (the listing, plus the articles whose
next check is due: first one interval after they were first seen, then at doubling gaps). Printed: polls/s,
main-process CPU per poll, and HTTP requests per poll (what the outlets see).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

HOSTS = [f"127.0.0.{i}" for i in range(1, 9)]
EVERY = timedelta(minutes=10)
ETAG = '"v1"'


def article_html(source: int, index: int) -> bytes:
    rng = random.Random(source * 1009 + index)
    words = [
        "harga",
        "beras",
        "pelabuhan",
        "nelayan",
        "menteri",
        "rapat",
        "anggaran",
        "jalan",
        "desa",
        "hujan",
        "pasar",
    ]
    paragraphs = "".join(f"<p>{' '.join(rng.choices(words, k=50))}.</p>" for _ in range(5))
    return (
        f'<!doctype html><html lang="id"><head><meta charset="utf-8"><title>Berita {source}-{index}</title>'
        f"</head><body><article><h1>Berita {source}-{index}</h1>{paragraphs}</article></body></html>"
    ).encode()


def listing_html(source: int, articles: int) -> bytes:
    links = "".join(f'<li><a href="/s{source}/news/{i}.html">Berita {i}</a></li>' for i in range(articles))
    return f"<!doctype html><html><body><ul>{links}</ul></body></html>".encode()


async def _serve(articles: int, port: int, ready: multiprocessing.synchronize.Event) -> None:
    counts = {"200": 0, "304": 0}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = (await reader.readuntil(b"\r\n\r\n")).decode()
                path = request.split(" ", 2)[1]
                parts = path.strip("/").split("/")
                status, body, kind = "404 Not Found", b"", "text/html; charset=utf-8"
                if path == "/__count":
                    status, body, kind = "200 OK", json.dumps(counts).encode(), "application/json"
                elif path != "/robots.txt" and len(parts) in (2, 3):
                    if f"if-none-match: {ETAG}" in request.lower():
                        status = "304 Not Modified"
                        counts["304"] += 1
                    else:
                        status = "200 OK"
                        counts["200"] += 1
                        source = int(parts[0][1:])
                        if len(parts) == 2:
                            body = listing_html(source, articles)
                        else:
                            body = article_html(source, int(parts[2].split(".")[0]))
                head = (
                    f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nETag: {ETAG}\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n"
                )
                writer.write(head.encode() + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, host=HOSTS, port=port, backlog=1024)
    async with server:
        ready.set()
        await asyncio.Event().wait()


def serve(articles: int, port: int, ready: multiprocessing.synchronize.Event) -> None:
    asyncio.run(_serve(articles, port, ready))


def served(port: int) -> dict[str, int]:
    with urllib.request.urlopen(f"http://{HOSTS[0]}:{port}/__count", timeout=5) as resp:
        counts: dict[str, int] = json.loads(resp.read())
    return counts


def config_text(port: int, db: Path, sources: int, recheck: str) -> str:
    listed = "\n".join(
        f"  - {{name: s{i}, url: 'http://{HOSTS[i % len(HOSTS)]}:{port}/s{i}/index.html', links: 'a'}}"
        for i in range(sources)
    )
    return (
        f"database: sqlite:///{db}\nworkers: 0\n"
        f"defaults: {{every: 10m, recheck: '{recheck}', max_age: 'off'}}\n"
        f'channels: {{t: "json://127.0.0.1:9/unused"}}\nsources:\n{listed}\n'
        "rules:\n  - {name: r, match: NATO, notify: t}\n"
    )


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def run(port: int, sources: int, hours: float, recheck: str) -> dict[str, float]:
    from pantau.config import load_config
    from pantau.fetch import Fetcher, make_client
    from pantau.pipeline import Context, analyser_for, poll_all
    from pantau.store import Store

    clock = Clock(datetime(2026, 11, 30, 6, 0, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.yaml"
        path.write_text(config_text(port, Path(folder) / "quiet.db", sources, recheck))
        config = load_config(path)
        store = Store.open(config.database)

        async def polls() -> tuple[int, float, float, dict[str, int], dict[str, int]]:
            async with make_client() as client:
                with analyser_for(config) as analyser:
                    ctx = Context(config, store, Fetcher(client, clock=clock), clock, analyser)
                    await poll_all(ctx)  # the first poll reads every article: not measured
                    before = served(port)
                    rounds = int(timedelta(hours=hours) / EVERY)
                    start, cpu = time.perf_counter(), time.process_time()
                    for _ in range(rounds):
                        clock.now += EVERY
                        results = await poll_all(ctx)
                        errors = [e for r in results for e in r.errors]
                        if errors:
                            raise SystemExit(f"poll errors: {errors[:3]}")
                    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
                    return rounds * sources, elapsed, cpu, before, served(port)

        count, elapsed, cpu, before, after = asyncio.run(polls())
        store.close()
    not_modified = after["304"] - before["304"]
    full = after["200"] - before["200"]
    return {
        "polls": count,
        "seconds": elapsed,
        "cpu": cpu,
        "requests": not_modified + full,
        "not_modified": not_modified,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", type=int, default=100)
    parser.add_argument("--articles", type=int, default=10, help="articles each source lists")
    parser.add_argument("--hours", type=float, default=6.0, help="polling time simulated, 10 minutes a poll")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    port = random.randint(20000, 40000)
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    server = context.Process(target=serve, args=(args.articles, port, ready), daemon=True)
    server.start()
    try:
        if not ready.wait(20):
            raise SystemExit("benchmark server did not start")
        print(
            f"{args.sources} sources x {args.articles} articles, polled every 10 min for {args.hours:g} h "
            "(simulated clock); all answers after the first poll are 304"
        )
        print(
            f"{'run':<26} {'polls':>6} {'seconds':>7} {'polls/s':>8} {'CPU ms/poll':>11} "
            f"{'requests/poll':>13} {'304 share':>9}"
        )
        for label, recheck in (("baseline: recheck off", "off"), ("recheck 6h (default)", "6h")):
            r = run(port, args.sources, args.hours, recheck)
            print(
                f"{label:<26} {int(r['polls']):>6} {r['seconds']:>7.2f} {r['polls'] / r['seconds']:>8.0f} "
                f"{1000 * r['cpu'] / r['polls']:>11.2f} {r['requests'] / r['polls']:>13.2f} "
                f"{r['not_modified'] / max(1, r['requests']):>9.0%}"
            )
    finally:
        server.terminate()
        server.join(5)


if __name__ == "__main__":
    main()
