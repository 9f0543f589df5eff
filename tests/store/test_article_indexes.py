"""Every new article is written into each of article's indexes, so it has none that another covers:
ix_article_source (source) went, as ix_article_source_fetched (source, fetched_at) leads with the same
column. Stores made before lose it on upgrade, and reads by source still go through an index."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import inspect

from pantau.store import Store
from pantau.store.db import MIGRATIONS, make_engine, migrate, newest_revision


def _article_indexes(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {index["name"] or "" for index in inspect(engine).get_indexes("article")}
    finally:
        engine.dispose()


def test_an_upgraded_store_drops_the_source_index_the_wider_one_covers(store_url: str) -> None:
    engine = make_engine(store_url)
    migrate(engine)
    with engine.begin() as connection:  # as a store last upgraded by the previous release left it
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0008")
    engine.dispose()
    assert "ix_article_source" in _article_indexes(store_url)

    engine = make_engine(store_url)
    assert migrate(engine) == [f"pantau schema 0008 -> {newest_revision()}"]
    engine.dispose()
    indexes = _article_indexes(store_url)
    assert "ix_article_source" not in indexes
    assert "ix_article_source_fetched" in indexes


def test_a_source_s_articles_are_still_read_through_an_index(tmp_path: Path) -> None:
    # SQLite's plan is its own choice whatever the table holds; PostgreSQL's depends on its statistics.
    url = f"sqlite:///{tmp_path / 'pantau.db'}"
    with Store.open(url) as store, store.engine.connect() as conn:
        plan = " ".join(
            str(row[-1])
            for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT id FROM article WHERE source = 'kyodo'"
            )
        )
    assert "USING COVERING INDEX ix_article_source_fetched" in plan, plan
