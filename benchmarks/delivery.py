"""Delivery throughput: N pending alerts in the outbox, delivered by `deliver_due`.

    .venv/bin/python benchmarks/delivery.py [--n 10000] [--channel json|stdout] [--runs 1]
        [--compare OTHER/src]

Each measurement runs in a fresh process so that its peak RSS and its imports are its own.

- `--channel json` (default): a local webhook (apprise json://). The baseline, in the same run and against
  the same receiver, is apprise alone: the same number of pre-rendered messages sent one after another with
  `async_notify`, with no store, no claiming and no bookkeeping. The receiver runs in its own process
  (asyncio, keep-alive, answers 200 at once).
- `--channel stdout`: the built-in stdout:// channel (what `pantau once` in benchmarks/vs_urlwatch.py
  delivers to), written to /dev/null.

The outbox claims up to 1,000 rows a pass, so `--n 1000` is exactly one pass. Printed per measurement:
the time to load the notifier and send its first message ("first send": the import of pantau's notify
modules and whatever they load, e.g. apprise and its plugin table), then the passes over the N alerts
and their cost in ms per delivered alert: wall time, and the CPU time of the sending process (user +
system, what the machine's other load moves least; the json receiver runs in a process of its own). With `--compare OTHER/src` (e.g. a worktree of an older
commit) the outbox is also measured with that tree first on PYTHONPATH, in the same run, alternating;
with `--runs R` each figure is the median of R runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


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


def _fill(store: Any, n: int, now: datetime) -> None:
    from pantau.dedupe import Fingerprint
    from pantau.models import Article, Hit, Match
    from pantau.store import Outgoing

    hit = Hit("NATO", "title", 0, 4, "NATO")
    blank = Fingerprint(exact="", signature=b"", size=0)  # no story lookup: only the outbox matters
    for i in range(n):
        article = Article(
            "wire", f"https://wire.test/{i}", f"NATO story {i}", "NATO body", now, None, "en", f"h{i}", now
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


def child(mode: str, url: str, n: int) -> dict[str, float]:
    from pantau.config import load_config
    from pantau.models import Alert
    from pantau.store import Store

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.yaml"
        path.write_text(
            f"database: sqlite:///{folder}/bench.db\nchannels:\n  hook: {url}\n"
            "rules:\n  - {name: r, match: NATO, notify: hook}\n"
        )
        config = load_config(path)
        now = datetime.now(UTC)
        alert = Alert(1, "r", "wire", "https://wire.test/1", "NATO story", now, now, ("NATO",), "«NATO» body")
        store = Store.open(config.database) if mode == "outbox" else None
        if store is not None:
            _fill(store, n, now)

        # What `pantau once` pays after its poll: the notifier's modules, building it, the first message.
        start = time.perf_counter()
        from pantau.notify.deliver import Notifier
        from pantau.notify.outbox import deliver_due
        from pantau.notify.render import render_alert

        notifier = Notifier(config.channel_urls)
        message = render_alert(alert, config.timezone)
        asyncio.run(notifier.send("hook", message))
        first = time.perf_counter() - start

        if store is None:

            async def loop() -> int:
                for _ in range(n):
                    await notifier.send("hook", message)
                return n

            start, cpu = time.perf_counter(), time.process_time()
            count, passes = asyncio.run(loop()), 0
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        else:

            async def run() -> tuple[int, int]:
                sent = passes = 0
                while True:
                    report = await deliver_due(store, notifier, config, lambda: datetime.now(UTC))
                    if not report.delivered and not report.failed:
                        return sent, passes
                    sent += report.delivered
                    passes += 1

            start, cpu = time.perf_counter(), time.process_time()
            count, passes = asyncio.run(run())
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            store.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"count": count, "passes": passes, "seconds": elapsed, "cpu": cpu, "first": first, "rss_mb": rss}


def measure(mode: str, url: str, n: int, src: Path | None) -> dict[str, float]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src.resolve())
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, url, str(n)],
        check=True,
        stdout=subprocess.DEVNULL,  # stdout:// writes here, as `pantau once > /dev/null` would
        stderr=subprocess.PIPE,
        text=True,
        timeout=1800,
        env=env,
    )
    result: dict[str, float] = json.loads(out.stderr.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--channel", choices=("json", "stdout"), default="json")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--compare", type=Path, help="another pantau source tree to measure in the same run")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "URL", "N"))
    args = parser.parse_args()
    if args.child:
        mode, url, n = args.child
        print(json.dumps(child(mode, url, int(n))), file=sys.stderr)
        return
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    port = 38000 + (int(time.time()) % 1000)
    server = ctx.Process(target=receive, args=(port, ready), daemon=True)
    server.start()
    url = f"json://127.0.0.1:{port}/hook" if args.channel == "json" else "stdout://"
    stages: list[tuple[str, str, Path | None]] = []
    if args.channel == "json":
        stages.append(("apprise", "baseline: apprise send loop", None))
    stages.append(("outbox", "pantau outbox (store + send)", None))
    if args.compare:
        stages.append(("outbox", f"  same, from {args.compare}", args.compare))
    try:
        if not ready.wait(20):
            raise SystemExit("receiver did not start")
        results: dict[int, list[dict[str, float]]] = {i: [] for i in range(len(stages))}
        for _run in range(args.runs):
            for i, (mode, _label, src) in enumerate(stages):
                results[i].append(measure(mode, url, args.n, src))
        print(f"channel {url}, {args.n} alerts, median of {args.runs} run(s)")
        print(
            f"{'stage':<40} {'first send':>10} {'messages':>9} {'passes':>6} {'seconds':>8} "
            f"{'ms/alert':>8} {'per s':>7} {'CPU s':>7} {'CPU ms/alert':>12} {'peak RSS':>9}"
        )
        for i, (_mode, label, _src) in enumerate(stages):
            runs = results[i]
            first = statistics.median(r["first"] for r in runs)
            seconds = statistics.median(r["seconds"] for r in runs)
            cpu = statistics.median(r["cpu"] for r in runs)
            count = int(runs[0]["count"])
            rss = statistics.median(r["rss_mb"] for r in runs)
            print(
                f"{label:<40} {first:>9.3f}s {count:>9} {int(runs[0]['passes']):>6} {seconds:>8.3f} "
                f"{1000 * seconds / count:>8.3f} {count / seconds:>7.0f} {cpu:>7.3f} {1000 * cpu / count:>12.3f} "
                f"{rss:>7.0f}MB"
            )
    finally:
        server.terminate()
        server.join(5)


if __name__ == "__main__":
    main()
