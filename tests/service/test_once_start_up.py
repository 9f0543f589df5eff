"""What `pantau once` does before its first poll, beside the imports: it starts the workers' fork server
as the one Analyser would start, and only when there are workers; it loads its modules without the cyclic
collector walking its growing heap over and over; it loads nothing it never calls."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.site import ScriptedSite

import pantau.analyse
from pantau.cli import run_cli
from pantau.service import once

CONFIG = """\
database: sqlite:///{db}
{workers}
sources:
  - {{name: warta, url: "{site}/warta/index.html", link_pattern: '/p\\d+$'}}
"""

# Runs `pantau once` in a fresh interpreter; prints its exit status, how often the collector walked the
# older generations, whether it is on at the end, and which of the modules asked about it loaded.
PROBE = """
import gc, json, sys
older = []
gc.callbacks.append(lambda phase, info: phase == "start" and info["generation"] and older.append(1))
from pantau.cli import run_cli
status = run_cli(sys.argv[2:])
asked = json.loads(sys.argv[1])
print(json.dumps({
    "status": status, "older collections": len(older), "collector on": gc.isenabled(),
    "loaded": sorted(m for m in sys.modules if m.split(".")[0] in asked or m in asked),
}), file=sys.stderr)
"""
# numpy: only computing a signature needs it (the workers); placing articles compares them without it.
NEVER_IN_ONCE = [
    "pantau.backtest",
    "pantau.extract.article",
    "pantau.dedupe.minhash",
    "numpy",
    "alembic",
    "apprise",
]


def _config(tmp_path: Path, site: ScriptedSite, workers: str = "") -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "p.db", site=site.url, workers=workers))
    return path


def _probe(tmp_path: Path, probe: str, asked: str | None, config: Path) -> tuple[dict[str, Any], str]:
    """Run `pantau once -c config` under `probe` in a fresh interpreter (with `asked` as the probe's first
    argument, when given): what the probe printed last on standard error, and all it printed there."""
    argv = [sys.executable, "-c", probe, *([asked] if asked is not None else []), "once", "-c", str(config)]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    return json.loads(done.stderr.strip().splitlines()[-1]), done.stderr


def test_the_fork_server_preloads_what_the_analyser_would_have_it_preload() -> None:
    # Started first, the server is the one every Analyser of the process uses: a list that drifted from
    # the analyser's would leave the workers importing the extractor themselves, each of them.
    assert (pantau.analyse.__name__, *pantau.analyse._WORKER_MODULES) == once.FORK_SERVER_PRELOAD


def test_once_loads_without_collecting_and_leaves_the_collector_on(
    tmp_path: Path, site: ScriptedSite
) -> None:
    seen, stderr = _probe(tmp_path, PROBE, json.dumps(NEVER_IN_ONCE), _config(tmp_path, site, "workers: 1"))
    # Loading the pipeline with the collector on took 16 collections of the middle generation and one of
    # the whole heap, a tenth of the start-up's CPU; six articles later none is due.
    assert seen == {"status": 0, "older collections": 0, "collector on": True, "loaded": []}, stderr
    assert "warta: 6 new articles" in stderr


def test_the_collector_is_on_again_after_once_fails_before_its_pass(
    tmp_path: Path, site: ScriptedSite, capsys: pytest.CaptureFixture[str]
) -> None:
    assert gc.isenabled()
    assert run_cli(["once", "--source", "nope", "-c", str(_config(tmp_path, site))]) == 2
    assert gc.isenabled()
    assert "no source named 'nope'" in capsys.readouterr().err


def test_the_fork_server_loads_nothing_a_worker_never_calls() -> None:
    # The server's start-up runs beside the main process's on a 2-core machine: the event loop, the query
    # parser and numpy's random generators are the main process's business, never a worker's.
    code = (
        "import json, sys\n"
        f"for name in {list(once.FORK_SERVER_PRELOAD)!r}:\n"
        "    __import__(name)\n"
        "asked = ['asyncio', 'ssl', 'pathlib', 'numpy.random', 'pantau.rules.syntax', 'pantau.rules.compile']\n"
        "print(json.dumps([m for m in asked if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(done.stdout) == []


# Records, each time the fork server is asked to run, whether the HTTP client had loaded by then.
ORDER_PROBE = """
import json, sys
from multiprocessing import forkserver
asked = []
ensure_running = forkserver.ensure_running
def ensure():
    asked.append("aiohttp" in sys.modules)
    ensure_running()
forkserver.ensure_running = ensure
from pantau.cli import run_cli
status = run_cli(sys.argv[1:])
print(json.dumps({"status": status, "aiohttp loaded at each start": asked}), file=sys.stderr)
"""


def test_once_starts_the_fork_server_before_it_loads_the_http_client(
    tmp_path: Path, site: ScriptedSite
) -> None:
    # Started once the HTTP client had loaded, the server's first worker was ready a tenth of a second
    # after the first article page had come, and those pages waited for it.
    seen, stderr = _probe(tmp_path, ORDER_PROBE, None, _config(tmp_path, site, "workers: 1"))
    assert seen["status"] == 0, stderr
    assert seen["aiohttp loaded at each start"][0] is False, stderr
