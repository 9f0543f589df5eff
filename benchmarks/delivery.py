"""Delivery throughput: N pending alerts in the outbox, sent to a local webhook (apprise json://).

    .venv/bin/python benchmarks/delivery.py [--n 10000]

Each measurement runs in a fresh process so that its peak RSS is its own. The baseline, in the same run
and against the same receiver, is apprise alone: the same number of pre-rendered messages sent one after
another with `async_notify`, with no store, no claiming and no bookkeeping. The receiver runs in its own
process (asyncio, keep-alive, answers 200 at once).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path


async def _receive(port: int, ready: multiprocessing.synchronize.Event) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}"
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=512)
    async with server:
        ready.set()
        await asyncio.Event().wait()


def receive(port: int, ready: multiprocessing.synchronize.Event) -> None:
    asyncio.run(_receive(port, ready))


def child(mode: str, port: int, n: int) -> None:
    from pantau.config import load_config
    from pantau.dedupe import Fingerprint
    from pantau.models import Alert, Article, Hit, Match
    from pantau.notify.deliver import Notifier
    from pantau.notify.outbox import deliver_due
    from pantau.notify.render import render_alert
    from pantau.store import Outgoing, Store

    url = f"json://127.0.0.1:{port}/hook"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.yaml"
        path.write_text(
            f"database: sqlite:///{folder}/bench.db\nchannels:\n  hook: {url}\n"
            "rules:\n  - {name: r, match: NATO, notify: hook}\n"
        )
        config = load_config(path)
        now = datetime.now(UTC)
        if mode == "outbox":
            store = Store.open(config.database)
            hit = Hit("NATO", "title", 0, 4, "NATO")
            blank = Fingerprint(exact="", signature=b"", size=0)  # no story lookup: only the outbox matters
            for i in range(n):
                article = Article(
                    "wire",
                    f"https://wire.test/{i}",
                    f"NATO story {i}",
                    "NATO body",
                    now,
                    None,
                    "en",
                    f"h{i}",
                    now,
                )
                planned = [(Match("r", (hit,), "«NATO» body"), [Outgoing("r", "hook", now)])]
                store.place_article(
                    article,
                    article.url,
                    blank,
                    since=now,
                    cited=False,
                    indexed=False,
                    plan=lambda story, planned=planned: planned,
                )
            notifier = Notifier(config.channel_urls)

            async def run() -> int:
                sent = 0
                while True:
                    report = await deliver_due(store, notifier, config, lambda: datetime.now(UTC))
                    if not report.delivered and not report.failed:
                        return sent
                    sent += report.delivered

            start = time.perf_counter()
            count = asyncio.run(run())
            elapsed = time.perf_counter() - start
            store.close()
        else:
            notifier = Notifier(config.channel_urls)
            alert = Alert(
                1, "r", "wire", "https://wire.test/1", "NATO story", now, now, ("NATO",), "«NATO» body"
            )
            message = render_alert(alert, config.timezone)

            async def run() -> int:
                for _ in range(n):
                    await notifier.send("hook", message)
                return n

            start = time.perf_counter()
            count = asyncio.run(run())
            elapsed = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"count": count, "seconds": elapsed, "rss_mb": rss}))


def measure(mode: str, n: int, port: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(port), str(n)],
        check=True,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "PORT", "N"))
    args = parser.parse_args()
    if args.child:
        mode, port, n = args.child
        child(mode, int(port), int(n))
        return
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    port = 38000 + (int(time.time()) % 1000)
    server = ctx.Process(target=receive, args=(port, ready), daemon=True)
    server.start()
    try:
        if not ready.wait(20):
            raise SystemExit("receiver did not start")
        print(f"{'stage':<34} {'messages':>9} {'seconds':>8} {'per s':>7} {'peak RSS':>9}")
        for mode, label in (
            ("apprise", "baseline: apprise send loop"),
            ("outbox", "pantau outbox (store + send)"),
        ):
            r = measure(mode, args.n, port)
            rate = r["count"] / r["seconds"]
            print(f"{label:<34} {int(r['count']):>9} {r['seconds']:>8.2f} {rate:>7.0f} {r['rss_mb']:>7.0f}MB")
    finally:
        server.terminate()
        server.join(5)


if __name__ == "__main__":
    main()
