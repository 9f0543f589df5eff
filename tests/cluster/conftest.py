"""Cluster tests: a fresh PostgreSQL database per test, copied from a template that already holds pantau's
and procrastinate's schemas, and real `pantau run` processes started and stopped by the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url
from support.instances import Instances
from support.pg import drop_database, fresh_database

from pantau.service.cluster import queue_schema
from pantau.store.db import make_engine, migrate


@pytest.fixture(scope="session")
def cluster_template(pg_url: str) -> Iterator[str]:
    url = fresh_database(pg_url)
    engine = make_engine(url)
    migrate(engine, queue=queue_schema())
    engine.dispose()
    yield str(make_url(url).database)
    drop_database(pg_url, url)


@pytest.fixture
def cluster_db(pg_url: str, cluster_template: str) -> Iterator[str]:
    url = fresh_database(pg_url, template=cluster_template)
    yield url
    drop_database(pg_url, url)


@pytest.fixture
def instances(tmp_path: Path) -> Iterator[Instances]:
    started = Instances(tmp_path)
    yield started
    started.kill_all()
