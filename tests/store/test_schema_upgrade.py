"""Several processes upgrading one fresh database at once: `pantau db upgrade` and `pantau once` started
together all succeed, on PostgreSQL (an advisory lock) and SQLite (BEGIN IMMEDIATE), and the schema is
created once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from support.site import ScriptedSite

CONFIG = """\
database: {db}
defaults: {{every: 1h, timeout: 30s}}
channels: {{terminal: "stdout://"}}
sources:
  - {{name: wire, url: "{base}/wire/index.html", links: "a[href*='/news/']"}}
rules:
  - {{name: nato, match: NATO, notify: terminal}}
"""


def _start(config: Path, *command: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pantau", *command, "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_processes_started_together_on_a_fresh_database_all_succeed(
    request: pytest.FixtureRequest, tmp_path: Path, site: ScriptedSite, backend: str
) -> None:
    db = request.getfixturevalue("pg_database") if backend == "postgresql" else f"sqlite:///{tmp_path}/p.db"
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.format(db=db, base=site.url))
    commands = [("db", "upgrade")] * 3 + [("once",)] * 3
    processes = [_start(config, *command) for command in commands]
    results = [(p.args[3:-2], *p.communicate(timeout=90), p.returncode) for p in processes]
    for command, _out, err, status in results:
        assert status == 0, f"{command} exited {status}: {err}"
        assert "Traceback" not in err and "error" not in err.lower(), err
    engine = create_engine(db)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
        assert (
            conn.execute(text("SELECT count(*) FROM article")).scalar_one() == 6
        )  # the wire outlet lists six
    engine.dispose()


def test_db_upgrade_says_what_it_did_and_then_that_nothing_was_left(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.format(db=f"sqlite:///{tmp_path}/p.db", base="http://127.0.0.1:9"))
    first = _start(config, "db", "upgrade").communicate(timeout=60)[0]
    assert "upgraded: pantau schema none -> " in first
    again = _start(config, "db", "upgrade")
    out, _err = again.communicate(timeout=60)
    assert again.returncode == 0
    assert out.strip() == "database schema was already up to date"


def test_db_upgrade_on_an_unreachable_database_fails_with_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    db = "postgresql://pantau@127.0.0.1:1/none"
    config.write_text(CONFIG.format(db=db, base="http://127.0.0.1:9"))
    failed = _start(config, "db", "upgrade")
    _out, err = failed.communicate(timeout=60)
    assert failed.returncode == 1
    assert err.startswith("error: store: cannot open postgresql+psycopg://pantau@127.0.0.1:1/none")
    assert "Traceback" not in err
