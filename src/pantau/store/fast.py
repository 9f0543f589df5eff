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

import time as clock
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InvalidRequestError, StatementError
from sqlalchemy.sql import ClauseElement, ColumnElement, Insert
from sqlalchemy.types import TypeDecorator

PING_AFTER = 1.0  # seconds idle before the held PostgreSQL connection is checked


class _Bind(NamedTuple):
    """Where one bind's value comes from, looked up as SQLAlchemy's `construct_params` does on every
    execute: the value under the parameter's key, else under its bind name, else (unless required) the
    statement's own value or callable; then its bind processor (UTCDateTime: aware -> naive UTC)."""

    key: str
    name: str
    required: bool
    value: Any
    call: Callable[[], Any] | None
    process: Callable[[Any], Any] | None


class _Last:
    """A bind processor that remembers the last value it was given and what it made of it, shared by
    the columns of one type. The hot path binds one moment (the article's fetch time) to a column of each
    of several rows, and turning a datetime into SQLite's text is the dearest part of binding it.
    Processors are pure functions of the value; values are compared by identity, so only the very same
    object is taken from the memo."""

    __slots__ = ("_process", "_result", "_value")

    def __init__(self, process: Callable[[Any], Any]) -> None:
        self._process = process
        self._value: Any = _Last  # nothing bound yet (no bound value is this class)
        self._result: Any = None

    def __call__(self, value: Any) -> Any:
        if value is not self._value:
            self._result = self._process(value)
            self._value = value
        return self._result


_IMMUTABLE = frozenset([datetime, date, time, bool, int, float, str, bytes, Decimal])


def _shared(shared: dict[Any, _Last], type_: Any, process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The memo for processors of this type (the type's cache key: its class and arguments), for types
    of immutable values only: a list or dict bound twice may have changed in between."""
    try:
        values = type_.impl_instance if isinstance(type_, TypeDecorator) else type_  # its Python values
        if values.python_type not in _IMMUTABLE:
            return process
        return shared.setdefault(type_._static_cache_key, _Last(process))
    except (AttributeError, NotImplementedError, TypeError):  # no python_type, or no hashable cache key
        return process


class _Compiled:
    """One statement for one set of parameter names: its SQL text and how to turn values into binds.

    `binds` used to run SQLAlchemy's `construct_params` and then the bind processors on every execute,
    walking every bind parameter of the statement each time. Where each value comes from is worked out
    here once instead. For values with exactly the names it was compiled for (every execute, and an
    executemany's rows) SQLite's tuple is picked by key in one `itemgetter` call and PostgreSQL's dict is
    a copy of the values (or built name by name when binds are named other than their keys), the
    statement's own values filled in and the processors applied; any other set of names takes the
    general lookup, bind by bind, which gives what `construct_params` would. What is not handled is
    refused at compile time, not bound wrongly."""

    def __init__(
        self, stmt: ClauseElement, engine: Engine, keys: Sequence[str], shared: dict[Any, _Last] | None = None
    ) -> None:
        compiled: Any = stmt.compile(dialect=engine.dialect, column_keys=list(keys))
        if compiled.insert_prefetch or compiled.update_prefetch:
            # Python-side column defaults are computed by SQLAlchemy's execution context, skipped here
            raise ValueError(f"give every column a value on the fast path: {compiled.insert_prefetch}")
        if compiled.literal_execute_params or compiled.post_compile_params:
            # expanding IN and literal_execute parameters change the SQL text per execute
            raise ValueError(f"no expanding or literal_execute parameters on the fast path: {stmt}")
        if getattr(compiled, "_collected_params", None):  # Statement.params(...), SQLAlchemy 2.1
            raise ValueError(f"no values set with .params() on the fast path: {stmt}")
        self.sql = str(compiled)
        processors: Mapping[str, Any] = compiled._bind_processors
        binds = []
        for param, name in compiled.bind_names.items():
            process = processors.get(name)
            if process is not None and not callable(process):  # a tuple type's processors
                raise ValueError(f"no tuple-typed parameters on the fast path: {stmt}")
            if process is not None and shared is not None:
                process = _shared(shared, param.type, process)
            call = param.callable
            binds.append(_Bind(param.key, name, param.required, param.value, call, process))
        self._binds = tuple(binds)
        # What the driver gets: a tuple in the SQL's order of names (qmark), or a dict by (escaped) name.
        self._order: tuple[str, ...] | None = tuple(compiled.positiontup) if compiled.positional else None
        escaped: Mapping[str, str] = compiled.escaped_bind_names
        named = {bind.name: escaped.get(bind.name, bind.name) for bind in binds}
        self._named = tuple(named.items())
        self._keys = frozenset(keys)
        self._plan(keys)

    def _plan(self, keys: Sequence[str]) -> None:
        """The fast way for values named exactly `keys`, slot by slot of what the driver gets: read under
        a key, or the statement's own value; then processed."""
        by_name = {bind.name: bind for bind in self._binds}  # as construct_params: the last one wins
        slots = self._order if self._order is not None else tuple(by_name)
        escaped = dict(self._named)
        self._fast = False
        fetched: list[str] = []  # the key each value-given slot is read from, in slot order
        picked: list[tuple[str, str]] = []  # named: (escaped name, key)
        self._fill: list[tuple[int, Any]] = []  # positional: (slot, the statement's own value)
        self._consts: dict[str, Any] = {}  # named: the statement's own values
        self._process: list[tuple[int, Callable[[Any], Any]]] = []
        self._named_process: list[tuple[str, Callable[[Any], Any]]] = []
        for slot, name in enumerate(slots):
            bind = by_name[name]
            key = bind.key if bind.key in keys else bind.name if bind.name in keys else None
            if key is not None:
                fetched.append(key)
                picked.append((escaped[name], key))
            elif bind.required or bind.call is not None:
                return  # left to the general lookup: it raises, or calls the callable once per name
            else:
                self._fill.append((slot, bind.value))
                self._consts[escaped[name]] = bind.value
            if bind.process is not None:
                self._process.append((slot, bind.process))
                self._named_process.append((escaped[name], bind.process))
        if len(fetched) == 1:
            only = fetched[0]
            self._get: Callable[[Mapping[str, Any]], tuple[Any, ...]] = lambda values: (values[only],)
        else:
            self._get = itemgetter(*fetched) if fetched else lambda values: ()
        self._plain = not self._fill and not self._process
        self._picked = tuple(picked)
        self._fetched = tuple(fetched) if self._order is not None else None
        # named, and every value goes under its own key: a copy of the values is the binds
        self._copy = sorted(picked) == sorted((key, key) for key in keys)
        self._fast = True

    def takes_as_is(self, names: Sequence[str]) -> bool:
        """Whether a tuple of the values of `names`, in that order, is what the driver gets."""
        return self._fast and self._plain and self._fetched == tuple(names)

    def binds(self, values: Mapping[str, Any]) -> Any:
        if not self._fast or values.keys() != self._keys:
            return self._construct(values)
        if self._order is None:
            named: dict[str, Any]
            if self._copy:
                named = {**values, **self._consts} if self._consts else dict(values)
            else:
                named = self._consts.copy()
                for name, key in self._picked:
                    named[name] = values[key]
            for name, process in self._named_process:
                named[name] = process(named[name])
            return named
        got = self._get(values)
        if self._plain:
            return got
        slots = list(got)
        for slot, value in self._fill:
            slots.insert(slot, value)
        for slot, process in self._process:
            slots[slot] = process(slots[slot])
        return tuple(slots)

    def _construct(self, values: Mapping[str, Any]) -> Any:
        """Bind by bind, as construct_params and SQLAlchemy's execution context would."""
        got: dict[str, Any] = {}
        for bind in self._binds:
            if bind.key in values:
                value = values[bind.key]
            elif bind.name in values:
                value = values[bind.name]
            elif bind.required:
                raise InvalidRequestError(f"A value is required for bind parameter {bind.key!r}", code="cd3x")
            elif bind.call is not None:
                value = bind.call()
            else:
                value = bind.value
            got[bind.name] = value if bind.process is None else bind.process(value)
        if self._order is not None:
            return tuple(got[name] for name in self._order)
        return {escaped: got[name] for name, escaped in self._named}


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

    def executemany_rows(
        self, stmt: ClauseElement, names: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        """executemany with each row a tuple of the values of `names`, in that order. When the statement
        binds just those, in that order and unprocessed (SQLite's qmark), the rows go to the driver as
        they are; otherwise each becomes the values executemany would take."""
        if not rows:
            return
        compiled = self._path.compiled(stmt, dict.fromkeys(names))
        if compiled.takes_as_is(names):
            self._cursor.executemany(compiled.sql, rows)
        else:
            self._cursor.executemany(
                compiled.sql, [compiled.binds(dict(zip(names, row, strict=True))) for row in rows]
            )

    def insert_id(self, stmt: Insert, values: Mapping[str, Any]) -> int | None:
        """Run an INSERT into a table keyed by an integer `id` (ON CONFLICT DO NOTHING allowed): the new
        row's id, or None when nothing was inserted. SQLite reads the id off the cursor (`lastrowid`), as
        RETURNING took ~4 us more per statement there; PostgreSQL runs the statement RETURNING the id."""
        if self._path.sqlite:
            cursor = self.execute(stmt, values)
            return cursor.lastrowid if cursor.rowcount == 1 else None
        row = self.execute(self._path.returning_id(stmt), values).fetchone()
        return None if row is None else row[0]

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
        self._processors: dict[Any, _Last] = {}  # bind processors by type (see _Last)
        self._returning: dict[Insert, Insert] = {}

    @property
    def sqlite(self) -> bool:
        return self._sqlite

    def returning_id(self, stmt: Insert) -> Insert:
        """`stmt` RETURNING its table's id, built once per statement."""
        found = self._returning.get(stmt)
        if found is None:
            table: Any = stmt.table
            found = self._returning[stmt] = stmt.returning(table.c.id)
        return found

    def compiled(self, stmt: ClauseElement, values: Mapping[str, Any]) -> _Compiled:
        key = (stmt, tuple(values))
        found = self._statements.get(key)
        if found is None:
            found = self._statements[key] = _Compiled(stmt, self._engine, key[1], self._processors)
        return found

    @contextmanager
    def transaction(self, *, write: bool, one_statement: bool = False) -> Iterator[FastCursor]:
        """`one_statement`: the block runs a single statement, which then runs in the driver's autocommit
        mode, as a transaction by itself, without a BEGIN and a COMMIT around it (on PostgreSQL one round
        trip instead of three). On SQLite it takes the write lock as BEGIN IMMEDIATE would, waiting for
        it as long as the busy timeout says."""
        dbapi = self._checkout()
        cursor = dbapi.cursor()
        error = self._engine.dialect.loaded_dbapi.Error
        alone = one_statement and not self._sqlite  # SQLite's connections are in autocommit mode already
        try:
            if alone:
                dbapi.autocommit = True
            elif self._sqlite and not one_statement:
                cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield FastCursor(self, cursor)
            dbapi.commit()
        except error as exc:
            raise self._failed(exc, dbapi, cursor) from exc
        except BaseException:
            self._end(dbapi, cursor, drop=False)
            raise
        else:
            cursor.close()
        finally:
            if alone:
                self._transactions_again(dbapi)
            self._last_used = clock.monotonic()

    def _transactions_again(self, dbapi: Any) -> None:
        """Out of autocommit mode after a one-statement transaction; a connection that cannot leave it is
        given up, so that no later transaction commits statement by statement."""
        if self._connection is None or self._connection.driver_connection is not dbapi:
            return  # given up already
        try:
            dbapi.autocommit = False
        except self._engine.dialect.loaded_dbapi.Error:
            self._drop()

    def reader(self, column: ColumnElement[Any]) -> Callable[[Any], Any]:
        """What SQLAlchemy makes of a value of `column` as the driver returns it: results on the fast path
        are left as they come (a datetime is text on SQLite)."""
        dialect = self._engine.dialect
        process: Callable[[Any], Any] | None = column.type.dialect_impl(dialect).result_processor(
            dialect, None
        )
        return process or _as_is

    def _failed(self, exc: Any, dbapi: Any, cursor: Any) -> StatementError:
        """After a driver error: the connection rolled back (or given up), and the error to raise."""
        disconnected = self._engine.dialect.is_disconnect(exc, dbapi, cursor)
        self._end(dbapi, cursor, drop=disconnected)
        error = self._engine.dialect.loaded_dbapi.Error
        failure: StatementError = DBAPIError.instance(
            None, None, exc, error, connection_invalidated=disconnected
        )
        return failure

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
            and clock.monotonic() - self._last_used > PING_AFTER
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


def _as_is(value: Any) -> Any:
    return value
