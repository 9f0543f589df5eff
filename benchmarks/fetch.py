"""Fetch cost: CPU milliseconds per request of `Fetcher.get`, beside a bare aiohttp session doing the same GETs.

    .venv/bin/python benchmarks/fetch.py [--requests 2000] [--in-flight 40] [--runs 3] [--compare OTHER/src]

A server process answers on 20 loopback addresses (keep-alive) with ~3 KB article pages, plain and gzipped.
Each measurement is a fresh client process that makes --requests GETs, --in-flight at a time (Fetcher: 2 per
host, robots.txt respected, as in `pantau once`), and reports its own CPU time per request: the server's
CPU is not counted. The clock starts after a first GET to each host, so what is counted is the steady cost of
a page: connections already open, each host's robots.txt already read (as `pantau once` asks for them
before the first pages, Fetcher.robots_ahead), the interpreter and the event loop already started. "aiohttp" is a plain ClientSession.get + read of the same URLs, the floor for any
client on aiohttp. With --compare, Fetcher also runs from another source tree (e.g. /work/main/src or a
worktree at main, put first on PYTHONPATH) in the same run. Runs are interleaved and the best of --runs is
shown (the machine is shared; the minimum is the least disturbed figure), with the median beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time

HOSTS = [f"127.0.0.{i}" for i in range(1, 21)]
SENTENCE = "Menteri luar negeri bertemu delegasi Jepang; the minister said talks would continue next week. "


def page(i: int) -> bytes:
    text = f"Berita {i}. " + SENTENCE * 29
    return f"<html><head><title>Berita {i}</title></head><body><article><p>{text}</p></article></body></html>".encode()


def serve(port: int, ready: multiprocessing.synchronize.Event) -> None:
    from aiohttp import web

    plain = [page(i) for i in range(100)]
    zipped = [gzip.compress(body) for body in plain]

    async def article(request: web.Request) -> web.Response:
        i = int(request.match_info["n"].removeprefix("warm-")) % len(plain)
        if request.match_info["kind"] == "gz":
            return web.Response(
                body=zipped[i], headers={"Content-Encoding": "gzip"}, content_type="text/html"
            )
        return web.Response(body=plain[i], content_type="text/html")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/{kind}/{n}", article)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        for host in HOSTS:
            await web.TCPSite(runner, host, port).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


def urls(port: int, kind: str, n: int) -> list[str]:
    return [f"http://{HOSTS[i % len(HOSTS)]}:{port}/{kind}/{i}" for i in range(n)]


async def with_fetcher(warm: list[str], targets: list[str]) -> tuple[float, int]:
    from pantau.clock import utc_now
    from pantau.fetch import Fetcher, make_client

    async with make_client() as client:
        fetcher = Fetcher(client, clock=utc_now)
        async with fetcher.robots_ahead((url, "bench") for url in warm):
            await asyncio.gather(*(fetcher.get(url, user_agent="bench") for url in warm))
        start = time.process_time()
        pages = await asyncio.gather(*(fetcher.get(url, user_agent="bench") for url in targets))
        return time.process_time() - start, sum(len(p.body) for p in pages)


async def with_aiohttp(warm: list[str], targets: list[str], in_flight: int) -> tuple[float, int]:
    import aiohttp

    slots = asyncio.Semaphore(in_flight)

    async def one(session: aiohttp.ClientSession, url: str) -> int:
        async with slots, session.get(url, headers={"User-Agent": "bench"}) as resp:
            return len(await resp.read())

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(one(session, url) for url in warm))
        start = time.process_time()
        size = sum(await asyncio.gather(*(one(session, url) for url in targets)))
        return time.process_time() - start, size


def client(mode: str, port: int, kind: str, n: int, in_flight: int) -> None:
    import pantau.fetch

    warm = [url.replace(f"/{kind}/", f"/{kind}/warm-") for url in urls(port, kind, 2 * len(HOSTS))]
    targets = urls(port, kind, n)
    if mode == "aiohttp":
        cpu, size = asyncio.run(with_aiohttp(warm, targets, in_flight))
    else:
        cpu, size = asyncio.run(with_fetcher(warm, targets))
    print(json.dumps({"cpu_ms": 1000 * cpu / n, "bytes": size, "fetch": pantau.fetch.__file__}))


def measure(mode: str, port: int, kind: str, args: argparse.Namespace, src: str | None) -> dict[str, float]:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    command = [
        sys.executable,
        __file__,
        "--child",
        mode,
        str(port),
        kind,
        str(args.requests),
        str(args.in_flight),
    ]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    result: dict[str, float] = json.loads(out)
    if src and not str(result["fetch"]).startswith(os.path.abspath(src)):
        raise SystemExit(f"--compare: pantau was imported from {result['fetch']}, not {src}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--in-flight", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compare", metavar="OTHER/src", help="also run Fetcher from this source tree")
    parser.add_argument("--child", nargs=5, metavar=("MODE", "PORT", "KIND", "N", "IN_FLIGHT"))
    args = parser.parse_args()
    if args.child:
        mode, port, kind, n, in_flight = args.child
        client(mode, int(port), kind, int(n), int(in_flight))
        return

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(port, ready), daemon=True)
    server.start()
    if not ready.wait(20):
        raise SystemExit("the page server did not start")
    rows: list[tuple[str, str | None]] = [("aiohttp", None), ("fetcher", None)]
    if args.compare:
        rows.append(("fetcher", args.compare))
    try:
        print(
            f"{args.requests} GETs of ~3 KB pages, {args.in_flight} in flight, best (median) of {args.runs} runs"
        )
        for kind in ("plain", "gz"):
            figures: dict[int, list[float]] = {i: [] for i in range(len(rows))}
            for _ in range(args.runs):
                for i, (mode, src) in enumerate(rows):
                    figures[i].append(measure(mode, port, kind, args, src)["cpu_ms"])
            for i, (mode, src) in enumerate(rows):
                name = "aiohttp session (floor)" if mode == "aiohttp" else f"Fetcher ({src or 'this tree'})"
                best, median = min(figures[i]), statistics.median(figures[i])
                label = "identity" if kind == "plain" else "gzip"
                print(f"  {label:8}  {name:40} {best:6.3f} ms CPU/request  ({median:.3f})")
    finally:
        server.terminate()
        server.join()


if __name__ == "__main__":
    main()
