"""`pantau once` asks for robots.txt while the store is still opening, not after: the first request does
not wait for the store's modules, its connection or its schema check. Shown without timing anything: the
test holds the database so that the store cannot open, and the site must hear from pantau meanwhile."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import create_engine, text
from support.process import start_once
from support.site import ScriptedSite

from pantau.store import Store
from pantau.store.db import SCHEMA_LOCK

T = TypeVar("T")

CONFIG = """\
database: {url}
workers: 0
sources:
  - name: warta
    url: {site}/warta/index.html
    link_pattern: '/p\\d+$'
    article: {{body: ".detail-content", drop: [".komentar"]}}
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pantau.db'}"
    url: str = request.getfixturevalue("pg_database")
    return url


@pytest.fixture
def hold(database: str) -> Iterator[Callable[[], None]]:
    """Takes the database the way another writer would, so that `Store.open` waits; the fixture's value
    lets it go. The schema is there already: the wait is the one every `once` meets, not a migration."""
    Store.open(database).close()
    if database.startswith("sqlite"):
        holder = sqlite3.connect(database.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # pantau's own BEGIN IMMEDIATE now waits
        yield holder.close
        holder.close()
        return
    engine = create_engine(database, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        lock = {"key": SCHEMA_LOCK}
        connection.execute(text("SELECT pg_advisory_lock(:key)"), lock)  # the schema lock
        yield lambda: connection.execute(text("SELECT pg_advisory_unlock(:key)"), lock)
    engine.dispose()


def _once_while_held(
    config: Path, site: ScriptedSite, hold: Callable[[], None], look: Callable[[int], T]
) -> tuple[T, int, str]:
    """Runs `once` while the store cannot open: once robots.txt has been asked for (or `once` has ended),
    `look(pid)` says what it sees until it sees something (at most a minute), then the store is let go.
    Returns what `look` saw last, the exit status and the standard error."""
    once = start_once(config)
    try:
        deadline = time.monotonic() + 60  # a bound for a loaded machine, not a measurement
        while not site.arrived("/robots.txt") and once.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        seen = look(once.pid)
        while not seen and once.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
            seen = look(once.pid)
        hold()
        _out, err = once.communicate(timeout=120)
    finally:
        if once.poll() is None:
            once.kill()
    return seen, once.returncode, err


def test_robots_txt_is_asked_for_while_the_store_cannot_open(
    tmp_path: Path, site: ScriptedSite, database: str, hold: Callable[[], None]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.format(url=database, site=site.url))
    asked, status, err = _once_while_held(
        config,
        site,
        hold,
        lambda _pid: (site.arrived("/robots.txt"), site.arrived("/warta/index.html")),
    )
    assert asked == (1, 0), err
    # and the pass is the one it always was: robots.txt read once, every article stored
    assert status == 0, err
    assert site.arrived("/robots.txt") == 1
    assert "warta: 6 new articles, 0 alerts" in err


def _fork_servers(pid: int) -> int:
    """How many multiprocessing fork servers `pid` has started (Linux: read from /proc)."""
    found = 0
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            for child in (task / "children").read_text().split():
                with contextlib.suppress(OSError):
                    found += b"multiprocessing.forkserver" in Path(f"/proc/{child}/cmdline").read_bytes()
    return found


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc")
@pytest.mark.parametrize("workers", [0, 1])
def test_the_workers_fork_server_starts_while_the_store_cannot_open_and_only_for_workers(
    tmp_path: Path, site: ScriptedSite, database: str, hold: Callable[[], None], workers: int
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.format(url=database, site=site.url).replace("workers: 0", f"workers: {workers}"))
    # With no workers there is nothing to wait for: what is seen at the first request is the answer.
    look = _fork_servers if workers else lambda pid: (_fork_servers(pid), True)
    seen, status, err = _once_while_held(config, site, hold, look)
    assert seen == (workers if workers else (0, True)), err
    assert status == 0, err
    assert "warta: 6 new articles, 0 alerts" in err


def test_a_database_in_memory_is_one_database_whichever_thread_opened_it(
    tmp_path: Path, site: ScriptedSite
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.format(url='"sqlite:///:memory:"', site=site.url))
    done = subprocess.run(
        [sys.executable, "-m", "pantau", "once", "--config", str(config)],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "warta: 6 new articles, 0 alerts" in done.stderr
