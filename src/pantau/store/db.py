"""Opening the database: engine settings per dialect and schema migrations (Alembic) to the latest version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

from pantau.errors import PantauError

MIGRATIONS = Path(__file__).parent / "migrations"
CONNECT_TIMEOUT = 5  # seconds, PostgreSQL


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
    # Without a connect timeout, libpq waits for an unreachable server as long as the kernel does (minutes),
    # and the service with it.
    args = {} if "connect_timeout" in url else {"connect_timeout": CONNECT_TIMEOUT}
    return create_engine(url, pool_pre_ping=True, connect_args=args)


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


# What the driver says, in any case, -> the few words an operator needs. First match wins.
_CAUSES = (
    ("refused", "connection refused"),
    ("timeout expired", "timed out"),
    ("timed out", "timed out"),
    ("could not translate host name", "unknown host"),
    ("name or service not known", "unknown host"),
    ("no route to host", "no route to host"),
    ("network is unreachable", "network unreachable"),
    ("terminating connection", "the server shut down"),
    ("shutting down", "the server shut down"),
    ("starting up", "the server is starting up"),
    ("too many clients", "too many connections"),
    ("closed the connection", "connection lost"),
    ("connection is lost", "connection lost"),
    ("consuming input failed", "connection lost"),
    ("connection is closed", "connection lost"),
    ("connection reset", "connection lost"),
    ("server closed", "connection lost"),
    ("ssl syscall", "connection lost"),
    ("eof detected", "connection lost"),
    ("database is locked", "database is locked"),
    ("unable to open database file", "cannot open the database file"),
    ("readonly database", "the database file is read-only"),
    ("disk i/o error", "disk I/O error"),
    ("database or disk is full", "disk full"),
    ("file is not a database", "the file is not a database"),
)


def unavailable(exc: BaseException) -> str | None:
    """`store: database unavailable (CAUSE)` when `exc` says the database cannot be reached or used right
    now (an operational event, not a bug: the work is done again once it is back), else None."""
    if isinstance(exc, StoreError) and str(exc).startswith("store: database unavailable"):
        return str(exc)
    if not isinstance(exc, DBAPIError):
        return None
    if not (isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated):
        return None  # a constraint or syntax error is a bug, reported as one
    said = str(exc.orig).strip()
    cause = next((short for needle, short in _CAUSES if needle in said.lower()), None)
    if cause is None:
        cause = said.splitlines()[0][:120] if said else type(exc.orig).__name__
    return f"store: database unavailable ({cause})"
