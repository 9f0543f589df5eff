"""Opening the database: engine settings per dialect and schema migrations (Alembic) to the latest version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from pantau.errors import PantauError

MIGRATIONS = Path(__file__).parent / "migrations"


class StoreError(PantauError):
    """The message starts with "store: "."""


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            folder = Path(url.removeprefix("sqlite:///")).parent
            if not folder.is_dir():
                raise StoreError(f"store: the folder for the database does not exist: {folder}")
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling would defer BEGIN; issue it ourselves (see `begin` below).
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "busy_timeout=5000", "synchronous=NORMAL", "foreign_keys=ON"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # Writers take the lock up front: a deferred BEGIN that reads then writes fails under contention.
    # Connections marked read-only (Store._read) begin deferred and so never wait for a writer.
    read_only = connection.get_execution_options().get("pantau_read", False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def migrate(engine: Engine, revision: str = "head") -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
    except OperationalError as exc:
        raise StoreError(
            f"store: cannot open {engine.url.render_as_string(hide_password=True)}: {exc.orig}"
        ) from None
    except SQLAlchemyError as exc:
        raise StoreError(f"store: migration failed: {exc}") from None
