"""The dispatcher and the sweep of cluster mode on procrastinate's in-memory connector (no PostgreSQL needed:
the store is SQLite here; the real cluster is tested in test_cluster_run.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from procrastinate.testing import InMemoryConnector

from pantau.config import config_from_text
from pantau.service.cluster import POLL_TASK, Cluster
from pantau.store import Store

CONFIG = """\
database: sqlite:///{db}
workers: 0
defaults: {{every: 5s}}
channels: {{terminal: "stdout://"}}
sources:
  - {{name: a, url: "http://127.0.0.1:9/a"}}
  - {{name: b, url: "http://127.0.0.1:9/b", every: 1m}}
rules:
  - {{name: nato, match: NATO, notify: terminal}}
"""
T0 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)


class Connector(InMemoryConnector):
    """The in-memory connector, quiet about SQL of pantau's own that it cannot run (leftover cleanup)."""

    async def execute_query_async(self, query: str, **arguments: Any) -> None:
        if query in self.reverse_queries:
            await super().execute_query_async(query, **arguments)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[Cluster, Connector, Clock]]:
    config_file = tmp_path / "config.yaml"
    config_file.write_text(CONFIG.format(db=tmp_path / "p.db"))
    config = config_from_text(config_file.read_text(), config_file)
    clock = Clock()
    connector = Connector()
    with Store.open(config.database) as store:
        node = Cluster(config, store, clock, config_file, connector=connector)
        node.publish()
        yield node, connector, clock
        node.analyser.close()


def polls(connector: Connector) -> list[tuple[str, str | None, str | None, str]]:
    return sorted(
        (j["args"]["source"], j["lock"], j["queueing_lock"], j["status"])
        for j in connector.jobs.values()
        if j["task_name"] == POLL_TASK
    )


def test_dispatch_defers_one_poll_per_due_source_with_its_locks(
    cluster: tuple[Cluster, Connector, Clock],
) -> None:
    async def go() -> None:
        node, connector, clock = cluster
        async with node.app.open_async():
            assert await node.dispatch() == 2
            assert polls(connector) == [("a", "poll:a", "poll:a", "todo"), ("b", "poll:b", "poll:b", "todo")]
            assert await node.dispatch() == 0  # nothing is due again yet
            clock.now = T0 + dt.timedelta(seconds=5)
            # `a` is due again, but its first poll still waits: the queueing lock keeps it to one
            assert await node.dispatch() == 0
            assert len(polls(connector)) == 2

    asyncio.run(go())


def test_the_sweep_puts_back_a_dead_workers_poll_only_when_nobody_holds_the_source(
    cluster: tuple[Cluster, Connector, Clock],
) -> None:
    async def go() -> None:
        node, connector, _clock = cluster
        async with node.app.open_async():
            await node.dispatch()
            manager = node.app.job_manager
            worker = await manager.register_worker()
            job = await manager.fetch_job(queues=None, worker_id=worker)
            assert job is not None and job.id is not None
            source = job.task_kwargs["source"]
            connector.workers[worker] = T0 - dt.timedelta(hours=1)  # its heartbeat stopped long ago
            node.locks.held.add(str(source))  # ... but the source is still being polled (a draining worker)
            assert await node.sweep() == 0
            assert connector.jobs[job.id]["status"] == "doing"
            node.locks.held.clear()  # the poll ended with its process
            assert await node.sweep() == 1
            assert connector.jobs[job.id]["status"] == "todo"

    asyncio.run(go())


def test_the_watchdog_dispatches_when_no_tick_has_run(cluster: tuple[Cluster, Connector, Clock]) -> None:
    async def go() -> None:
        node, connector, clock = cluster
        async with node.app.open_async():
            await node.dispatch()
            for job in list(connector.jobs.values()):
                job["status"] = "succeeded"
            clock.now = T0 + dt.timedelta(seconds=3)
            await node.watchdog()  # a tick ran 3 s ago: nothing to do
            assert [p[3] for p in polls(connector)] == ["succeeded", "succeeded"]
            clock.now = T0 + dt.timedelta(seconds=10)
            await node.watchdog()  # no tick for 10 s: this instance dispatches by itself
            assert ("a", "poll:a", "poll:a", "todo") in polls(connector)

    asyncio.run(go())
