"""Opening the database: engine settings per dialect and schema migrations (Alembic) to the latest version.

Upgrades are serialised across processes: on PostgreSQL the migration transaction first takes an advisory
lock, so three instances (or a cron `once` beside a `run`) starting on a fresh database queue up, and each
later one finds the schema already there; on SQLite the migration's BEGIN IMMEDIATE does the same. A job
queue that shares the database (cluster mode) has its schema applied in that same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from pantau.errors import PantauError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).parent / "migrations"
CONNECT_TIMEOUT = 5  # seconds, PostgreSQL
SCHEMA_LOCK = 0x70616E7464  # "pantd": the PostgreSQL advisory lock held while the schema is upgraded

# Alembic's record of the revision applied, as Alembic creates it, for a schema created without Alembic.
_ALEMBIC_VERSION = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


@dataclass(frozen=True)
class QueueSchema:
    """Tables another component keeps in pantau's database (the job queue in cluster mode): the script that
    creates them from nothing, and its later migration scripts by version. Which version is applied is
    recorded in pantau's `queue_schema` table; `marker` is a table whose presence says the schema exists."""

    name: str
    marker: str
    create: str
    migrations: Sequence[tuple[str, str]]  # (version, SQL), oldest first; the last one is the current version

    @property
    def version(self) -> str:
        return self.migrations[-1][0] if self.migrations else "0"


class StoreError(PantauError):
    """The message starts with "store: "."""


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            folder = Path(url.removeprefix("sqlite:///")).parent
            if not folder.is_dir():
                raise StoreError(f"store: the folder for the database does not exist: {folder}")
        if url in ("sqlite://", "sqlite:///:memory:"):
            # One connection, whichever thread asks (`once` opens the store in a thread): a connection
            # per thread would be a separate, empty database each.
            args = {"timeout": 30, "check_same_thread": False}
            engine = create_engine(url, connect_args=args, poolclass=StaticPool)
        else:
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


def migrate(engine: Engine, revision: str = "head", queue: QueueSchema | None = None) -> list[str]:
    """Bring the schema up to date, one process at a time; returns what changed (empty: nothing to do).

    Neither case loads Alembic (a visible share of a command's start-up): a schema already at the newest
    revision is recognised by a plain read (the common case of every `pantau once`), and an empty database
    gets the newest schema straight from the table definitions, stamped with the newest revision, as
    running every script from the first would leave it (tests/store/test_schema_matches_tables.py).
    """
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
            applied, head = _applied_revision(connection), newest_revision()
            if revision == "head" and applied is not None and applied == head:
                changed = []
            elif revision == "head" and head is not None and _empty(connection):
                _create(connection, head)
                changed = [f"pantau schema none -> {head}"]
            else:
                changed = _upgrade(connection, revision)
            if queue is not None:
                changed += _apply_queue_schema(connection, queue)
    except OperationalError as exc:
        raise StoreError(
            f"store: cannot open {engine.url.render_as_string(hide_password=True)}: {exc.orig}"
        ) from None
    except SQLAlchemyError as exc:
        raise StoreError(f"store: migration failed: {exc}") from None
    return changed


def _empty(connection: Connection) -> bool:
    """No table of pantau's yet, nor Alembic's record (the tables of a job queue may be there)."""
    from pantau.store.tables import METADATA

    return not {*METADATA.tables, _ALEMBIC_VERSION.name} & set(inspect(connection).get_table_names())


def _create(connection: Connection, head: str) -> None:
    from pantau.store.tables import METADATA

    METADATA.create_all(connection, checkfirst=False)
    _ALEMBIC_VERSION.create(connection)
    connection.execute(_ALEMBIC_VERSION.insert().values(version_num=head))


def _upgrade(connection: Connection, revision: str) -> list[str]:
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    cfg = _alembic()
    before = MigrationContext.configure(connection).get_current_revision()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)
    after = MigrationContext.configure(connection).get_current_revision()
    return [f"pantau schema {before or 'none'} -> {after}"] if before != after else []


def outdated(engine: Engine, queue: QueueSchema | None = None) -> str | None:
    """Why the schema is not up to date (one phrase), or None when it is. Changes nothing."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic()).get_current_head()
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
            if current != head:
                return f"pantau schema is {current or 'missing'}, this version needs {head}"
            if queue is not None:
                applied = _queue_version(connection, queue)
                if applied != queue.version:
                    return (
                        f"{queue.name} schema is {applied or 'missing'}, this version needs {queue.version}"
                    )
    except OperationalError as exc:
        raise StoreError(
            f"store: cannot open {engine.url.render_as_string(hide_password=True)}: {exc.orig}"
        ) from None
    return None


def _applied_revision(connection: Connection) -> str | None:
    """The revision recorded in alembic_version (read as Alembic reads it), None on a fresh database."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    return str(rows[0][0]) if len(rows) == 1 else None


@lru_cache(maxsize=1)
def newest_revision() -> str | None:
    """The head of the migration scripts, read from their `revision` / `down_revision` lines."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        found = re.search(r'^revision\b[^=]*=\s*"([^"]+)"', source, re.MULTILINE)
        if found:
            revisions.add(found.group(1))
        parents.update(re.findall(r'^down_revision\b[^=]*=\s*"([^"]+)"', source, re.MULTILINE))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None  # several heads: let Alembic decide


def _alembic() -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _queue_version(connection: Connection, queue: QueueSchema) -> str | None:
    found = connection.execute(
        text("SELECT version FROM queue_schema WHERE name = :name"), {"name": queue.name}
    ).first()
    return None if found is None else str(found[0])


def _apply_queue_schema(connection: Connection, queue: QueueSchema) -> list[str]:
    applied = _queue_version(connection, queue)
    if applied == queue.version:
        return []
    # Scripts run on the driver's own cursor, in this transaction: they hold many statements and
    # literal percent signs, which parameter binding would misread.
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    exists = connection.execute(text("SELECT to_regclass(:t)"), {"t": queue.marker}).scalar()
    if exists is None:
        cursor.execute(queue.create)
    elif applied is not None:  # created by hand before pantau recorded it: taken as current
        for version, script in queue.migrations:
            if version > applied:
                cursor.execute(script)
    cursor.close()
    upsert = (
        "INSERT INTO queue_schema (name, version) VALUES (:name, :version) "
        "ON CONFLICT (name) DO UPDATE SET version = excluded.version"
    )
    connection.execute(text(upsert), {"name": queue.name, "version": queue.version})
    return [f"{queue.name} schema {applied or 'none'} -> {queue.version}"]


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
