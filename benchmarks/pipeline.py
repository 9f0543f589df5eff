"""Pipeline throughput: N article pages served on loopback, through fetch -> extract -> story -> match -> store.

    .venv/bin/python benchmarks/pipeline.py [--sizes 1000,10000]

For each N, a fresh process polls 50 sources (listing pages on eight loopback addresses, N/50 articles
each) into a new SQLite store, and prints articles/s, CPU and memory. Three runs per N against the same
server: a plain download of the same pages with the same HTTP client and per-host limits and nothing else
(how much of the time the pipeline itself costs), pantau with `workers: 0` (everything in one process),
pantau with its default workers (one on 2 cores), and the same with every article split over two pages
(what following pagers costs: twice the requests, page 1 analysed twice). Memory is the peak of the summed PSS of the process
and all its descendants (the analysis workers, their fork server, multiprocessing's resource tracker), so
pages a worker shares with its fork server are not counted twice; "main RSS" is the main process alone.
Target on the 2-core machine: >= 300 articles/s and peak memory < 200 MB at N = 10,000.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import resource
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

HOSTS = [f"127.0.0.{i}" for i in range(1, 9)]
SOURCES = 50
WORDS = [
    "pemerintah",
    "menteri",
    "luar",
    "negeri",
    "kerja",
    "sama",
    "kawasan",
    "keamanan",
    "ekonomi",
    "pertemuan",
    "delegasi",
    "perdagangan",
    "the",
    "minister",
    "said",
    "on",
    "tuesday",
    "that",
    "talks",
    "would",
    "continue",
    "next",
    "week",
    "amid",
    "concerns",
    "over",
    "regional",
    "security",
    "pelabuhan",
    "investasi",
    "nelayan",
    "harga",
    "beras",
    "inflasi",
    "bank",
    "sentral",
    "suku",
    "bunga",
    "ekspor",
    "impor",
    "produksi",
]
TOPICS = [
    "NATO leaders met their Japanese and Australian counterparts",
    "Ukraina menerima bantuan baru di tengah perang",
    "Harga beras naik menjelang akhir tahun",
    "Korea Selatan dan NATO membahas latihan bersama",
]


def article_html(source: int, index: int, page: int = 0) -> bytes:
    """The article; with `page` 1 or 2, that half of it, with a pager ("Halaman 1 2 Selanjutnya")."""
    rng = random.Random(source * 100_003 + index)
    topic = TOPICS[(source + index) % len(TOPICS)]
    paragraphs = [topic + ". " + " ".join(rng.choices(WORDS, k=60)) + "." for _ in range(8)]
    if page:
        paragraphs = paragraphs[:4] if page == 1 else paragraphs[4:]
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    if page:
        url = f"/s{source}/news/{index}.html"
        one = f'<a href="{url}">1</a>' if page == 2 else "<span>1</span>"
        two = (
            f'<a href="{url}?page=2">2</a> <a href="{url}?page=2">Selanjutnya</a>'
            if page == 1
            else "<span>2</span>"
        )
        body += f'<div class="halaman">Halaman {one} {two}</div>'

    return textwrap.dedent(f"""\
        <!doctype html><html lang="id"><head><meta charset="utf-8">
        <title>{topic} ({source}-{index})</title>
        <meta property="og:title" content="{topic} ({source}-{index})">
        <meta property="article:published_time" content="2026-11-25T0{index % 10}:00:00+07:00"></head>
        <body><nav><a href="/">Beranda</a> <a href="/dunia">Dunia</a> NATO Ukraina</nav>
        <article><h1>{topic} ({source}-{index})</h1>{body}</article>
        <aside class="baca-juga">Baca juga: NATO dan Jepang</aside><footer>Hak cipta</footer></body></html>
        """).encode()


def listing_html(source: int, per_source: int) -> bytes:
    links = "".join(f'<li><a href="/s{source}/news/{i}.html">Berita {i}</a></li>' for i in range(per_source))
    return f"<!doctype html><html><body><ul>{links}</ul></body></html>".encode()


async def _serve(
    per_source: int, ready: multiprocessing.synchronize.Event, port_box: list[int], paged: bool
) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await reader.readuntil(b"\r\n\r\n")
                path, _, query = request.split(b" ", 2)[1].decode().partition("?")
                parts = path.strip("/").split("/")
                status, body = "200 OK", b""
                if path == "/robots.txt":
                    status = "404 Not Found"
                elif len(parts) == 2 and parts[1] == "index.html":
                    body = listing_html(int(parts[0][1:]), per_source)
                elif len(parts) == 3 and parts[1] == "news":
                    page = (2 if query == "page=2" else 1) if paged else 0
                    body = article_html(int(parts[0][1:]), int(parts[2].split(".")[0]), page)
                else:
                    status = "404 Not Found"
                head = f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n"
                writer.write(head.encode() + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, host=HOSTS, port=port_box[0], backlog=1024)
    async with server:
        ready.set()
        await asyncio.Event().wait()


def serve(per_source: int, port: int, ready: multiprocessing.synchronize.Event, paged: bool) -> None:
    asyncio.run(_serve(per_source, ready, [port], paged))


def config_text(port: int, db: Path, workers: int | None = None) -> str:
    sources = "\n".join(
        f"  - {{name: s{i}, url: 'http://{HOSTS[i % len(HOSTS)]}:{port}/s{i}/index.html', links: 'a[href*=\"/news/\"]'}}"
        for i in range(SOURCES)
    )
    workers_line = "" if workers is None else f"workers: {workers}\n"
    return f"""\
database: sqlite:///{db}
{workers_line}defaults: {{max_age: "off"}}  # the pages carry fixed dates
channels: {{t: "json://127.0.0.1:9/unused"}}
sources:
{sources}
concepts:
  nato: [NATO, OTAN]
  japan: [Japan, Japanese, Jepang]
  south_korea: ["South Korea", "Korea Selatan"]
  ukraine: {{en: [Ukraine], id: [Ukraina]}}
rules:
  - {{name: nato, match: '@nato AND (@japan OR @south_korea)', notify: t}}
  - {{name: ukraine, match: '@ukraine AND (perang OR bantuan)', notify: t}}
"""


def child(mode: str, port: int, n: int) -> None:
    """Runs in a fresh process so that its peak RSS is its own."""
    from pantau.clock import utc_now
    from pantau.config import load_config
    from pantau.fetch import Fetcher, make_client
    from pantau.pipeline import Context, analyser_for, poll_all
    from pantau.store import Store

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.yaml"
        path.write_text(config_text(port, Path(folder) / "bench.db", 0 if mode == "inline" else None))
        config = load_config(path)
        store = Store.open(config.database)

        async def pipeline() -> int:
            async with make_client() as client:
                with analyser_for(config) as analyser:
                    ctx = Context(config, store, Fetcher(client, clock=utc_now), utc_now, analyser)
                    results = await poll_all(ctx)
            errors = [e for r in results for e in r.errors]
            if errors:
                raise SystemExit(f"pipeline errors: {errors[:3]}")
            return sum(r.new_articles for r in results)

        async def download() -> int:
            async with make_client() as client:
                fetcher = Fetcher(client, clock=utc_now)
                per = n // SOURCES

                async def one(source: int) -> int:
                    host = HOSTS[source % len(HOSTS)]
                    base = f"http://{host}:{port}/s{source}"
                    await fetcher.get(f"{base}/index.html", user_agent="bench")
                    pages = [fetcher.get(f"{base}/news/{i}.html", user_agent="bench") for i in range(per)]
                    return len(await asyncio.gather(*pages))

                return sum(await asyncio.gather(*(one(s) for s in range(SOURCES))))

        tree = TreeSampler()
        tree.start()
        start, cpu_start = time.perf_counter(), time.process_time()
        count = asyncio.run(download() if mode == "download" else pipeline())
        if mode == "paged":
            with store.engine.connect() as conn:
                bodies = conn.exec_driver_sql("SELECT body FROM article").scalars()
                halves = sum(1 for body in bodies if body.count("\n\n") < 7)  # 8 paragraphs when joined
            if halves:
                raise SystemExit(f"paged: {halves} articles were not read from both pages")
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        tree.stop()
        store.close()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"count": count, "seconds": elapsed, "cpu": cpu, "rss_mb": rss_mb}
    result |= {
        "tree_rss_mb": max(tree.peak_mb, rss_mb),
        "helper_cpu": tree.helper_cpu,
        "helpers": tree.helpers,
    }
    print(json.dumps(result))


def _pss_mb(pid: int) -> float:
    """Proportional set size: pages shared between processes (a forked worker and its fork server share
    most of theirs) are split between them instead of counted once per process, as RSS would."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class TreeSampler(threading.Thread):
    """Every 250 ms: the memory of this process and all its descendants (pantau's analysis workers, their
    fork server and multiprocessing's resource tracker) as summed PSS, and the CPU time of each helper."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_mb = 0.0
        self._cpu: dict[int, float] = {}
        self._done = threading.Event()
        self._tick = os.sysconf("SC_CLK_TCK")

    @property
    def helper_cpu(self) -> float:
        return sum(self._cpu.values())

    @property
    def helpers(self) -> int:
        return len(self._cpu)

    def run(self) -> None:
        while not self._done.wait(0.25):
            self.sample()

    def stop(self) -> None:
        self._done.set()
        self.join()

    def sample(self) -> None:
        me = os.getpid()
        family, frontier = {me}, [me]
        while frontier:
            parent = frontier.pop()
            try:
                children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
            except OSError:
                continue
            frontier.extend(int(c) for c in children)
            family.update(int(c) for c in children)
        self.peak_mb = max(self.peak_mb, sum(_pss_mb(pid) for pid in family))
        for pid in family - {me}:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            self._cpu[pid] = (int(fields[11]) + int(fields[12])) / self._tick


def measure(mode: str, n: int) -> dict[str, float]:
    per_source = n // SOURCES
    port = random.randint(20000, 40000)
    ready = multiprocessing.get_context("spawn").Event()
    server = multiprocessing.get_context("spawn").Process(
        target=serve, args=(per_source, port, ready, mode == "paged"), daemon=True
    )
    server.start()
    try:
        if not ready.wait(20):
            raise SystemExit("benchmark server did not start")
        out = subprocess.run(
            [sys.executable, __file__, "--child", mode, str(port), str(n)],
            check=True,
            capture_output=True,
            text=True,
            timeout=900,
        )
    finally:
        server.terminate()
        server.join(5)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "PORT", "N"))
    args = parser.parse_args()
    if args.child:
        mode, port, n = args.child
        child(mode, int(port), int(n))
        return
    print(
        f"{'N':>7} {'stage':<34} {'articles':>8} {'seconds':>7} {'main CPU':>8} {'helpers CPU':>11}"
        f" {'articles/s':>10} {'main RSS':>8} {'all, PSS':>9}"
    )
    modes = (
        ("download", "baseline: download only"),
        ("inline", "pantau, workers: 0"),
        ("pipeline", "pantau, default workers"),
        ("paged", "default workers, 2 pages each"),
    )
    for n in (int(x) for x in args.sizes.split(",")):
        for mode, label in modes:
            r = measure(mode, n)
            if r["helpers"]:
                label += f" ({int(r['helpers'])} helpers)"
            rate = r["count"] / r["seconds"]
            print(
                f"{n:>7} {label:<34} {int(r['count']):>8} {r['seconds']:>7.2f} {r['cpu'] / r['seconds']:>8.0%}"
                f" {r['helper_cpu'] / r['seconds']:>11.0%} {rate:>10.0f} {r['rss_mb']:>6.0f}MB"
                f" {r['tree_rss_mb']:>7.0f}MB"
            )
    print("target at N=10000: pipeline >= 300 articles/s, peak memory (all processes) < 200 MB")
    print("CPU: share of one core over the run; helpers are the analysis workers and their fork server")
    print("paged: every article split in two (?page=2, 'Halaman 1 2 Selanjutnya'): twice the requests")


if __name__ == "__main__":
    main()
