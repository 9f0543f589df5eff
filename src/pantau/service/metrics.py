"""Prometheus metrics of the service, kept in the main process.

Counters and histograms are updated from what the service already gets back: each poll's PollResult and
each delivery pass's DeliveryReport (the page-reading workers report to the main process, so there is no
multiprocess mode). The two gauges that describe the store (deliveries pending, last success per source)
are read from it when /metrics is scraped, one query each. Every Metrics has its own registry, so
several services (and tests) in one process never share a counter. This module never writes to the store.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from pantau import __version__
from pantau.notify.outbox import DeliveryReport
from pantau.pipeline import PollResult
from pantau.store import Store
from pantau.store.db import unavailable

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
POLL_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
# An alert goes out seconds after its article is read; digests and quiet hours hold some for hours.
DELAY_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600, 3 * 3600, 12 * 3600, 86400)


class Metrics:
    def __init__(self, store: Store | None = None, version: str = __version__) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.polls = Counter(
            "pantau_polls", "Polls of a source, by outcome", ["source", "outcome"], registry=r
        )
        self.articles = Counter("pantau_articles", "New articles stored, by source", ["source"], registry=r)
        self.alerts = Counter("pantau_alerts", "Alerts made, by rule", ["rule"], registry=r)
        self.deliveries = Counter(
            "pantau_deliveries",
            "Alert deliveries to a channel, by outcome (failed: will be retried; dead: given up)",
            ["channel", "outcome"],
            registry=r,
        )
        self.poll_duration = Histogram(
            "pantau_poll_duration_seconds",
            "Time one poll of a source took",
            ["source"],
            buckets=POLL_BUCKETS,
            registry=r,
        )
        self.alert_delay = Histogram(
            "pantau_alert_delay_seconds",
            "Time from an article's fetch to its alert's delivery",
            buckets=DELAY_BUCKETS,
            registry=r,
        )
        self.store_unavailable = Counter(
            "pantau_store_unavailable",
            "Polls and delivery passes that failed because the database was unavailable",
            ["job"],
            registry=r,
        )
        self.store_up = Gauge(
            "pantau_store_up", "1 while the database answers, 0 while it is unavailable", registry=r
        )
        self.store_up.set(1)
        build = Gauge("pantau_build_info", "The running pantau's version", ["version"], registry=r)
        build.labels(version=version).set(1)
        self.channels: tuple[str, ...] = ()  # shown with 0 pending when nothing waits for them
        if store is not None:
            r.register(_StoreGauges(store, self))

    def poll(self, result: PollResult, seconds: float) -> None:
        self.polls.labels(source=result.source, outcome=result.outcome).inc()
        self.poll_duration.labels(source=result.source).observe(seconds)
        if result.new_articles:
            self.articles.labels(source=result.source).inc(result.new_articles)
        for rule in result.alert_rules:
            self.alerts.labels(rule=rule).inc()

    def delivery(self, report: DeliveryReport) -> None:
        for channel in report.channels:
            for outcome in ("delivered", "failed", "dead"):
                count = getattr(channel, outcome)
                if count:
                    self.deliveries.labels(channel=channel.channel, outcome=outcome).inc(count)
            for seconds in channel.delays:
                self.alert_delay.observe(max(seconds, 0.0))

    def store_failed(self, job: str) -> None:
        """A poll ("poll") or delivery pass ("delivery") failed because the store was unavailable."""
        self.store_unavailable.labels(job=job).inc()
        self.store_up.set(0)

    def store_answered(self) -> None:
        self.store_up.set(1)

    def known(self, sources: list[str], channels: list[str]) -> None:
        """Start the configured sources' and channels' counters at 0, so a rate() over them has a first
        point (called at start and after each reload)."""
        self.channels = tuple(channels)
        for source in sources:
            for outcome in ("ok", "not_modified", "failed"):
                self.polls.labels(source=source, outcome=outcome)
        for channel in channels:
            for outcome in ("delivered", "failed", "dead"):
                self.deliveries.labels(channel=channel, outcome=outcome)

    def render(self) -> bytes:
        """The Prometheus text format. Reads the store (blocking): call it off the event loop."""
        return generate_latest(self.registry)


class _StoreGauges(Collector):
    """Read at scrape time. With the store unavailable the two gauges are left out of the scrape (a gap is
    the truth) and pantau_store_up says why."""

    def __init__(self, store: Store, metrics: Metrics) -> None:
        self.store = store
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        pending = GaugeMetricFamily(
            "pantau_outbox_pending",
            "Deliveries waiting to be sent (or retried), by channel",
            labels=["channel"],
        )
        last = GaugeMetricFamily(
            "pantau_source_last_success_timestamp_seconds",
            "Unix time of the last successful poll, by source",
            labels=["source"],
        )
        try:
            waiting = dict.fromkeys(self.metrics.channels, 0) | self.store.pending_by_channel()
            for channel, count in sorted(waiting.items()):
                pending.add_metric([channel], count)
            for source, at in sorted(self.store.last_success_by_source().items()):
                last.add_metric([source], at.timestamp())
        except Exception as exc:
            if unavailable(exc) is None:
                raise
            log.warning("metrics: %s", unavailable(exc))
            return
        yield pending
        yield last

    def describe(self) -> Iterator[Metric]:
        return iter(())  # nothing to read at registration time
