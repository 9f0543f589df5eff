"""A command that meets an unavailable database half-way says so in one line, exit status 1."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from support.process import start_once
from support.site import ScriptedSite


def test_once_with_the_database_locked_half_way_says_so_in_one_line(
    tmp_path: Path, site: ScriptedSite
) -> None:
    db = tmp_path / "p.db"
    config = tmp_path / "config.yaml"
    config.write_text(
        f"database: sqlite:///{db}\nworkers: 0\n"
        f"sources:\n  - {{name: slow, url: '{site.url}/bad/hang', timeout: 2s}}\n"
    )
    once = start_once(config)
    try:
        deadline = time.monotonic() + 30
        while site.arrived("/bad/hang") < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        # while the source keeps pantau waiting, another program takes the database and keeps it
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        _out, err = once.communicate(timeout=60)
        holder.rollback()
        holder.close()
    finally:
        if once.poll() is None:
            once.kill()
    assert once.returncode == 1, err
    assert err.strip() == "error: store: database unavailable (database is locked)"
