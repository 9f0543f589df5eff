"""Opening a store does not load Alembic (a share of every command's start-up) when its schema is already
the newest or the database is fresh, and still migrates an older database, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory

from pantau.store import Store
from pantau.store.db import MIGRATIONS, make_engine, migrate, newest_revision

PROBE = """
import sys
from pantau.store import Store
with Store.open(sys.argv[1]) as store:
    store.source_health("x")
print("alembic" in sys.modules)
"""


def _alembic_head() -> str | None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


def _opened_with_alembic(url: str) -> bool:
    done = subprocess.run([sys.executable, "-c", PROBE, url], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip() == "True"


def test_the_newest_revision_read_from_the_scripts_is_alembics_head() -> None:
    assert newest_revision() == _alembic_head()


def test_fresh_database_is_created_then_reopened_without_alembic(store_url: str) -> None:
    assert not _opened_with_alembic(store_url)  # fresh: created from the table definitions
    assert not _opened_with_alembic(store_url)  # up to date: a plain query says so


def test_an_older_schema_is_upgraded_with_alembic(store_url: str) -> None:
    engine = make_engine(store_url)
    migrate(engine, "0001")
    engine.dispose()
    assert _opened_with_alembic(store_url)
    assert not _opened_with_alembic(store_url)


def test_an_older_schema_is_still_upgraded(store_url: str) -> None:
    engine = make_engine(store_url)
    migrate(engine, "0001")
    assert migrate(engine) == [f"pantau schema 0001 -> {_alembic_head()}"]
    assert migrate(engine) == []
    engine.dispose()
    with Store.open(store_url) as store:
        assert store.source_health("x").name == "x"
