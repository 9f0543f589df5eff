"""The embedded service: one process, APScheduler 3.11's asyncio scheduler, the store on SQLite or PostgreSQL.

Each source is an interval job that calls the idempotent `poll_source`; a delivery job works through the
outbox. SIGTERM/SIGINT stop new work, let in-flight polls and deliveries finish, then return. SIGHUP reloads
config.yaml: a valid new config replaces the old one whole (rules, sources, channels); an invalid one is
reported and the old one stays. Nothing here keeps state that the store does not also have.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from pantau.clock import Clock
from pantau.config import Config, load_config
from pantau.errors import ConfigError
from pantau.fetch import Fetcher, make_client
from pantau.notify.deliver import Notifier
from pantau.notify.outbox import deliver_due
from pantau.pipeline import Context, analyser_for, poll_source
from pantau.store import Store

log = logging.getLogger("pantau.service")

DELIVERY_INTERVAL = timedelta(seconds=30)


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
        self.client: httpx.AsyncClient | None = None
        self.ctx: Context | None = None
        self.analyser = analyser_for(config)  # its workers start with the first page to read
        # One delivery pass at a time: leases already keep two passes from sending a row twice, but a second
        # pass started while one runs would only find the rows the first has leased.
        self.delivery_lock = asyncio.Lock()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        loop.add_signal_handler(signal.SIGHUP, self.reload)
        async with make_client() as client:
            self.client = client
            fetcher = Fetcher(client, clock=self.clock)
            self.ctx = Context(self.config, self.store, fetcher, self.clock, self.analyser)
            self._schedule()
            self.scheduler.start()
            log.info("pantau running: %d sources, %d rules", len(self.config.sources), len(self.config.rules))
            await self.stopping.wait()
            self.scheduler.pause()
            if self.in_flight:
                log.info("finishing %d running jobs", len(self.in_flight))
                await asyncio.gather(*self.in_flight, return_exceptions=True)
            self.scheduler.shutdown(wait=False)
            self.analyser.close()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        log.info("pantau stopped")

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
        try:
            result = await poll_source(source, ctx)
        except Exception:  # a bug in one poll must not stop the service
            log.exception("poll of %s failed unexpectedly", name)
            return
        for error in result.errors:
            log.warning("%s: %s", name, error)
        if result.new_articles:
            log.info("%s: %d new articles, %d alerts", name, result.new_articles, result.alerts)
        if result.alerts:
            await self._deliver()

    async def _deliver(self) -> None:
        try:
            async with self.delivery_lock:
                report = await deliver_due(self.store, self.notifier, self.config, self.clock)
        except Exception:
            log.exception("delivery failed unexpectedly")
            return
        for error in report.errors:
            log.warning("%s", error)

    def reload(self) -> None:
        """SIGHUP: read the config off the event loop (compiling 10,000 rules takes a second), then swap."""
        if self.config_file is None or self.ctx is None:
            return
        task = asyncio.ensure_future(self._reload(self.config_file))
        self.in_flight.add(task)
        task.add_done_callback(self.in_flight.discard)

    async def _reload(self, path: Path) -> None:
        try:
            config = await asyncio.to_thread(load_config, path)
        except ConfigError as exc:
            log.error("reload refused, keeping the running config: %s", exc)
            return
        if self.ctx is None:
            return
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
        log.info("config reloaded: %d sources, %d rules", len(config.sources), len(config.rules))


async def serve(config: Config, store: Store, clock: Clock, config_file: Path | None) -> None:
    await Service(config, store, clock, config_file).run()
