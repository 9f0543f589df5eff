"""Alembic environment: pantau passes its own connection in (see store/db.py)."""

from alembic import context

from pantau.store.tables import METADATA

connection = context.config.attributes.get("connection")
if connection is None:  # plain `alembic` command line use: build an engine from sqlalchemy.url
    from sqlalchemy import create_engine

    connection = create_engine(context.config.get_main_option("sqlalchemy.url") or "").connect()

context.configure(connection=connection, target_metadata=METADATA, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
