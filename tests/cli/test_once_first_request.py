"""`pantau once` asks for robots.txt while the store is still opening, not after: the first request does
not wait for the store's modules, its connection or its schema check. Shown without timing anything: the
test holds the database so that the store cannot open, and the site must hear from pantau meanwhile."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from support.site import ScriptedSite

from pantau.store import Store
from pantau.store.db import SCHEMA_LOCK

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


def test_robots_txt_is_asked_for_while_the_store_cannot_open(
    tmp_path: Path, site: ScriptedSite, database: str, hold: Callable[[], None]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.format(url=database, site=site.url))
    once = subprocess.Popen(
        [sys.executable, "-m", "pantau", "once", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        deadline = time.monotonic() + 60  # a bound for a loaded machine, not a measurement
        while not site.arrived("/robots.txt") and once.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        asked_while_held = site.arrived("/robots.txt")
        pages_while_held = site.arrived("/warta/index.html")
        hold()
        _out, err = once.communicate(timeout=120)
    finally:
        if once.poll() is None:
            once.kill()
    assert (asked_while_held, pages_while_held) == (1, 0), err
    # and the pass is the one it always was: robots.txt read once, every article stored
    assert once.returncode == 0, err
    assert site.arrived("/robots.txt") == 1
    assert "warta: 6 new articles, 0 alerts" in err


def _fork_servers(pid: int) -> int:
    """How many multiprocessing fork servers `pid` has started (Linux: read from /proc)."""
    found = 0
    for task in Path(f"/proc/{pid}/task").glob("*"):
        for child in (task / "children").read_text().split():
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            found += b"multiprocessing.forkserver" in command
    return found


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc")
@pytest.mark.parametrize("workers", [0, 1])
def test_the_workers_fork_server_starts_as_the_pass_does_and_only_for_workers(
    tmp_path: Path, site: ScriptedSite, database: str, hold: Callable[[], None], workers: int
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.format(url=database, site=site.url).replace("workers: 0", f"workers: {workers}"))
    once = subprocess.Popen(
        [sys.executable, "-m", "pantau", "once", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        deadline = time.monotonic() + 60  # a bound for a loaded machine, not a measurement
        while not site.arrived("/robots.txt") and once.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        while workers and not _fork_servers(once.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        servers_while_held = _fork_servers(once.pid)
        hold()
        _out, err = once.communicate(timeout=120)
    finally:
        if once.poll() is None:
            once.kill()
    assert servers_while_held == workers, err
    assert once.returncode == 0, err
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
