"""Where `pantau once` spends its CPU: per process (main, fork server, workers) and the main process's cyclic
garbage collector, over the vs_urlwatch corpus, this tree against others in the same run.

    .venv/bin/python benchmarks/once_cpu.py [--pages 1000] [--runs 3] [--corpus narrow|varied] [--compare OTHER/src ...]

Wall time on this shared 2-core machine moves with whatever else runs; CPU seconds per process move much
less, so this is the figure to compare changes of the pipeline by (vs_urlwatch.py gives the wall-time
comparison with urlwatch). Each run is a fresh `pantau once` on a fresh SQLite store, run from a source tree
put first on PYTHONPATH; its process tree is sampled every 10 ms and each process's last CPU reading
(user + system) is kept. The main process runs pantau through a small wrapper that sums the time of each of
its garbage collections (thread CPU time, by generation). Runs of the trees alternate; the median is shown,
the range beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing.queues import Queue
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import vs_urlwatch  # the corpus, its server and the config

HZ = os.sysconf("SC_CLK_TCK")
# Runs pantau's CLI in this interpreter with a callback on the collector; prints "gc MS" last on stderr.
WRAPPER = """
import gc, sys, time
spent = [0.0]; began = [0.0]
def watch(phase, info):
    if phase == "start":
        began[0] = time.thread_time()
    else:
        spent[0] += time.thread_time() - began[0]
gc.callbacks.append(watch)
from pantau.cli import run_cli
status = run_cli(sys.argv[1:])
print(f"gc {spent[0] * 1000:.1f}", file=sys.stderr)
sys.exit(status)
"""


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _cpu(pid: int) -> float | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def one_run(src: str, ports: list[int]) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="pantau-once-cpu-") as tmp:
        config = Path(tmp) / "config.yaml"
        config.write_text(vs_urlwatch.pantau_config(ports, Path(tmp) / "pantau.db"))
        env = {k: v for k, v in os.environ.items() if k != "PANTAU_CONFIG"}
        env["PYTHONPATH"] = src
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: bytecode cached (see startup.py)
        env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "pantau-once-cpu-bytecode")
        argv = [sys.executable, "-c", WRAPPER, "once", "-c", str(config)]
        started = time.perf_counter()
        process = subprocess.Popen(argv, cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        seen: dict[int, tuple[float, int]] = {}  # pid -> (CPU seconds, depth below pantau's process)
        while process.poll() is None:
            todo = [(process.pid, 0)]
            while todo:
                pid, depth = todo.pop()
                reading = _cpu(pid)
                if reading is not None:
                    seen[pid] = (reading, depth)
                todo += [(child, depth + 1) for child in _children(pid)]
            time.sleep(0.01)
        wall = time.perf_counter() - started
        stderr = process.stderr.read().decode() if process.stderr else ""
        if process.returncode != 0:
            raise SystemExit(f"pantau once exited {process.returncode}: {stderr[-2000:]}")
    gc_ms = float(stderr.strip().splitlines()[-1].split()[1])
    main = seen.pop(process.pid)[0]
    # The main process's children are the fork server and the resource tracker; the workers are the fork
    # server's children.
    starters = sum(c for c, depth in seen.values() if depth == 1)
    workers = sum(c for c, depth in seen.values() if depth > 1)
    return {
        "wall s": wall,
        "main CPU s": main,
        "main GC ms": gc_ms,
        "workers CPU s": workers,
        "fork server CPU s": starters,
        "all CPU s": main + workers + starters,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--corpus", choices=("narrow", "varied"), default="narrow")
    parser.add_argument("--compare", action="append", default=[], help="another tree's src/ (repeatable)")
    args = parser.parse_args()
    per_host = args.pages // len(vs_urlwatch.HOSTS)
    trees = [str(Path(__file__).resolve().parent.parent / "src"), *args.compare]

    ports: Queue[list[int]] = multiprocessing.Queue()
    server = multiprocessing.Process(
        target=vs_urlwatch.serve, args=(per_host, ports, args.corpus == "varied"), daemon=True
    )
    server.start()
    host_ports = ports.get(timeout=60)
    results: dict[str, list[dict[str, float]]] = {tree: [] for tree in trees}
    try:
        for tree in trees:  # warm-up: the bytecode cache, the page cache
            one_run(tree, host_ports)
        for _ in range(args.runs):
            for tree in trees:
                results[tree].append(one_run(tree, host_ports))
    finally:
        server.terminate()

    pages = per_host * len(vs_urlwatch.HOSTS)
    print(f"pantau once over {pages} pages ({args.corpus} corpus), {args.runs} runs per tree, median [range]")
    for tree, runs in results.items():
        print(f"{tree}{'  (this tree)' if tree == trees[0] else ''}")
        for key in runs[0]:
            values = [run[key] for run in runs]
            print(f"  {key:<18} {statistics.median(values):8.2f}   [{min(values):.2f} - {max(values):.2f}]")


if __name__ == "__main__":
    main()
