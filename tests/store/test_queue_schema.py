"""A job queue's schema kept in pantau's database (cluster mode): created once, upgraded by version, and
reported as out of date until it is."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from pantau.store.db import MIGRATIONS, QueueSchema, make_engine, migrate, outdated

V1 = QueueSchema(
    "queue", "q_jobs", "CREATE TABLE q_jobs (id int); COMMENT ON TABLE q_jobs IS '100%';", [("01", "")]
)
V2 = QueueSchema(
    "queue",
    "q_jobs",
    "CREATE TABLE q_jobs (id int, lock text);",
    [("01", ""), ("02", "ALTER TABLE q_jobs ADD lock text;")],
)


def _columns(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT column_name FROM information_schema.columns WHERE table_name = 'q_jobs'")
        )
        found = sorted(r[0] for r in rows)
    engine.dispose()
    return found


def test_queue_schema_is_created_then_upgraded_and_reported_until_then(pg_database: str) -> None:
    engine = make_engine(pg_database)
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert outdated(engine) == f"pantau schema is missing, this version needs {head}"
    assert migrate(engine, queue=V1) == [f"pantau schema none -> {head}", "queue schema none -> 01"]
    assert outdated(engine, V1) is None
    assert migrate(engine, queue=V1) == []
    assert outdated(engine, V2) == "queue schema is 01, this version needs 02"
    assert migrate(engine, queue=V2) == ["queue schema 01 -> 02"]
    assert outdated(engine, V2) is None
    engine.dispose()
    assert _columns(pg_database) == ["id", "lock"]
