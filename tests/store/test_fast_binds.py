"""The fast path's binds, worked out once per statement, are exactly what SQLAlchemy would send the driver
(`construct_params` and the bind processors, as its execution context applies them), on SQLite's
positional and PostgreSQL's named parameters; aware datetimes become naive UTC and naive ones are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.sql import ClauseElement

from pantau.store.fast import _Compiled
from pantau.store.tables import UTCDateTime

ENGINES = {
    "sqlite": create_engine("sqlite://"),
    "postgresql": create_engine("postgresql+psycopg://nobody@127.0.0.1/none"),  # never connected
}
DIALECTS = {"sqlite": sqlite, "postgresql": postgresql}

JOB = Table(
    "job",
    MetaData(),
    Column("id", Integer(), primary_key=True),
    Column("source", String(), nullable=False),
    Column("state", String(), nullable=False),
    Column("tries", Integer(), nullable=False),
    Column("due at", UTCDateTime(), nullable=False),  # a name the driver gets escaped (`due_at`)
    Column("note", String(), nullable=True),
)


def statements(dialect: str) -> dict[str, tuple[ClauseElement, list[str]]]:
    """Representative statements with the names their values come under."""
    insert = DIALECTS[dialect].insert  # type: ignore[attr-defined]
    c = JOB.c
    return {
        "insert": (
            insert(JOB).values(state="pending").on_conflict_do_nothing(index_elements=["id"]),
            ["id", "source", "tries", "due at", "note"],
        ),
        "select": (
            select(c.id, c.note)
            .where(c.source == bindparam("source"), c["due at"] <= bindparam("now"), c.state == "pending")
            .where((c.tries < 5) | (c["due at"] > bindparam("now")))
            .limit(bindparam("limit")),
            ["source", "now", "limit"],
        ),
        "update": (
            update(JOB)
            .where(c.id == bindparam("job"))
            .values(
                {
                    "state": "done",
                    "tries": c.tries + 1,
                    "note": bindparam("why"),
                    c["due at"]: bindparam("at"),
                }
            ),
            ["job", "why", "at"],
        ),
    }


def expected(compiled: Any, values: dict[str, Any]) -> Any:
    """What SQLAlchemy's execution context hands the driver for these values."""
    params = compiled.construct_params(values, escape_names=False)
    processors = compiled._bind_processors

    def process(name: str) -> Any:
        return processors[name](params[name]) if name in processors else params[name]

    if compiled.positional:
        return tuple(process(name) for name in compiled.positiontup)
    return {compiled.escaped_bind_names.get(name, name): process(name) for name in params}


def both(dialect: str, name: str, values: dict[str, Any]) -> tuple[Any, Any]:
    stmt, keys = statements(dialect)[name]
    engine: Engine = ENGINES[dialect]
    fast = _Compiled(stmt, engine, keys)
    assert fast.sql == str(stmt.compile(dialect=engine.dialect, column_keys=keys))
    return fast.binds(values), expected(stmt.compile(dialect=engine.dialect, column_keys=keys), values)


zones = st.sampled_from([UTC, timezone(timedelta(hours=7)), timezone(timedelta(hours=-3, minutes=-30))])
aware = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=zones)
words = st.text(max_size=20)
small = st.integers(min_value=-(2**31), max_value=2**31 - 1)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
@given(job=small, source=words, tries=small, due=aware, note=st.none() | words)
def test_insert_binds_are_sqlalchemys(
    dialect: str, job: int, source: str, tries: int, due: datetime, note: str | None
) -> None:
    values = {"id": job, "source": source, "tries": tries, "due at": due, "note": note}
    got, want = both(dialect, "insert", values)
    assert got == want
    sent = list(got) if dialect == "sqlite" else list(got.values())
    assert "pending" in sent  # the statement's own value
    utc = due.astimezone(UTC).replace(tzinfo=None)  # SQLite's DateTime then sends it as text
    assert (utc.isoformat(" ", "microseconds") if dialect == "sqlite" else utc) in sent


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
@given(source=words, now=aware, limit=small)
def test_select_binds_are_sqlalchemys(dialect: str, source: str, now: datetime, limit: int) -> None:
    got, want = both(dialect, "select", {"source": source, "now": now, "limit": limit})
    assert got == want


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
@given(job=small, why=st.none() | words, at=aware)
def test_update_binds_are_sqlalchemys(dialect: str, job: int, why: str | None, at: datetime) -> None:
    got, want = both(dialect, "update", {"job": job, "why": why, "at": at})
    assert got == want


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_values_under_other_names_are_looked_up_as_sqlalchemy_does(dialect: str) -> None:
    # Compiled for some names, given others (an executemany's later rows): a value under a bind's name
    # replaces the statement's own ("state"), a missing optional one falls back to it.
    stmt, keys = statements(dialect)["update"]
    fast = _Compiled(stmt, ENGINES[dialect], keys)
    compiled = stmt.compile(dialect=ENGINES[dialect].dialect, column_keys=keys)
    at = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    for values in ({"job": 1, "why": "x", "at": at, "state": "held"}, {"job": 1, "at": at, "why": None}):
        assert fast.binds(values) == expected(compiled, values)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_a_missing_value_is_refused_as_sqlalchemy_refuses_it(dialect: str) -> None:
    stmt, keys = statements(dialect)["select"]
    fast = _Compiled(stmt, ENGINES[dialect], keys)
    compiled = stmt.compile(dialect=ENGINES[dialect].dialect, column_keys=keys)
    values = {"source": "wire", "limit": 3}
    with pytest.raises(InvalidRequestError) as sqlalchemys:
        compiled.construct_params(values)
    with pytest.raises(InvalidRequestError) as ours:
        fast.binds(values)
    assert str(ours.value) == str(sqlalchemys.value)
    assert "'now'" in str(ours.value)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_a_naive_datetime_is_still_refused(dialect: str) -> None:
    stmt, keys = statements(dialect)["update"]
    fast = _Compiled(stmt, ENGINES[dialect], keys)
    with pytest.raises(ValueError, match="naive datetime"):
        fast.binds({"job": 1, "why": None, "at": datetime(2026, 11, 30, 12, 0)})


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_what_it_cannot_bind_is_refused_when_compiled(dialect: str) -> None:
    expanding = select(JOB.c.id).where(JOB.c.id.in_(bindparam("ids", expanding=True)))
    with pytest.raises(ValueError, match="expanding"):
        _Compiled(expanding, ENGINES[dialect], ["ids"])
    literal = select(JOB.c.id).where(JOB.c.id == bindparam("id", literal_execute=True))
    with pytest.raises(ValueError, match="literal_execute"):
        _Compiled(literal, ENGINES[dialect], ["id"])


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
@settings(deadline=None)  # compiling statements in each example takes a while on a loaded machine
@given(moments=st.lists(st.sampled_from(range(3)) | aware, min_size=1, max_size=8))
def test_processors_shared_between_statements_bind_what_sqlalchemy_would(
    dialect: str, moments: list[int | datetime]
) -> None:
    # Two statements share their datetime processor's memo (`shared`), as the store's fast path does; the
    # same moment object bound again (an int here picks one of three objects), or another one in between,
    # is bound as SQLAlchemy would bind it.
    objects = [datetime(2026, 11, 30, 12, i, tzinfo=timezone(timedelta(hours=i))) for i in range(3)]
    shared: dict[Any, Any] = {}
    engine = ENGINES[dialect]
    (insert, insert_keys), (upd, update_keys) = statements(dialect)["insert"], statements(dialect)["update"]
    fast = {
        "insert": _Compiled(insert, engine, insert_keys, shared),
        "update": _Compiled(upd, engine, update_keys, shared),
    }
    assert shared  # the two statements' datetime processors are one
    for n, moment in enumerate(moments):
        at = objects[moment] if isinstance(moment, int) else moment
        for name, values in (
            ("insert", {"id": n, "source": "wire", "tries": 0, "due at": at, "note": None}),
            ("update", {"job": n, "why": None, "at": at}),
        ):
            stmt, keys = statements(dialect)[name]
            assert fast[name].binds(values) == expected(
                stmt.compile(dialect=engine.dialect, column_keys=keys), values
            )


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_rows_as_tuples_bind_as_the_same_rows_as_dicts(dialect: str) -> None:
    # executemany_rows hands SQLite's driver the tuples as they are only when they are exactly the binds
    plain = DIALECTS[dialect].insert(JOB)  # type: ignore[attr-defined]
    keys = ["id", "source", "state", "tries", "note"]
    fast = _Compiled(plain, ENGINES[dialect], keys)
    assert fast.takes_as_is(keys) == (dialect == "sqlite")
    assert not fast.takes_as_is(list(reversed(keys)))
    with_time = _Compiled(plain, ENGINES[dialect], [*keys, "due at"])
    assert not with_time.takes_as_is([*keys, "due at"])  # the datetime is processed
