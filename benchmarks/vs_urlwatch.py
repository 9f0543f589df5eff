"""pantau against urlwatch on the same article pages, in the same run, as whole processes.

    .venv/bin/python benchmarks/vs_urlwatch.py [--pages 1000] [--runs 3] [--corpus narrow|varied]

A local server (its own process) serves --pages generated article pages spread over ten loopback hosts
(127.0.0.2 to 127.0.0.11), each host with a listing page that links to its articles. Each run starts:

- `pantau once` with a config of ten sources (the listings) on a fresh SQLite store: it finds the links,
  fetches and extracts every article, clusters stories, matches two rules and delivers to stdout://;
- `urlwatch` 2.x with one job per article page, filters `css: article` and `html2text`, its default thread
  pool, a fresh cache and config in a temporary folder (its report goes to /dev/null, as pantau's does).

pantau runs as installed: with its modules' bytecode cached, as pip leaves urlwatch's (here a cache in a
temporary folder, PYTHONPYCACHEPREFIX, written by one warm-up run of each tool), even where
PYTHONDONTWRITEBYTECODE is set; --no-bytecode-cache has pantau compile its sources at every start instead.

With --compare OTHER/src, pantau also runs from another source tree (put first on PYTHONPATH), in the same
run, as "pantau (other)".

Printed: wall time and pages/s of each (the median run), the ratio, how long each took from its last line on
standard error to its exit, and pantau's peak memory: the largest sum of PSS (proportional set size, so pages
shared with the fork server count once) over pantau's process and all its descendants, sampled every 50 ms.
The goal in issue 15: pantau at 2x urlwatch, under 200 MB.

The default corpus is narrow (every sentence from 34 words, as in the runs before 30 Nov 2026 16:00): almost
every article shares word sequences with hundreds of others, so pantau's story index compares each new article
with many candidates, which news from different stories would not make it do. `--corpus varied` writes most
sentences from a 20,000-word vocabulary with Zipf frequencies instead (pages about twice as long); both
tools read the same pages either way.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.queues import Queue
from pathlib import Path

HOSTS = [f"127.0.0.{i}" for i in range(2, 12)]
# Words for the generated articles: a made-up regional paper's beat (harbours, markets, weather, councils).
NOUNS = [
    "harbour", "ferry", "council", "market", "rainfall", "bridge", "school", "clinic", "harvest", "budget",
    "fishermen", "road", "festival", "power line", "river", "district", "mayor", "bus route", "library", "dam",
]  # fmt: skip
VERBS = ["opened", "delayed", "approved", "repaired", "flooded", "reviewed", "closed", "funded", "moved"]
FILLER = ["on Tuesday", "after a long debate", "for the third time", "this season", "despite the rain"]


SYLLABLES = ["ka", "ri", "to", "ne", "sa", "mu", "lo", "pe", "di", "ga", "ba", "ju", "wi", "ho", "ye", "an"]


def _vocabulary(size: int = 20_000) -> tuple[list[str], list[float]]:
    """Made-up words with Zipf weights (the 100th word a hundredth as common as the first), as a news
    vocabulary is: common words in every article, most word sequences in one."""
    rng = random.Random(20261130)
    words = ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))) for _ in range(size)]
    weights, total = [], 0.0
    for rank in range(1, size + 1):
        total += 1 / rank
        weights.append(total)
    return words, weights


_VOCABULARY: tuple[list[str], list[float]] | None = None


def _sentence(rng: random.Random, varied: bool) -> str:
    plain = f"The {rng.choice(NOUNS)} was {rng.choice(VERBS)} {rng.choice(FILLER)}."
    if not varied or rng.random() < 0.25:  # the rules' words still come up in a varied text
        return plain
    global _VOCABULARY
    words, weights = _VOCABULARY = _VOCABULARY or _vocabulary()
    return " ".join(rng.choices(words, cum_weights=weights, k=rng.randint(8, 16))).capitalize() + "."


def article_html(host: int, index: int, *, varied: bool = False) -> bytes:
    """An article page. The narrow corpus (the default) writes every sentence from 34 words, so articles
    share many word sequences: the worst case for the story index, which finds candidate copies everywhere.
    `varied` writes three sentences in four from a 20,000-word vocabulary, as different stories are written."""
    rng = random.Random(host * 7919 + index)
    title = f"{rng.choice(NOUNS).capitalize()} {rng.choice(VERBS)} in district {host}-{index}"
    paragraphs = "".join(
        "<p>" + " ".join(_sentence(rng, varied) for _ in range(rng.randint(4, 8))) + "</p>"
        for _ in range(rng.randint(5, 9))
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} | Coast Herald</title>'
        f'<meta property="article:published_time" content="2026-11-2{index % 8}T0{index % 10}:15:00+00:00">'
        f'</head><body><header><a href="/">Coast Herald</a> <a href="/weather">Weather</a></header>'
        f'<article><h1>{title}</h1><p class="byline">By Staff Reporter</p>{paragraphs}</article>'
        f'<aside><h2>Most read</h2><a href="/news/{index + 1}.html">More news</a></aside>'
        f"<footer>Coast Herald, all rights reserved</footer></body></html>"
    ).encode()


def listing_html(per_host: int) -> bytes:
    links = "".join(f'<li><a href="/news/{i}.html">Story {i}</a></li>' for i in range(per_host))
    return f"<!doctype html><html><body><h1>Latest</h1><ul>{links}</ul></body></html>".encode()


async def _serve(per_host: int, ports: Queue[list[int]], varied: bool = False) -> None:
    pages = {
        (h, i): article_html(h, i, varied=varied) for h in range(len(HOSTS)) for i in range(per_host)
    }  # built once: the server is not what is measured
    listing = listing_html(per_host)

    def handler(host: int) -> object:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:
                    request = await reader.readuntil(b"\r\n\r\n")
                    path = request.split(b" ", 2)[1].decode().partition("?")[0]
                    status, body = "200 OK", b""
                    if path == "/index.html":
                        body = listing
                    elif path.startswith("/news/") and path.endswith(".html"):
                        body = pages.get((host, int(path[6:-5])), b"")
                        status = "200 OK" if body else "404 Not Found"
                    else:
                        status = "404 Not Found"
                    head = (
                        f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n"
                    )
                    writer.write(head.encode() + body)
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()

        return handle

    servers = [
        await asyncio.start_server(handler(h), host=host, port=0, backlog=1024)  # type: ignore[arg-type]
        for h, host in enumerate(HOSTS)
    ]
    ports.put([s.sockets[0].getsockname()[1] for s in servers])
    await asyncio.Event().wait()


def serve(per_host: int, ports: Queue[list[int]], varied: bool = False) -> None:
    asyncio.run(_serve(per_host, ports, varied))


def pantau_config(ports: list[int], db: Path) -> str:
    sources = "\n".join(
        f"  - {{name: h{h}, url: 'http://{host}:{ports[h]}/index.html', links: 'a[href^=\"/news/\"]'}}"
        for h, host in enumerate(HOSTS)
    )
    return f"""\
database: sqlite:///{db}
defaults: {{max_age: "off"}}  # the pages carry fixed dates
channels: {{terminal: "stdout://"}}
sources:
{sources}
concepts:
  water: [flooded, rainfall, river, dam]
rules:
  - {{name: floods, match: '@water AND council', notify: terminal}}
  - {{name: ferries, match: 'title:ferry AND delayed', notify: terminal}}
"""


def urlwatch_jobs(ports: list[int], per_host: int) -> str:
    jobs = []
    for h, host in enumerate(HOSTS):
        for i in range(per_host):
            jobs.append(
                f"name: h{h}-{i}\nurl: http://{host}:{ports[h]}/news/{i}.html\nfilter:\n  - css: article\n  - html2text\n"
            )
    return "---\n".join(jobs)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_pss_mb(root: int) -> float:
    total, todo, seen = 0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _pss_kb(pid)
        todo += _children(pid)
    return total / 1024


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float | None]:
    """Wall seconds of the process, the peak PSS (MB) of its process tree, and the seconds from its last
    line on standard error to its exit (None if it wrote none): pantau's summary is its last word, so this
    is what its shutdown costs (closing the workers and the store, the interpreter's teardown)."""
    peak = 0.0
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()
    said: list[bytes] = []
    last_said: list[float] = []

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_pss_mb(process.pid))
            done.wait(0.05)

    def listen() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            said.append(line)
            last_said[:] = [time.perf_counter()]

    sampler = threading.Thread(target=sample, daemon=True)
    listener = threading.Thread(target=listen, daemon=True)
    sampler.start()
    listener.start()
    process.wait()
    ended = time.perf_counter()
    listener.join()
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{argv[0]} exited {process.returncode}: {b''.join(said).decode()[-2000:]}")
    return ended - started, peak, (ended - last_said[0]) if last_said else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000, help="article pages in all (spread over 10 hosts)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each tool, alternating (median shown)")
    parser.add_argument(
        "--corpus",
        choices=("narrow", "varied"),
        default="narrow",
        help="narrow: every sentence from 34 words (the story index's worst case); varied: news-like vocabulary",
    )
    parser.add_argument(
        "--no-bytecode-cache", action="store_true", help="pantau compiles its sources at every start"
    )
    parser.add_argument("--compare", type=Path, help="another pantau source tree to run in the same run")
    args = parser.parse_args()
    per_host = args.pages // len(HOSTS)
    pages = per_host * len(HOSTS)

    bin_dir = Path(sys.executable).parent
    pantau = [str(bin_dir / "pantau")] if (bin_dir / "pantau").exists() else [sys.executable, "-m", "pantau"]
    urlwatch = shutil.which("urlwatch", path=str(bin_dir)) or shutil.which("urlwatch")
    if urlwatch is None:
        raise SystemExit("vs_urlwatch: urlwatch is not installed (pip install -e '.[dev]' brings it)")

    ports: Queue[list[int]] = multiprocessing.Queue()
    server = multiprocessing.Process(
        target=serve, args=(per_host, ports, args.corpus == "varied"), daemon=True
    )
    server.start()
    host_ports = ports.get(timeout=60)
    env = {k: v for k, v in os.environ.items() if k != "PANTAU_CONFIG"}
    bytecode = tempfile.TemporaryDirectory(prefix="pantau-vs-urlwatch-bytecode-")
    pantau_env = {**env, "PYTHONDONTWRITEBYTECODE": "1"}
    if not args.no_bytecode_cache:
        pantau_env.pop("PYTHONDONTWRITEBYTECODE")
        pantau_env["PYTHONPYCACHEPREFIX"] = bytecode.name
    pantaus = {"pantau once": pantau_env}
    if args.compare:
        pantaus["pantau (other)"] = {**pantau_env, "PYTHONPATH": str(args.compare.resolve())}
    results: dict[str, list[tuple[float, float, float | None]]] = {
        name: [] for name in [*pantaus, "urlwatch"]
    }
    try:
        for run in range(-1, args.runs):  # run -1 warms up: the bytecode cache, the page cache
            for name, tool_env in pantaus.items():
                with tempfile.TemporaryDirectory(prefix="pantau-vs-urlwatch-") as tmp:
                    here = Path(tmp)
                    config = here / "config.yaml"
                    config.write_text(pantau_config(host_ports, here / "pantau.db"))
                    pantau_run = timed([*pantau, "once", "-c", str(config)], here, tool_env)
                    if run >= 0:
                        results[name].append(pantau_run)
            with tempfile.TemporaryDirectory(prefix="pantau-vs-urlwatch-") as tmp:
                here = Path(tmp)
                (here / "urls.yaml").write_text(urlwatch_jobs(host_ports, per_host))
                uw = [
                    urlwatch,
                    "--urls", str(here / "urls.yaml"),
                    "--config", str(here / "urlwatch.yaml"),
                    "--hooks", str(here / "hooks.py"),
                    "--cache", str(here / "cache.db"),
                ]  # fmt: skip
                urlwatch_run = timed(uw, here, {**env, "HOME": tmp})
                if run >= 0:
                    results["urlwatch"].append(urlwatch_run)
    finally:
        server.terminate()
        bytecode.cleanup()

    cache = "compiling its sources at every start" if args.no_bytecode_cache else "with its bytecode cached"
    print(
        f"{pages} article pages ({args.corpus} corpus) on {len(HOSTS)} loopback hosts, "
        f"{args.runs} runs each after a warm-up (median shown); pantau {cache}"
    )
    print(f"{'tool':<14} {'wall s':>8} {'pages/s':>9} {'peak PSS MB':>12} {'exit s':>7}   all runs (s)")
    rate: dict[str, float] = {}
    for name, runs in results.items():
        wall = statistics.median(w for w, _, _ in runs)
        rate[name] = pages / wall
        peak = max(p for _, p, _ in runs)
        quiet = [q for _, _, q in runs if q is not None]
        exit_s = f"{statistics.median(quiet):7.2f}" if quiet else f"{'-':>7}"
        every = " ".join(f"{w:.2f}" for w, _, _ in runs)
        print(f"{name:<14} {wall:8.2f} {rate[name]:9.0f} {peak:12.0f} {exit_s}   {every}")
    print("(exit s: from the tool's last line on standard error to its exit)")
    for name in pantaus:
        print(f"{name} / urlwatch: {rate[name] / rate['urlwatch']:.2f}x", end="")
        print(" (goal: 2x; pantau memory goal: < 200 MB)" if name == "pantau once" else "")


if __name__ == "__main__":
    main()
