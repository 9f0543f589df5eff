"""The migrations and store/tables.py describe one schema.

A database brought up to date by the migration scripts is what the table definitions the queries are
written against say, column types, nullability, indexes, constraints and defaults included (Alembic's own
comparison). And a fresh database, which pantau creates from the table definitions instead of running every
migration, is the very schema the migrations build, down to column order, constraint and index names,
partial indexes, foreign-key actions and the recorded revision, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text
from support.pg import drop_database, fresh_database

from pantau.store import Store
from pantau.store.db import MIGRATIONS, make_engine, migrate, newest_revision
from pantau.store.tables import METADATA


def test_the_migrated_schema_is_the_one_the_tables_describe(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        assert compare_metadata(context, METADATA) == []


@pytest.fixture(params=["sqlite", "postgresql"])
def two_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'created.db'}", f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    pg_url: str = request.getfixturevalue("pg_url")
    urls = fresh_database(pg_url), fresh_database(pg_url)
    yield urls
    for url in urls:
        drop_database(pg_url, url)


def test_a_fresh_database_gets_the_schema_the_migrations_build(two_databases: tuple[str, str]) -> None:
    created_url, migrated_url = two_databases
    created = make_engine(created_url)
    head = newest_revision()
    assert migrate(created) == [f"pantau schema none -> {head}"]
    migrated = make_engine(migrated_url)
    with migrated.begin() as connection:  # every script from the first, as Alembic runs them
        command.upgrade(_alembic(connection), "head")
    with created.connect() as a, migrated.connect() as b:
        assert _schema(a) == _schema(b)
        assert MigrationContext.configure(a).get_current_revision() == head
    assert migrate(created) == []  # and it is taken as up to date
    created.dispose()
    migrated.dispose()


def test_a_store_created_fresh_can_still_be_upgraded_by_later_scripts(store_url: str) -> None:
    # Alembic's own bookkeeping table is what it expects: a downgrade and an upgrade run on it.
    engine = make_engine(store_url)
    migrate(engine)
    with engine.begin() as connection:
        command.downgrade(_alembic(connection), "-2")
        older = MigrationContext.configure(connection).get_current_revision()
    assert older is not None and older != newest_revision()
    assert migrate(engine) == [f"pantau schema {older} -> {newest_revision()}"]
    engine.dispose()


def _alembic(connection: Connection) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _schema(connection: Connection) -> dict[str, Any]:
    """Everything about the schema that a query or a later migration could notice."""
    if connection.dialect.name == "sqlite":
        return _sqlite_schema(connection)
    return _postgresql_schema(connection)


def _sqlite_schema(connection: Connection) -> dict[str, Any]:
    def rows(sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in connection.execute(text(sql))]

    schema: dict[str, Any] = {}
    for table, sql in rows("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name"):
        indexes = {}
        for _seq, name, unique, origin, partial in rows(f"PRAGMA index_list('{table}')"):
            columns = [row[2] for row in rows(f"PRAGMA index_info('{name}')")]
            where = None
            if partial:
                (index_sql,) = rows(f"SELECT sql FROM sqlite_master WHERE name = '{name}'")[0]
                where = " ".join(index_sql.split(" WHERE ", 1)[1].split())
            # Unnamed constraints get names from their position (sqlite_autoindex_t_N): keep the columns.
            key = name if not name.startswith("sqlite_autoindex_") else f"auto {columns}"
            indexes[key] = (unique, origin, columns, where)
        schema[table] = {
            "columns": rows(f"PRAGMA table_xinfo('{table}')"),
            "indexes": indexes,
            "foreign keys": sorted(row[2:] for row in rows(f"PRAGMA foreign_key_list('{table}')")),
            "without rowid": sql.rstrip().upper().endswith("WITHOUT ROWID"),
        }
    return schema


def _postgresql_schema(connection: Connection) -> dict[str, Any]:
    def rows(sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in connection.execute(text(sql))]

    return {
        "columns": rows(
            "SELECT table_name, ordinal_position, column_name, data_type, character_maximum_length,"
            " is_nullable, column_default FROM information_schema.columns"
            " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        ),
        "constraints": rows(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c"
            " JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = current_schema()"
            " ORDER BY 1, 2"
        ),
        "indexes": rows(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            " ORDER BY 1, 2"
        ),
        "sequences": rows(
            "SELECT sequence_name, data_type, start_value, increment FROM information_schema.sequences"
            " WHERE sequence_schema = current_schema() ORDER BY 1"
        ),
    }
