"""Fixtures shared by every test folder: stores on SQLite and on the real PostgreSQL, the demo outlets on a
local server, and real webhook and SMTP receivers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from support.pg import drop_database, fresh_database
from support.site import ScriptedSite
from support.smtp import SmtpSink
from support.webhook import WebhookSink

from pantau.demo.server import DEMO_SITE
from pantau.store import Store

PG_URL = os.environ.get("PANTAU_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_available() -> bool:
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_url() -> str:
    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_URL} (CI must have it)")
        pytest.skip(f"PostgreSQL is not reachable at {PG_URL}")
    return PG_URL


@pytest.fixture
def pg_store_url(pg_url: str) -> Iterator[str]:
    """A PostgreSQL URL whose tables live in a fresh schema, dropped afterwards."""
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{pg_url}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def pg_database(pg_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database of its own (not a schema: job-queue tables and advisory locks
    are database-wide), dropped afterwards."""
    url = fresh_database(pg_url)
    yield url
    drop_database(pg_url, url)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pantau.db'}"
    url: str = request.getfixturevalue("pg_store_url")
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    yield opened
    opened.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[ScriptedSite]:
    """A private copy of the demo outlets, served on 127.0.0.1: tests may publish and break pages."""
    server = ScriptedSite.copy_of(DEMO_SITE, tmp_path / "site")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def hook() -> Iterator[WebhookSink]:
    with WebhookSink() as sink:
        yield sink


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink
