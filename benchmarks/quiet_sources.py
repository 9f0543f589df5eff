"""Quiet sources: what a poll costs when nothing is new, with and without re-checking recent articles.

    .venv/bin/python benchmarks/quiet_sources.py [--sources 100] [--articles 10] [--hours 6]
        [--compare OTHER/src]

N sources on eight loopback addresses each list M articles. A first poll reads them all (not measured; in
batches of 500 sources, so that the loaded machine's article reading makes no request time out); then the
clock moves on one poll interval (10 minutes) at a time for `--hours`, and every source is polled each
time through `poll_all`, as `pantau once` does. Every listing answers 304 Not Modified from then on, and
so does every article asked for again with its ETag; each host's robots.txt is read before the clock
starts, as a running service has it cached. Two runs against the same server, each on its own copy of the
store the first poll made (SQLite, `workers: 0`, so the process is all of pantau): `recheck: off` (one
conditional GET per poll) and the default `recheck: 6h` (the listing, plus the articles whose next check
is due: first one interval after they were first seen, then at doubling gaps).

Each tree runs in its own process (PYTHONPATH: this checkout's src/, and with --compare another tree, e.g.
an older checkout's src/, as the baseline in the same run). Printed for each: polls/s, CPU per poll of the
process (ms), HTTP requests per poll (what the outlets see) and the peak memory while polling (PSS of the
process and its children, sampled every 50 ms; the first poll's peak in brackets) and the polls that
failed (a request that timed out: the event loop stalled).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from vs_urlwatch import tree_pss_mb  # benchmarks/ is on sys.path: it holds this script

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


START = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
SETUP_BATCH = 500


def say(line: str) -> None:
    """A line for the parent process, which samples memory by phase."""
    print(line, flush=True)


async def _polls(
    config: Any, db: str, port: int, clock: Clock, rounds: int, measured: bool
) -> tuple[float, float, int]:
    from pantau.fetch import Fetcher, make_client
    from pantau.pipeline import Context, analyser_for, poll_all, poll_source
    from pantau.store import Store

    store = Store.open(db)
    try:
        async with make_client() as client:
            with analyser_for(config) as analyser:
                ctx = Context(config, store, Fetcher(client, clock=clock), clock, analyser)
                if not measured:  # the first poll: every listing and article read, batch by batch
                    for start in range(0, len(config.sources), SETUP_BATCH):
                        batch = config.sources[start : start + SETUP_BATCH]
                        results = await asyncio.gather(*(poll_source(s, ctx) for s in batch))
                        if errors := [e for r in results for e in r.errors]:
                            raise SystemExit(f"first poll errors: {errors[:3]}")
                    return 0.0, 0.0, 0
                await _robots_read(ctx.fetcher, port)
                started, cpu, failed = time.perf_counter(), time.process_time(), 0
                for _ in range(rounds):
                    clock.now += EVERY
                    results = await poll_all(ctx)
                    if errors := [e for r in results for e in r.errors]:
                        print(f"{len(errors)} poll errors, e.g. {errors[0]}", file=sys.stderr)
                    failed += sum(not r.ok for r in results)
                return time.perf_counter() - started, time.process_time() - cpu, failed
    finally:
        store.close()


async def _robots_read(fetcher: Any, port: int) -> None:
    """Each host's robots.txt read and cached, as a running service has it, before the clock starts: a
    page the server does not have (404) is asked for on each host."""
    from pantau.errors import FetchError

    for host in HOSTS:
        with contextlib.suppress(FetchError):
            await fetcher.get(f"http://{host}:{port}/warm-up", user_agent="pantau-benchmark")


def child(port: int, sources: int, hours: float) -> None:
    """One tree (the one on PYTHONPATH): the first poll, then both runs on copies of its store."""
    import pantau
    from pantau.config import load_config

    say(f"tree {Path(pantau.__file__).parents[1]}")
    rounds = int(timedelta(hours=hours) / EVERY)
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        for recheck in ("6h", "off"):
            (here / f"{recheck}.yaml").write_text(config_text(port, here / "first.db", sources, recheck))
        # The first poll with re-checks on: its store serves both runs (with `off`, its watches are unused).
        say("phase first")
        config = load_config(here / "6h.yaml")
        asyncio.run(_polls(config, config.database, port, Clock(START), 0, measured=False))
        for recheck in ("off", "6h"):
            db = here / f"{recheck}.db"
            shutil.copyfile(here / "first.db", db)
            config = load_config(here / f"{recheck}.yaml")
            before = served(port)
            say(f"phase {recheck}")
            seconds, cpu, failed = asyncio.run(
                _polls(config, f"sqlite:///{db}", port, Clock(START), rounds, measured=True)
            )
            after = served(port)
            not_modified = after["304"] - before["304"]
            requests = not_modified + after["200"] - before["200"]
            figures = {
                "polls": rounds * sources,
                "seconds": seconds,
                "cpu": cpu,
                "requests": requests,
                "failed": failed,
            }
            say("result " + json.dumps({"recheck": recheck, "not_modified": not_modified, **figures}))
            db.unlink()


def run_tree(src: Path, port: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Run one tree in its own process; its results, each with the peak PSS (MB) of its phase."""
    argv = [sys.executable, __file__, "--child", "--port", str(port)]
    argv += ["--sources", str(args.sources), "--hours", str(args.hours)]
    env = {**os.environ, "PYTHONPATH": str(src)}
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True)
    peaks: dict[str, float] = {}
    phase = ["start"]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peaks[phase[0]] = max(peaks.get(phase[0], 0.0), tree_pss_mb(process.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    results: list[dict[str, Any]] = []
    assert process.stdout is not None
    for line in process.stdout:
        word, _, rest = line.strip().partition(" ")
        if word == "phase":
            phase[0] = rest
        elif word == "result":
            phase[0] = "between"
            results.append(json.loads(rest))
        elif word == "tree":
            print(f"  ({rest})")
    done.set()
    sampler.join()
    if process.wait() != 0:
        raise SystemExit(f"the run of {src} failed (exit {process.returncode})")
    for r in results:
        r["peak_mb"], r["first_mb"] = peaks.get(r["recheck"], 0.0), peaks.get("first", 0.0)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", type=int, default=100)
    parser.add_argument("--articles", type=int, default=10, help="articles each source lists")
    parser.add_argument("--hours", type=float, default=6.0, help="polling time simulated, 10 minutes a poll")
    parser.add_argument(
        "--compare", type=Path, help="another pantau source tree (its src/), run as the baseline"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.port, args.sources, args.hours)
        return
    port = random.randint(20000, 40000)
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    server = context.Process(target=serve, args=(args.articles, port, ready), daemon=True)
    server.start()
    trees = [("this tree", Path(__file__).resolve().parents[1] / "src")]
    if args.compare:
        trees.insert(0, ("baseline", args.compare.resolve()))
    try:
        if not ready.wait(20):
            raise SystemExit("benchmark server did not start")
        print(
            f"{args.sources} sources x {args.articles} articles, polled every 10 min for {args.hours:g} h "
            "(simulated clock); all answers after the first poll are 304"
        )
        rows = []
        for name, src in trees:
            print(f"running {name}")
            rows += [(name, r) for r in run_tree(src, port, args)]
        print(
            f"{'tree':<10} {'recheck':<8} {'polls':>6} {'seconds':>7} {'polls/s':>8} {'CPU ms/poll':>11} "
            f"{'requests/poll':>13} {'304 share':>9} {'peak MB':>14} {'failed':>6}"
        )
        for name, r in rows:
            print(
                f"{name:<10} {r['recheck']:<8} {r['polls']:>6} {r['seconds']:>7.2f} "
                f"{r['polls'] / r['seconds']:>8.0f} {1000 * r['cpu'] / r['polls']:>11.3f} "
                f"{r['requests'] / r['polls']:>13.2f} {r['not_modified'] / max(1, r['requests']):>9.0%} "
                f"{r['peak_mb']:>6.0f} ({r['first_mb']:.0f}) {r['failed']:>6}"
            )
    finally:
        server.terminate()
        server.join(5)


if __name__ == "__main__":
    main()
