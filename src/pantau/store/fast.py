"""The pipeline's hot path to the database: Core statements compiled once, run on one DBAPI connection.

Every article costs a duplicate check, a story lookup and a write of up to a dozen rows. Through
SQLAlchemy's Connection each statement cost ~0.05 ms and each transaction ~0.16 ms of Python on top of the
database's own work, more than extracting the article; on the driver's cursor they cost ~0.013 and
~0.03 ms (benchmarks/pipeline.py). The SQL is still written once, as Core, and compiled here for the
engine's dialect, so SQLite and PostgreSQL run the same statements, with the same bind processing
(aware datetimes become naive UTC) that SQLAlchemy would apply.

`FastPath.transaction(write=...)` is the only way in: BEGIN IMMEDIATE for writers on SQLite (as
store.db does for the rest of the store), a plain deferred BEGIN for readers. Driver errors leave as
SQLAlchemy's DBAPIError, as they would from a Connection, and a connection that failed is dropped, so
a restarted PostgreSQL costs one failed poll, not every poll after it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement

PING_AFTER = 1.0  # seconds idle before the held PostgreSQL connection is checked


class _Compiled:
    """One statement for one set of parameter names: its SQL text and how to turn values into binds."""

    def __init__(self, stmt: ClauseElement, engine: Engine, keys: Sequence[str]) -> None:
        compiled: Any = stmt.compile(dialect=engine.dialect, column_keys=list(keys))
        if compiled.insert_prefetch or compiled.update_prefetch:
            # Python-side column defaults are computed by SQLAlchemy's execution context, skipped here
            raise ValueError(f"give every column a value on the fast path: {compiled.insert_prefetch}")
        self.sql = str(compiled)
        self._compiled = compiled
        self._order: tuple[str, ...] | None = tuple(compiled.positiontup) if compiled.positional else None
        self._processors: dict[str, Any] = dict(compiled._bind_processors)

    def binds(self, values: Mapping[str, Any]) -> Any:
        params = self._compiled.construct_params(values)
        for name, process in self._processors.items():
            if name in params:
                params[name] = process(params[name])
        if self._order is None:
            return params
        return tuple(params[name] for name in self._order)


class FastCursor:
    """Runs statements inside one `FastPath.transaction`."""

    def __init__(self, path: FastPath, cursor: Any) -> None:
        self._path = path
        self._cursor = cursor

    def execute(self, stmt: ClauseElement, values: Mapping[str, Any]) -> Any:
        compiled = self._path.compiled(stmt, values)
        self._cursor.execute(compiled.sql, compiled.binds(values))
        return self._cursor

    def executemany(self, stmt: ClauseElement, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            compiled = self._path.compiled(stmt, rows[0])
            self._cursor.executemany(compiled.sql, [compiled.binds(row) for row in rows])

    def scalar(self, stmt: ClauseElement, values: Mapping[str, Any]) -> Any:
        row = self.execute(stmt, values).fetchone()
        return None if row is None else row[0]

    def all(self, stmt: ClauseElement, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.execute(stmt, values).fetchall()]


class FastPath:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._connection: Any = None  # the pool's wrapper; it goes back to the pool on close()
        self._last_used = 0.0
        self._statements: dict[tuple[ClauseElement, tuple[str, ...]], _Compiled] = {}

    def compiled(self, stmt: ClauseElement, values: Mapping[str, Any]) -> _Compiled:
        key = (stmt, tuple(values))
        found = self._statements.get(key)
        if found is None:
            found = self._statements[key] = _Compiled(stmt, self._engine, key[1])
        return found

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[FastCursor]:
        dbapi = self._checkout()
        cursor = dbapi.cursor()
        error = self._engine.dialect.loaded_dbapi.Error
        try:
            if self._sqlite:
                cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield FastCursor(self, cursor)
            dbapi.commit()
        except error as exc:
            disconnected = self._engine.dialect.is_disconnect(exc, dbapi, cursor)
            self._end(dbapi, cursor, drop=disconnected)
            raise DBAPIError.instance(None, None, exc, error, connection_invalidated=disconnected) from exc
        except BaseException:
            self._end(dbapi, cursor, drop=False)
            raise
        else:
            cursor.close()
        finally:
            self._last_used = time.monotonic()

    def _end(self, dbapi: Any, cursor: Any, *, drop: bool) -> None:
        """After a failure: roll back, and give up the connection if it is gone or cannot roll back."""
        error = self._engine.dialect.loaded_dbapi.Error
        try:
            cursor.close()
            dbapi.rollback()
        except error:
            drop = True
        if drop:
            self._drop()

    def _checkout(self) -> Any:
        """The held connection; after a pause, pinged first (as the pool's pre_ping does for the rest of
        the store), so a server restarted while pantau slept costs nothing."""
        if (
            self._connection is not None
            and not self._sqlite
            and time.monotonic() - self._last_used > PING_AFTER
        ):
            dbapi = self._connection.driver_connection
            try:
                with dbapi.cursor() as cursor:
                    cursor.execute("SELECT 1")
                dbapi.rollback()
            except self._engine.dialect.loaded_dbapi.Error:
                self._drop()
        if self._connection is None:
            error = self._engine.dialect.loaded_dbapi.Error
            try:
                self._connection = self._engine.raw_connection()
            except error as exc:  # the pool raises the driver's own error: as a Connection would, wrap it
                raise DBAPIError.instance(None, None, exc, error, connection_invalidated=True) from exc
        return self._connection.driver_connection

    def _drop(self) -> None:
        self._connection.invalidate()
        self._connection = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
