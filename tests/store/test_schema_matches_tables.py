"""The migrations and store/tables.py describe one schema: a database brought up to date by the migration
scripts is what the table definitions the queries are written against say, column types, nullability,
indexes, constraints and defaults included (Alembic's own comparison, on SQLite and PostgreSQL)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from pantau.store import Store
from pantau.store.tables import METADATA


def test_the_migrated_schema_is_the_one_the_tables_describe(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        assert compare_metadata(context, METADATA) == []
