"""Cluster mode: `pantau run` on several machines shares one PostgreSQL database and one job queue
(procrastinate). The only module that imports procrastinate.

What differs from the embedded service is only who decides when. Polls are procrastinate jobs that call the
same `pipeline.poll_source`; delivery is the same `deliver_due`, run by every instance (outbox leases with
SKIP LOCKED keep two instances from sending one row). Each source's schedule lives in the store; a
dispatcher, a procrastinate periodic task deferred once cluster-wide every second, claims the due sources
and defers one poll job each, with a `queueing_lock` (never two waiting) and a `lock` (never two running).

Two procrastinate behaviours pantau does not rely on being fixed:
- A worker shutting down stops its heartbeat before its in-flight jobs drain, so a stalled-job sweep can
  reclaim a job that is still running. Here a poll runs only while its instance holds the source's
  PostgreSQL advisory lock (store.locks), which lives exactly as long as that instance's session; the sweep
  retries a stalled poll only when that lock is free, and a poll that cannot take the lock does nothing.
  So a draining instance's polls are never reclaimed, and no source is ever polled twice at once.
- Rows in `procrastinate_periodic_defers` left behind (a killed worker, deleted jobs) can block later
  defers of a periodic task. The dispatcher's ticks carry no state: any tick dispatches everything due
  (the schedule is in the store), every instance dispatches by itself when no tick has run for a few
  seconds, and the sweep deletes such leftover rows of pantau's tasks.

A config loaded by any instance (at start, SIGHUP or a saved edit) is published in the store with its
text; the others load that text within seconds, so one edit reaches the whole cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import procrastinate
from procrastinate import exceptions as queue_errors
from procrastinate.jobs import Status
from procrastinate.schema import SchemaManager
from sqlalchemy import make_url

from pantau.analyse import analyser_for
from pantau.clock import Clock
from pantau.config import Config, config_from_text
from pantau.errors import ConfigError
from pantau.fetch import Fetcher, make_client
from pantau.heap import settle
from pantau.notify.deliver import Notifier
from pantau.notify.outbox import deliver_due
from pantau.pipeline import Context, poll_source
from pantau.service import hangup
from pantau.service.metrics import Metrics
from pantau.service.watch import digest, watch_file
from pantau.service.webview import serve_web, store_problem
from pantau.store import Store
from pantau.store.db import QueueSchema, unavailable
from pantau.store.locks import SourceLocks

log = logging.getLogger("pantau.service")

POLL_QUEUE = "pantau-poll"
CONTROL_QUEUE = "pantau-control"
POLL_TASK = "pantau.poll"
HEARTBEAT = 2.0  # seconds between a worker's heartbeats
STALLED_AFTER = 10.0  # seconds without a heartbeat before a worker's jobs are looked at by the sweep
POLLS_IN_FLIGHT = 32  # per instance (asyncio; article pages are read by the analyser's processes)
# Workers look for jobs this often instead of being woken by a NOTIFY per deferred job: with hundreds of
# polls deferred each second, every instance answering every notification made three instances slower
# than one (benchmarks/cluster.py).
FETCH_EVERY = 0.25
DELIVERY_EVERY = 5.0  # seconds between an instance's delivery passes (also after every poll with alerts)
FOLLOW_EVERY = 2.0  # seconds between checks for a config another instance published
WATCHDOG_AFTER = timedelta(seconds=5)  # no dispatcher tick for this long: dispatch here
CONFIG_FACT = "config"
DISPATCH_FACT = "dispatched"

# Sources whose poll is still waiting (status todo), by queueing lock.
_WAITING = """
SELECT queueing_lock FROM procrastinate_jobs WHERE status = 'todo' AND queueing_lock = ANY(%(locks)s)
"""
# Leftover periodic-defer rows of pantau's tasks: no job (deleted, or never created) and over a minute old.
_LEFTOVER_DEFERS = """
DELETE FROM procrastinate_periodic_defers
 WHERE task_name LIKE 'pantau.%%' AND job_id IS NULL
   AND defer_timestamp < extract(epoch FROM now()) - 60
"""
# Finished control jobs (dispatch and sweep ticks) except the recent ones and those a defer row points at.
_OLD_CONTROL_JOBS = """
DELETE FROM procrastinate_jobs j
 WHERE j.queue_name = 'pantau-control' AND j.status IN ('succeeded', 'failed', 'aborted')
   AND j.id < (SELECT max(id) - 1000 FROM procrastinate_jobs WHERE queue_name = 'pantau-control')
   AND NOT EXISTS (SELECT 1 FROM procrastinate_periodic_defers d WHERE d.job_id = j.id)
"""


def queue_schema() -> QueueSchema:
    """procrastinate's tables as pantau applies them (`pantau db upgrade`): its schema script, and its
    migration scripts by version, the last one being the version this procrastinate needs."""
    folder = Path(SchemaManager.get_migrations_path())
    scripts = sorted(folder.glob("*.sql"))
    migrations = [(p.stem, p.read_text(encoding="utf-8")) for p in scripts]
    return QueueSchema("procrastinate", "procrastinate_jobs", SchemaManager.get_schema(), migrations)


def conninfo(database: str) -> str:
    """The libpq URL for a `postgresql+psycopg://` SQLAlchemy URL."""
    return make_url(database).set(drivername="postgresql").render_as_string(hide_password=False)


class Cluster:
    def __init__(
        self,
        config: Config,
        store: Store,
        clock: Clock,
        config_file: Path | None,
        connector: Any = None,
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.config_file = config_file
        self.config_text = config_file.read_text(encoding="utf-8") if config_file else None
        self.config_digest = digest(config_file) if config_file else None
        self.notifier = Notifier(config.channel_urls)
        self.analyser = analyser_for(config)
        self.ctx: Context | None = None
        self.locks = SourceLocks(store.engine, f"pantau {store.instance}")
        self.stopping = asyncio.Event()
        self.in_flight: set[asyncio.Task[Any]] = set()
        self.delivery_lock = asyncio.Lock()
        self.config_lock = asyncio.Lock()
        self.watchdog_warned = False
        self.worker: asyncio.Future[None] | None = None
        self.metrics = Metrics(store)
        self.metrics.known([s.name for s in config.sources], list(config.channels))
        self.app = build_app(
            self, connector or procrastinate.PsycopgConnector(conninfo=conninfo(config.database))
        )

    # -- the service --------------------------------------------------------------------------------------

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        loop.add_signal_handler(signal.SIGHUP, self.reload)
        async with make_client() as client, self.app.open_async():
            self.ctx = Context(
                self.config, self.store, Fetcher(client, clock=self.clock), self.clock, self.analyser
            )
            self.publish()
            settle()  # the collector leaves the start-up heap alone from here (pantau.heap)
            if hangup.arrived():  # SIGHUP came while starting: reload now that it can be done
                self.reload()
            web_runner = await serve_web(
                lambda: self.config,
                self.store,
                self.clock,
                self.next_polls,
                self.health_problem,
                self.metrics,
            )
            worker = self.worker = asyncio.ensure_future(self._work())
            side = [
                asyncio.ensure_future(self._every(DELIVERY_EVERY, self._deliver)),
                asyncio.ensure_future(self._every(FOLLOW_EVERY, self.follow)),
                asyncio.ensure_future(self._every(WATCHDOG_AFTER.total_seconds() / 2, self.watchdog)),
            ]
            if self.config_file is not None:
                side.append(
                    asyncio.ensure_future(
                        watch_file(self.config_file, self._edited, self.stopping, self.config_digest)
                    )
                )
            log.info(
                "pantau running in cluster mode as %s: %d sources, %d rules",
                self.store.instance,
                len(self.config.sources),
                len(self.config.rules),
            )
            await self.stopping.wait()
            # The worker stops fetching jobs and waits for the running ones (graceful), then unregisters.
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
            for task in side:
                task.cancel()
            await asyncio.gather(*side, return_exceptions=True)
            if self.in_flight:
                await asyncio.gather(*self.in_flight, return_exceptions=True)
            if web_runner is not None:
                await web_runner.cleanup()
        self.analyser.close()
        self.locks.close()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        log.info("pantau stopped")

    def stop(self) -> None:
        log.info("stop requested: finishing the jobs in flight")
        self.stopping.set()

    def next_polls(self) -> dict[str, datetime]:
        """When each source is due next, from the schedules every instance shares (for the web view)."""
        try:
            return {s.name: s.next_due_at for s in self.store.schedules()}
        except Exception as exc:  # the store away: the pages fall back to last poll + interval
            log.debug("schedules unreadable: %s", unavailable(exc) or exc)
            return {}

    async def health_problem(self) -> str | None:
        """None while this instance's queue worker runs and the store answers; else why not (for /healthz)."""
        if self.stopping.is_set():
            return "stopping"
        if self.worker is None or self.worker.done():
            return "queue: worker not running"
        return await store_problem(self.store)

    async def _work(self) -> None:
        """procrastinate's worker; started again if it stops on its own (e.g. the database went away)."""
        while not self.stopping.is_set():
            try:
                await self.app.run_worker_async(
                    queues=[POLL_QUEUE, CONTROL_QUEUE],
                    name=self.store.instance,
                    concurrency=POLLS_IN_FLIGHT,
                    install_signal_handlers=False,
                    update_heartbeat_interval=HEARTBEAT,
                    stalled_worker_timeout=STALLED_AFTER,
                    fetch_job_polling_interval=FETCH_EVERY,
                    listen_notify=False,
                )
            except Exception as exc:
                log.error("queue: the worker stopped (%s); starting it again", unavailable(exc) or exc)
            if not self.stopping.is_set():
                await asyncio.sleep(2)

    async def _every(self, seconds: float, step: Callable[[], Awaitable[object]]) -> None:
        while not self.stopping.is_set():
            try:
                await self._tracked(step())
            except Exception as exc:
                reason = unavailable(exc)
                if reason is None:
                    log.exception("cluster: %s failed unexpectedly", getattr(step, "__name__", step))
                else:
                    log.warning("%s", reason)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), timeout=seconds)

    async def _tracked(self, work: Awaitable[Any]) -> Any:
        """Run `work` so that a stop waits for it to finish."""
        task = asyncio.ensure_future(work)
        self.in_flight.add(task)
        try:
            return await asyncio.shield(task)
        finally:
            self.in_flight.discard(task)

    # -- the jobs -----------------------------------------------------------------------------------------

    async def poll(self, source: str) -> None:
        """The poll job. Nothing happens unless this instance takes the source's lock."""
        if not self.locks.take(source):
            log.info("%s: another instance is polling it right now; skipped", source)
            return
        try:
            found = await self._source(source)
            if found is None or self.ctx is None:
                return
            started = time.monotonic()
            try:
                result = await poll_source(found, self.ctx)
            except Exception as exc:
                reason = unavailable(exc)
                if reason is None:
                    log.exception("poll of %s failed unexpectedly", source)
                else:
                    self.metrics.store_failed("poll")
                    log.warning("poll of %s failed: %s", source, reason)
                return
            self.metrics.poll(result, time.monotonic() - started)
        finally:
            self.locks.release(source)
        for error in result.errors:
            log.warning("%s: %s", source, error)
        if result.new_articles:
            log.info("%s: %d new articles, %d alerts", source, result.new_articles, result.alerts)
        if result.alerts:
            await self._tracked(self._deliver())

    async def _source(self, name: str) -> Any:
        try:
            return self.config.source(name)
        except KeyError:
            await self.follow()  # a source another instance's config added, published a moment ago
        try:
            return self.config.source(name)
        except KeyError:
            log.info("%s: not in the config any more; poll dropped", name)
            return None

    async def dispatch(self) -> int:
        """Defer a poll for every source due now, in one transaction; returns how many were deferred."""
        now = self.clock()
        names = self.store.claim_due_sources(now)
        self.store.set_cluster_fact(DISPATCH_FACT, self.store.instance, now)
        if not names:
            return 0
        jobs = [
            self.app.configure_task(
                POLL_TASK, queue=POLL_QUEUE, lock=f"poll:{name}", queueing_lock=f"poll:{name}"
            ).make_new_job(source=name)
            for name in names
        ]
        # A source whose last poll still waits gets no second one (its queueing lock would refuse it, and
        # with it the whole batch).
        rows = await self.app.connector.execute_query_all_async(
            _WAITING, locks=[j.queueing_lock for j in jobs]
        )
        waiting = {row["queueing_lock"] for row in rows}
        jobs = [j for j in jobs if j.queueing_lock not in waiting]
        manager = self.app.job_manager
        try:
            await manager.batch_defer_jobs_async(jobs)
            return len(jobs)
        except queue_errors.AlreadyEnqueued:  # one became waiting meanwhile (a sweep): one at a time
            deferred = 0
            for job in jobs:
                with contextlib.suppress(queue_errors.AlreadyEnqueued):
                    await manager.defer_job_async(job)
                    deferred += 1
            return deferred

    async def watchdog(self) -> None:
        """Dispatch here when no dispatcher tick has run for a while (ticks lost or blocked)."""
        fact = self.store.cluster_fact(DISPATCH_FACT)
        if fact is not None and self.clock() - fact[1] < WATCHDOG_AFTER:
            self.watchdog_warned = False
            return
        if not self.watchdog_warned and fact is not None:
            log.warning(
                "cluster: no dispatcher tick for %d s; dispatching from this instance",
                WATCHDOG_AFTER.total_seconds(),
            )
            self.watchdog_warned = True
        await self.dispatch()

    async def sweep(self) -> int:
        """Put the jobs of dead workers back; returns how many. A poll whose source lock is still held is
        still running (a worker draining on shutdown, whose heartbeat already stopped): left alone."""
        manager = self.app.job_manager
        retried = replaced = 0
        for job in await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER):
            if job.task_name == POLL_TASK and not self.locks.free(str(job.task_kwargs.get("source"))):
                continue
            try:
                await manager.retry_job(job)
                retried += 1
            except queue_errors.ConnectorException:
                # Another poll of the source is already waiting (queueing lock): this one can go.
                await manager.finish_job(job, status=Status.FAILED, delete_job=False)
                replaced += 1
        if retried or replaced:
            log.warning(
                "cluster: %d jobs of a stopped instance freed (%d put back in the queue, %d already queued again)",
                retried + replaced,
                retried,
                replaced,
            )
        await self.app.connector.execute_query_async(_LEFTOVER_DEFERS)
        return retried + replaced

    async def clean(self) -> None:
        await self.app.job_manager.delete_old_jobs(
            nb_hours=1, queue=POLL_QUEUE, include_failed=True, include_cancelled=True, include_aborted=True
        )
        await self.app.connector.execute_query_async(_OLD_CONTROL_JOBS)

    # -- delivery -----------------------------------------------------------------------------------------

    async def _deliver(self) -> None:
        async with self.delivery_lock:
            report = await deliver_due(self.store, self.notifier, self.config, self.clock)
        self.metrics.delivery(report)
        for error in report.errors:
            log.warning("%s", error)

    # -- the config, shared -------------------------------------------------------------------------------

    def publish(self) -> None:
        """Make this instance's config the cluster's: its schedules, and its text for the others."""
        now = self.clock()
        self.store.sync_schedules({s.name: s.every for s in self.config.sources}, now)
        if self.config_text is not None:
            self.store.set_cluster_fact(CONFIG_FACT, self.config_text, now)

    async def follow(self) -> None:
        """Load the config another instance published, if it differs from the one running here."""
        fact = self.store.cluster_fact(CONFIG_FACT)
        if fact is None or fact[0] == self.config_text or self.config_file is None:
            return
        async with self.config_lock:
            if fact[0] == self.config_text:
                return
            try:
                config = await asyncio.to_thread(config_from_text, fact[0], self.config_file)
            except ConfigError as exc:
                log.error("the config another instance loaded is invalid here; keeping this one: %s", exc)
                self.config_text = fact[0]  # told once; a later publication is looked at again
                return
            self._swap(config, fact[0])
            log.info(
                "config from the cluster loaded: %d sources, %d rules", len(config.sources), len(config.rules)
            )

    def reload(self) -> None:
        """SIGHUP: read config.yaml again and make it the cluster's."""
        if self.config_file is not None and not self.stopping.is_set():
            task = asyncio.ensure_future(self._reload())
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)

    async def _edited(self, now: str | None) -> None:
        if now is not None and now != self.config_digest and not self.stopping.is_set():
            log.info("config file changed: reloading")
            await self._tracked(self._reload())

    async def _reload(self) -> None:
        assert self.config_file is not None
        async with self.config_lock:
            try:
                text = self.config_file.read_text(encoding="utf-8")
                config = await asyncio.to_thread(config_from_text, text, self.config_file)
            except (OSError, ConfigError) as exc:
                log.error("reload refused, keeping the running config: %s", exc)
                return
            self.config_digest = digest(self.config_file)
            self._swap(config, text)
            self.publish()
        log.info("config reloaded: %d sources, %d rules", len(config.sources), len(config.rules))

    def _swap(self, config: Config, text: str) -> None:
        # One swap of whole values: a poll already running finishes with the config it started with.
        self.notifier = Notifier(config.channel_urls)
        self.analyser.close(wait=False)
        self.analyser = analyser_for(config)
        self.config = config
        self.config_text = text
        self.metrics.known([s.name for s in config.sources], list(config.channels))
        if self.ctx is not None:
            self.ctx = Context(config, self.store, self.ctx.fetcher, self.clock, self.analyser)


def build_app(cluster: Cluster, connector: Any) -> procrastinate.App:
    """The job queue: the poll task and three periodic tasks, each deferred once cluster-wide."""
    app = procrastinate.App(connector=connector, periodic_defaults={"max_delay": 10})

    @app.task(name=POLL_TASK, queue=POLL_QUEUE)
    async def poll(source: str) -> None:
        await cluster._tracked(cluster.poll(source))

    def control(name: str, cron: str, step: Callable[[], Awaitable[object]]) -> None:
        async def run(timestamp: int) -> None:
            await cluster._tracked(step())

        task = app.task(name=f"pantau.{name}", queue=CONTROL_QUEUE, queueing_lock=f"pantau.{name}")(run)
        app.periodic(cron=cron, periodic_id=name)(task)

    control("dispatch", "* * * * * *", cluster.dispatch)
    control("sweep", "* * * * * */5", cluster.sweep)  # croniter: seconds are the sixth field
    control("clean", "*/10 * * * *", cluster.clean)
    return app


async def serve(config: Config, store: Store, clock: Clock, config_file: Path | None) -> None:
    await Cluster(config, store, clock, config_file).run()
