"""Links that failed are offered again on every poll (Store.unfinished_links). Done links pile up for as long
as pantau runs, so that read goes through a partial index of the unfinished ones only, not through every
link the source ever had (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, text

from pantau.store import Store
from pantau.store.tables import SEEN_LINK

T0 = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def test_failed_links_come_back_oldest_first_through_their_own_index(store: Store) -> None:
    done = [
        {
            "source": "kyodo",
            "url": f"https://kyodo.test/{n}",
            "first_seen_at": T0,
            "done": True,
            "attempts": 1,
        }
        for n in range(5000)
    ]
    with store.engine.begin() as conn:
        conn.execute(insert(SEEN_LINK), done)
    for n, url in enumerate(
        ["https://kyodo.test/late", "https://kyodo.test/early", "https://kyodo.test/gone"]
    ):
        store.mark_link("kyodo", url, T0 + timedelta(minutes=10 - n), done=False, error="fetch: HTTP 503")
    for _ in range(2):  # tried three times in all: given up on
        store.mark_link("kyodo", "https://kyodo.test/gone", T0, done=False, error="fetch: HTTP 503")
    store.mark_link("warta", "https://warta.test/1", T0, done=False, error="fetch: HTTP 503")

    assert store.unfinished_links("kyodo", 3) == ["https://kyodo.test/early", "https://kyodo.test/late"]

    statement = store._unfinished.params(source="kyodo", max=3)  # the statement the store runs
    sql = str(statement.compile(store.engine, compile_kwargs={"literal_binds": True}))
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE seen_link"))  # as autovacuum would have, with this many rows
            plan = " ".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + sql))
        else:
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    assert "ix_seen_link_unfinished" in plan, plan
