"""Start-up: how long a user waits for `pantau --help`, `check`, `test-rule` and the first request of `once`.

    .venv/bin/python benchmarks/startup.py [--runs 9] [--compare OTHER/src]

Every figure is the median wall time of --runs fresh processes, measured in the same run as `python -c pass`
(the interpreter alone), because the machine is shared and its load changes from minute to minute. For
`once`, a local HTTP server notes when the first request arrives (robots.txt or the listing page); the figure
is that moment minus the moment the process was started, on a store that already exists (one warm-up run).
`store: open a fresh database` is timed inside its process: `Store.open` on a new SQLite file (the schema
created, as at the first `once`), after the imports.
With --compare, every pantau command also runs from another source tree (e.g. an older checkout's src/,
put first on PYTHONPATH) in the same run, shown as "(other)". Targets: `check` and `test-rule` under 0.3 s, the first request of `once` within 0.4 s, `--help` instant.

pantau runs as installed: with its modules' bytecode cached (pip compiles it at install; here a cache in the
temporary folder, PYTHONPYCACHEPREFIX, written by one warm-up round), even where PYTHONDONTWRITEBYTECODE is
set. --no-bytecode-cache times every start compiling pantau's sources again instead.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CONFIG = """\
database: sqlite:///{db}
channels:
  terminal: stdout://
concepts:
  nato: [NATO, OTAN, "North Atlantic Treaty Organization"]
  japan: [Japan, Jepang, Tokyo]
sources:
  - name: local
    url: {url}/index.html
    link_pattern: '/news/\\d+$'
rules:
  - name: nato-japan
    match: '@nato AND @japan'
    notify: terminal
"""
LISTING = (
    b'<!doctype html><html><body><h1>News</h1><ul><li><a href="/news/1">Old news</a></li></ul></body></html>'
)
ARTICLE = (
    b'<!doctype html><html lang="en"><head><title>Old news</title></head><body><article><h1>Old news</h1>'
    + b"<p>The harbour was quiet all week, and the fishing boats stayed at their moorings.</p>" * 8
    + b"</article></body></html>"
)


class _FirstRequest(BaseHTTPRequestHandler):
    first: float | None = None

    def do_GET(self) -> None:
        if _FirstRequest.first is None:
            _FirstRequest.first = time.time()
        if self.path == "/robots.txt":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = ARTICLE if self.path.startswith("/news/") else LISTING
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


OPEN_FRESH = """
import sys, time, uuid
from pantau.store import Store
started = time.perf_counter()
Store.open(f"sqlite:///{sys.argv[1]}/{uuid.uuid4().hex}.db").close()
print(time.perf_counter() - started)
"""


def in_process(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


def pantau_command() -> list[str]:
    script = Path(sys.executable).with_name("pantau")
    return [str(script)] if script.exists() else [sys.executable, "-m", "pantau"]


def wall(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def first_request(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    _FirstRequest.first = None
    started = time.time()
    subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    if _FirstRequest.first is None:
        raise SystemExit("startup: `pantau once` made no request to the local server")
    return _FirstRequest.first - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="processes per command (the median is shown)")
    parser.add_argument("--compare", type=Path, help="another pantau source tree to time in the same run")
    parser.add_argument(
        "--no-bytecode-cache", action="store_true", help="compile pantau's sources at every start"
    )
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), _FirstRequest)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    pantau = pantau_command()
    with tempfile.TemporaryDirectory(prefix="pantau-startup-") as tmp:
        here = Path(tmp)
        config = here / "config.yaml"
        config.write_text(CONFIG.format(db=here / "pantau.db", url=url))
        env = {k: v for k, v in os.environ.items() if k != "PANTAU_CONFIG"}
        if args.no_bytecode_cache:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        else:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(here / "bytecode")
        envs = {"": env}
        if args.compare:
            envs[" (other)"] = {**env, "PYTHONPATH": str(args.compare.resolve())}
        c = ["-c", str(config)]
        subprocess.run([*pantau, "once", *c], cwd=here, env=env, capture_output=True, check=True)  # the store
        rule = [*pantau, "test-rule", "@nato AND @japan", "--title", "NATO in Tokyo", *c]
        commands = [
            ("pantau --help", [*pantau, "--help"], wall),
            ("pantau check", [*pantau, "check", *c], wall),
            ("pantau test-rule", rule, wall),
            ("pantau once: first request", [*pantau, "once", *c], first_request),
            ("store: open a fresh database", [sys.executable, "-c", OPEN_FRESH, tmp], in_process),
        ]
        cases = [("python -c pass", [sys.executable, "-c", "pass"], wall, env)]
        cases += [(name + tag, argv, how, e) for name, argv, how in commands for tag, e in envs.items()]
        for _name, argv, _how, e in cases:  # warm-up: the bytecode cache, the page cache
            subprocess.run(argv, cwd=here, env=e, capture_output=True, check=True)
        times: dict[str, list[float]] = {name: [] for name, _, _, _ in cases}
        for _ in range(args.runs):  # interleaved, so a burst of load hits every command alike
            for name, argv, how, e in cases:
                times[name].append(how(argv, here, e))
    server.shutdown()

    base = statistics.median(times["python -c pass"])
    cache = "compiling the sources at every start" if args.no_bytecode_cache else "bytecode cached"
    print(f"start-up, median of {args.runs} runs each (seconds), {cache}")
    print(f"{'command':<36} {'median':>8} {'min':>8} {'minus python':>13}")
    for name, _, _, _ in cases:
        median = statistics.median(times[name])
        less = "" if name.startswith("store:") else f"{median - base:13.3f}"  # timed after the imports
        print(f"{name:<36} {median:8.3f} {min(times[name]):8.3f} {less}")


if __name__ == "__main__":
    main()
