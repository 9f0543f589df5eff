"""Fresh PostgreSQL databases for tests: empty, or copied from a template (much faster than building a
schema: CREATE DATABASE … TEMPLATE copies files)."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, make_url, text


def fresh_database(pg_url: str, template: str | None = None) -> str:
    """A new database on the server of `pg_url` (optionally a copy of the database `template`); its URL."""
    name = "pantau_t_" + uuid.uuid4().hex[:12]
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else "")))
    admin.dispose()
    return make_url(pg_url).set(database=name).render_as_string(hide_password=False)


def drop_database(pg_url: str, url: str) -> None:
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {make_url(url).database} WITH (FORCE)"))
    admin.dispose()
