"""The embedded service: one process, APScheduler 3.11's asyncio scheduler, the store on SQLite or PostgreSQL.

Each source is an interval job that calls the idempotent `poll_source`; a delivery job works through the
outbox; with `web.listen` set, the web view is served from the same event loop. SIGTERM/SIGINT stop new
work, let in-flight polls and deliveries finish, then return. SIGHUP reloads config.yaml: a valid new
config replaces the old one whole (rules, sources, channels); an invalid one is reported and the old one
stays. Nothing here keeps state that the store does not also have.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp.web import AppRunner
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from pantau.analyse import analyser_for
from pantau.clock import Clock
from pantau.config import Config, load_config
from pantau.errors import ConfigError, DeliveryError
from pantau.fetch import Fetcher, make_client
from pantau.heap import settle
from pantau.notify.deliver import Notifier
from pantau.notify.outbox import deliver_due
from pantau.notify.render import Message
from pantau.pipeline import Context, poll_source
from pantau.schedule import format_duration
from pantau.service import hangup
from pantau.service.metrics import Metrics
from pantau.service.outage import StoreOutage
from pantau.service.summary import Summary
from pantau.service.watch import digest, watch_file
from pantau.service.webview import HEALTH_TIMEOUT, serve_web, store_problem
from pantau.store import SourceHealth, Store
from pantau.store.db import unavailable
from pantau.words import count

log = logging.getLogger("pantau.service")

DELIVERY_INTERVAL = timedelta(seconds=30)
PROBE_INTERVAL = 5.0  # seconds between delivery passes while the store is unavailable: they notice its return
STORE_DOWN_AFTER = timedelta(minutes=3)  # without `ops`, only for the log


class Service:
    def __init__(self, config: Config, store: Store, clock: Clock, config_file: Path | None = None) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.config_file = config_file
        self.notifier = Notifier(config.channel_urls, config.secrets)
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.in_flight: set[asyncio.Task[None]] = set()
        self.stopping = asyncio.Event()
        self.client: aiohttp.ClientSession | None = None
        self.ctx: Context | None = None
        self.analyser = analyser_for(config)  # its workers start with the first page to read
        # One delivery pass at a time: leases already keep two passes from sending a row twice, but a second
        # pass started while one runs would only find the rows the first has leased.
        self.delivery_lock = asyncio.Lock()
        self.metrics = Metrics(store)
        self.metrics.known([s.name for s in config.sources], list(config.channels))
        self.outage = StoreOutage(config.ops.store_down_after if config.ops else STORE_DOWN_AFTER)
        self.config_digest = digest(config_file) if config_file is not None else None
        self.summary = Summary()
        self._probe: asyncio.Task[None] | None = None
        self.telling = asyncio.Lock()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        loop.add_signal_handler(signal.SIGHUP, self.reload)
        async with make_client() as client:
            self.client = client
            fetcher = Fetcher(client, clock=self.clock)
            self.ctx = Context(self.config, self.store, fetcher, self.clock, self.analyser)
            web_runner = await self._start_web()
            self._schedule()
            self.scheduler.start()
            watcher = self._watch()
            settle()  # the collector leaves the start-up heap alone from here (pantau.heap)
            if hangup.arrived():  # SIGHUP came while starting: reload now that it can be done
                self.reload()
            log.info(
                "pantau running: %s, %s",
                count(len(self.config.sources), "source"),
                count(len(self.config.rules), "rule"),
            )
            await self.stopping.wait()
            self.scheduler.pause()
            if watcher is not None:
                await watcher
            if self._probe is not None:
                self._probe.cancel()
            if self.in_flight:
                log.info("finishing %s", count(len(self.in_flight), "running job"))
                await asyncio.gather(*self.in_flight, return_exceptions=True)
            self.scheduler.shutdown(wait=False)
            self.analyser.close()
            if web_runner is not None:
                await web_runner.cleanup()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        log.info("pantau stopped")

    async def _start_web(self) -> AppRunner | None:
        return await serve_web(
            lambda: self.config, self.store, self.clock, self.next_polls, self.health_problem, self.metrics
        )

    def next_polls(self) -> dict[str, datetime]:
        """When the scheduler runs each source's next poll (jitter included)."""
        return {
            job.id.removeprefix("poll:"): job.next_run_time
            for job in self.scheduler.get_jobs()
            if job.id.startswith("poll:") and job.next_run_time is not None
        }

    def stop(self) -> None:
        log.info("stop requested")
        self.stopping.set()

    def _schedule(self) -> None:
        now = self.clock()
        for source in self.config.sources:
            self.scheduler.add_job(
                self._tracked(functools.partial(self._poll, source.name)),
                IntervalTrigger(
                    seconds=source.every.total_seconds(), jitter=min(30, source.every.total_seconds() / 10)
                ),
                id=f"poll:{source.name}",
                next_run_time=now,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=int(source.every.total_seconds()),
                replace_existing=True,
            )
        self.scheduler.add_job(
            self._tracked(self._deliver),
            IntervalTrigger(seconds=DELIVERY_INTERVAL.total_seconds()),
            id="deliver",
            next_run_time=now,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=60,
            replace_existing=True,
        )
        self.scheduler.add_job(
            self._log_summary,
            IntervalTrigger(seconds=self.config.log_summary.total_seconds()),
            id="summary",
            max_instances=1,
            coalesce=True,
            replace_existing=True,
        )

    def _tracked(self, make: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        async def job() -> None:
            if self.stopping.is_set():
                return
            task = asyncio.ensure_future(make())
            self.in_flight.add(task)
            try:
                await asyncio.shield(task)
            finally:
                self.in_flight.discard(task)

        return job

    async def _poll(self, name: str) -> None:
        ctx = self.ctx
        if ctx is None:
            return
        try:
            source = ctx.config.source(name)
        except KeyError:
            return  # removed by a reload
        started = time.monotonic()
        try:
            result = await poll_source(source, ctx)
        except Exception as exc:  # a bug in one poll must not stop the service
            reason = unavailable(exc)
            if reason is None:
                log.exception("poll of %s failed unexpectedly", name)
            else:
                log.warning("poll of %s failed: %s", name, reason)
                await self._store_failed("poll", reason)
            return
        self.metrics.poll(result, time.monotonic() - started)
        self.summary.poll(result)
        await self._store_answered()
        for error in result.errors:
            log.warning("%s: %s", name, error)
        if result.new_articles:
            log.info(
                "%s: %s, %s", name, count(result.new_articles, "new article"), count(result.alerts, "alert")
            )
        if result.alerts:
            await self._deliver()

    async def _deliver(self) -> None:
        try:
            async with self.delivery_lock:
                report = await deliver_due(self.store, self.notifier, self.config, self.clock)
        except Exception as exc:
            reason = unavailable(exc)
            if reason is None:
                log.exception("delivery failed unexpectedly")
            else:
                log.warning("delivery failed: %s", reason)
                await self._store_failed("delivery", reason)
            return
        self.metrics.delivery(report)
        self.summary.delivery(report)
        await self._store_answered()
        for error in report.errors:
            log.warning("%s", error)

    async def _log_summary(self) -> None:
        """Every `log_summary` (10 minutes by default): one line that shows the service is alive."""
        pending: int | None = None
        health: list[SourceHealth] | None = None
        try:
            pending = await asyncio.to_thread(self.store.pending_deliveries)
            health = await asyncio.to_thread(self.store.all_source_health)
        except Exception as exc:
            if unavailable(exc) is None:
                raise
        log.info("%s", self.summary.line(format_duration(self.config.log_summary), pending, health))

    # -- the store going away -------------------------------------------------------------------------------

    async def _store_failed(self, job: str, reason: str) -> None:
        self.metrics.store_failed(job)
        if self.outage.failed(reason, self.clock()):
            log.error("%s: polls and deliveries wait until it is back (nothing is lost)", reason)
            self._probe = asyncio.ensure_future(self._probe_store())
        await self._tell_outage()

    async def _store_answered(self) -> None:
        lasted = self.outage.answered(self.clock())
        self.metrics.store_answered()
        if lasted is not None:
            log.warning("store: the database answers again, after %d s", lasted.total_seconds())
            # what waited (and what was sent but not yet recorded) goes out now, not at the next pass
            task = asyncio.ensure_future(self._tracked(self._deliver)())
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)
        await self._tell_outage()

    async def _probe_store(self) -> None:
        """While the store is away, ask it every few seconds whether it answers; once it does, a delivery
        pass (which also writes) ends the outage and sends what waited, without waiting for the next poll
        or the regular pass. A probe that gets no answer logs nothing: the scheduled jobs already do."""
        while self.outage.ongoing and not self.stopping.is_set():
            await asyncio.sleep(PROBE_INTERVAL)
            if not self.outage.ongoing or self.stopping.is_set():
                break
            try:
                await asyncio.wait_for(asyncio.to_thread(self.store.ping), timeout=HEALTH_TIMEOUT)
            except Exception as exc:  # no answer yet (anything else shows in the scheduled jobs' logs)
                log.debug("store probe: %s", unavailable(exc) or exc)
                continue
            await self._tracked(self._deliver)()

    async def _tell_outage(self) -> None:
        async with self.telling:  # a poll and a delivery pass fail together: one of them tells
            ops = self.config.ops
            owed = self.outage.to_tell(self.clock(), self.config.timezone)
            if ops is None or owed is None:
                return
            message, key = owed
            try:
                await self.notifier.send(ops.channel, message, key=key)
            except DeliveryError as exc:
                log.warning("ops: %s", exc)  # told on a later pass
                return
            self.outage.told(message, self.clock())

    async def health_problem(self) -> str | None:
        """None while the scheduler runs and the store answers; else why not, in one line (for /healthz)."""
        if self.stopping.is_set():
            return "stopping"
        if not self.scheduler.running:
            return "scheduler: not running"
        if self.outage.ongoing:
            return self.outage.reason
        return await store_problem(self.store)

    def reload(self) -> None:
        """SIGHUP: read the config off the event loop (compiling 10,000 rules takes a second), then swap."""
        if self.config_file is None or self.ctx is None:
            return
        task = asyncio.ensure_future(self._reload(self.config_file))
        self.in_flight.add(task)
        task.add_done_callback(self.in_flight.discard)

    async def _reload(self, path: Path) -> None:
        loaded = digest(path)
        try:
            config = await asyncio.to_thread(load_config, path)
        except ConfigError as exc:
            for line in exc.lines():  # one record per mistake, as `pantau check` prints them
                log.error("reload refused, keeping the running config: %s", line)
            await self._tell_ops(
                Message(
                    "[pantau] config refused",
                    f"{exc}\nThe running config stays until a valid one is saved.",
                    "text",
                ),
                key=f"pantau-config-refused-{loaded or 'gone'}",
            )
            return
        if self.ctx is None:
            return
        self.config_digest = loaded
        # One swap of whole values: a poll already running finishes with the config it started with.
        self.notifier = Notifier(config.channel_urls, config.secrets)
        # New workers for the new rules; polls still running finish on the old ones, which then exit.
        self.analyser.close(wait=False)
        self.analyser = analyser_for(config)
        self.config = config
        self.ctx = Context(config, self.store, self.ctx.fetcher, self.clock, self.analyser)
        for job in self.scheduler.get_jobs():
            if job.id.startswith("poll:"):
                job.remove()
        self._schedule()
        self.metrics.known([s.name for s in config.sources], list(config.channels))
        self.outage.tell_after = config.ops.store_down_after if config.ops else STORE_DOWN_AFTER
        log.info(
            "config reloaded: %s, %s", count(len(config.sources), "source"), count(len(config.rules), "rule")
        )

    async def _tell_ops(self, message: Message, key: str) -> None:
        if self.config.ops is None:
            return
        try:
            await self.notifier.send(self.config.ops.channel, message, key=key)
        except DeliveryError as exc:
            log.warning("ops: %s", exc)

    # -- the config file, watched ---------------------------------------------------------------------------

    def _watch(self) -> asyncio.Task[None] | None:
        if self.config_file is None:
            return None
        return asyncio.ensure_future(
            watch_file(self.config_file, self._edited, self.stopping, self.config_digest)
        )

    async def _edited(self, now: str | None) -> None:
        """The config file's content changed on disk: reload it as SIGHUP does (unless it is the content
        already running, e.g. after a SIGHUP)."""
        if now is None:
            log.warning("config file %s is gone; keeping the running config", self.config_file)
            return
        if now == self.config_digest or self.config_file is None or self.stopping.is_set():
            return
        log.info("config file changed: reloading")
        await self._tracked(functools.partial(self._reload, self.config_file))()


async def serve(config: Config, store: Store, clock: Clock, config_file: Path | None) -> None:
    await Service(config, store, clock, config_file).run()
