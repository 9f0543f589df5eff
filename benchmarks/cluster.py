"""Cluster mode throughput: 1, 2 and 3 `pantau run` instances sharing one PostgreSQL database and queue.

    .venv/bin/python benchmarks/cluster.py [--sources 300] [--articles 5] [--seconds 12] [--counts 1,2,3]

S sources on eight loopback addresses (each host allows two requests at a time per instance, as pantau's
fetcher does for any host), each listing A articles. For every configuration, in one run against the same
server: the embedded service (one process, no queue) as the baseline, then cluster mode with 1, 2 and 3
instances, each on a fresh database with `workers: 0` (everything in each instance's own process, so the
instance count is the process count on this 2-core machine). Two phases per configuration:

1. articles: every source is due at once (every: 1h), so each is polled once and its A articles are read:
   articles stored per second, from the first to the last.
2. polls: the same store restarted with `every: 1s` for every source (more than any configuration keeps
   up with), listings answering 304: sources polled per second over the last `--seconds`, and the
   PostgreSQL transactions (pg_stat_database xact_commit + xact_rollback) and rows written per poll.
   pg_stat_statements is not preloaded on this server, so transactions stand in for queries.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from pantau.service.cluster import queue_schema
from pantau.store.db import make_engine, migrate

PG = os.environ.get("PANTAU_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
HOSTS = [f"127.0.0.{i}" for i in range(1, 9)]
WORDS = [
    "minister",
    "harbour",
    "patrol",
    "budget",
    "treaty",
    "island",
    "coast",
    "convoy",
    "engineer",
    "satellite",
    "runway",
    "cable",
    "summit",
    "envoy",
    "cargo",
    "strait",
    "garrison",
    "beacon",
    "survey",
    "vessel",
    "depot",
    "bridge",
    "tunnel",
    "reef",
    "monsoon",
    "market",
    "ferry",
    "relay",
    "grid",
]


class Site:
    """Listings and articles in memory, served on the eight hosts; counts listing requests by time."""

    def __init__(self, sources: int, articles: int) -> None:
        self.pages: dict[str, bytes] = {}
        self.listing_hits: list[float] = []
        self.lock = threading.Lock()
        self.servers: list[ThreadingHTTPServer] = []
        self.bases: list[str] = []
        rng = random.Random(14)
        for host in HOSTS:
            server = ThreadingHTTPServer((host, 0), self._handler())
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.servers.append(server)
            self.bases.append(f"http://{host}:{server.server_address[1]}")
        self.listings = []
        for s in range(sources):
            links = []
            for a in range(articles):
                path = f"/s{s}/{a}.html"
                title = f"Report {s}-{a}: " + " ".join(rng.choice(WORDS) for _ in range(5))
                body = "".join(
                    "<p>" + " ".join(rng.choice(WORDS) for _ in range(60)) + ".</p>" for _ in range(5)
                )
                nato = " NATO" if a % 10 == 0 else ""
                self.pages[path] = (
                    f"<html><head><title>{title}</title></head><body><article><h1>{title}{nato}</h1>"
                    f"{body}</article></body></html>"
                ).encode()
                links.append(f'<li><a class="story" href="{path}">{title}</a></li>')
            self.pages[f"/s{s}/index.html"] = f"<html><body><ul>{''.join(links)}</ul></body></html>".encode()
            self.listings.append(f"{self.bases[s % len(HOSTS)]}/s{s}/index.html")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                body = site.pages.get(self.path)
                if self.path.endswith("/index.html"):
                    with site.lock:
                        site.listing_hits.append(time.monotonic())
                if body is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                etag = '"' + hashlib.md5(body).hexdigest() + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def hits_since(self, since: float) -> int:
        with self.lock:
            return sum(t >= since for t in self.listing_hits)

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


def fresh_database() -> str:
    name = "pantau_bench_" + uuid.uuid4().hex[:10]
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = make_url(PG).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate(engine, queue=queue_schema())
    engine.dispose()
    return url


def drop_database(url: str) -> None:
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {make_url(url).database} WITH (FORCE)"))
    admin.dispose()


def write_config(path: Path, db: str, site: Site, every: str, cluster: bool) -> None:
    sources = "\n".join(
        f'  - {{name: s{i}, url: "{url}", links: "a.story"}}' for i, url in enumerate(site.listings)
    )
    path.write_text(
        f"database: {db}\ncluster: {str(cluster).lower()}\nworkers: 0\n"
        f'defaults: {{every: {every}, timeout: 30s}}\nchannels: {{terminal: "stdout://"}}\n'
        f"sources:\n{sources}\nrules:\n  - {{name: nato, match: NATO, notify: terminal}}\n"
    )


def start(config: Path, count: int) -> list[subprocess.Popen[bytes]]:
    command = [sys.executable, "-m", "pantau", "run", "--config", str(config)]
    env = {**os.environ, "NO_COLOR": "1"}
    return [
        subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        for _ in range(count)
    ]


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for p in processes:
        p.send_signal(signal.SIGTERM)
    for p in processes:
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()


def scalar(db: str, sql: str) -> int:
    engine = create_engine(db)
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar_one()
    engine.dispose()
    return int(value or 0)


XACTS = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
WRITES = "SELECT sum(n_tup_ins + n_tup_upd + n_tup_del) FROM pg_stat_user_tables"


def measure(site: Site, count: int, cluster: bool, seconds: float, folder: Path) -> dict[str, float]:
    db = fresh_database()
    config = folder / "config.yaml"
    total = len(site.pages) - len(site.listings)
    try:
        # 1. articles: each source once
        write_config(config, db, site, "1h", cluster)
        processes = start(config, count)
        first = last = None
        stored = 0
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and stored < total:
            time.sleep(0.25)
            stored = scalar(db, "SELECT count(*) FROM article")
            if stored and first is None:
                first = time.monotonic()
            last = time.monotonic()
        stop(processes)
        articles_per_s = stored / (last - first) if first and last and last > first else 0.0
        # 2. polls: every 1s, listings unchanged (304)
        write_config(config, db, site, "1s", cluster)
        processes = start(config, count)
        started = time.monotonic()
        while site.hits_since(started) < len(site.listings) and time.monotonic() - started < 120:
            time.sleep(0.2)  # every instance is up and polling
        time.sleep(3)
        window = time.monotonic()
        xacts, writes = scalar(db, XACTS), scalar(db, WRITES)
        time.sleep(seconds)
        polls = site.hits_since(window)
        xacts, writes = scalar(db, XACTS) - xacts, scalar(db, WRITES) - writes
        elapsed = time.monotonic() - window
        stop(processes)
    finally:
        drop_database(db)
    return {
        "articles_per_s": articles_per_s,
        "articles": stored,
        "polls_per_s": polls / elapsed,
        "xacts_per_poll": xacts / polls if polls else 0.0,
        "writes_per_poll": writes / polls if polls else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sources", type=int, default=300)
    parser.add_argument("--articles", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=12)
    parser.add_argument("--counts", default="1,2,3")
    args = parser.parse_args()
    site = Site(args.sources, args.articles)
    print(f"{args.sources} sources x {args.articles} articles on {len(HOSTS)} loopback hosts; 2 cores here")
    print(f"{'configuration':<22} {'articles/s':>10} {'polls/s':>8} {'xacts/poll':>10} {'rows/poll':>9}")
    runs = [("embedded (baseline)", 1, False)] + [
        (f"cluster, {n} instance{'s' * (n > 1)}", n, True) for n in map(int, args.counts.split(","))
    ]
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for label, count, cluster in runs:
            r = measure(site, count, cluster, args.seconds, Path(folder))
            results[label] = r
            print(
                f"{label:<22} {r['articles_per_s']:>10.0f} {r['polls_per_s']:>8.1f} "
                f"{r['xacts_per_poll']:>10.1f} {r['writes_per_poll']:>9.1f}",
                flush=True,
            )
    site.stop()
    base = results["embedded (baseline)"]
    for label, r in results.items():
        if label.startswith("cluster") and base["articles_per_s"] and base["polls_per_s"]:
            print(
                f"{label}: {r['articles_per_s'] / base['articles_per_s']:.2f}x the embedded articles/s, "
                f"{r['polls_per_s'] / base['polls_per_s']:.2f}x its polls/s"
            )


if __name__ == "__main__":
    main()
