"""The typed, immutable result of loading config.yaml: what every stage reads, never changes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from pantau.models import ArticleSelectors
from pantau.redact import redact_url
from pantau.rules import Concept, RuleSet
from pantau.schedule import Digest, QuietHours


@dataclass(frozen=True)
class SourceConfig:
    name: str
    url: str
    every: timedelta
    user_agent: str
    timeout: float
    links: str | None = None
    link_pattern: re.Pattern[str] | None = None
    article: ArticleSelectors | None = None
    stale_after: timedelta | None = None
    max_age: timedelta | None = timedelta(days=3)  # None: no limit
    recheck: timedelta | None = timedelta(hours=6)  # None: articles are never fetched again


@dataclass(frozen=True)
class ChannelConfig:
    name: str
    urls: tuple[str, ...]
    format: str = "markdown"
    max_items: int = 50
    quiet: QuietHours | None = None
    quiet_digest: bool = False
    max_per_hour: int | None = None
    template: str | None = None


@dataclass(frozen=True)
class DeliveryConfig:
    max_attempts: int = 10
    give_up_after: timedelta = timedelta(days=2)


@dataclass(frozen=True)
class OpsConfig:
    channel: str
    after_failures: int = 3
    store_down_after: timedelta = timedelta(minutes=3)


@dataclass(frozen=True)
class RuleConfig:
    name: str
    match: str
    notify: tuple[str, ...]
    sources: tuple[str, ...] | None = None
    digest: Digest | None = None
    digest_text: str | None = None
    stem: bool = False
    quiet: QuietHours | None = None
    urgent: bool = False
    template: str | None = None
    digest_empty: bool = False
    repeat: str = "per-story"  # one of keys.REPEAT_MODES


@dataclass(frozen=True)
class WebConfig:
    host: str
    port: int  # 0: any free port (the log names the one taken)
    password: str | None = field(default=None, repr=False)  # never in a repr, a log line or an error

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


@dataclass(frozen=True)
class Config:
    path: Path
    database: str
    timezone: ZoneInfo
    channels: Mapping[str, ChannelConfig]
    sources: tuple[SourceConfig, ...]
    concepts: Mapping[str, Concept]
    rules: tuple[RuleConfig, ...]
    ruleset: RuleSet
    warnings: tuple[str, ...] = field(default=())
    delivery: DeliveryConfig = field(default=DeliveryConfig())
    ops: OpsConfig | None = None
    workers: int | None = None  # None: analyse.default_workers() on the machine that runs pantau
    log_summary: timedelta = timedelta(minutes=10)  # `pantau run`'s periodic one-line summary
    web: WebConfig | None = None  # None: no web view
    cluster: bool = False  # service.cluster instead of service.embedded (PostgreSQL only)
    # Values substituted from the environment into URLs or secret-named variables: never shown anywhere.
    secrets: frozenset[str] = field(default=frozenset())

    @property
    def channel_urls(self) -> dict[str, tuple[str, ...]]:
        return {name: channel.urls for name, channel in self.channels.items()}

    def source(self, name: str) -> SourceConfig:
        """The source of this name (KeyError if there is none), found in a dict: the services look a source
        up on every poll, and a scan of 10,000 sources each time would cost more than a quiet poll."""
        return self._sources_by_name[name]

    @cached_property
    def _sources_by_name(self) -> dict[str, SourceConfig]:
        return {source.name: source for source in self.sources}

    def rule(self, name: str) -> RuleConfig:
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(name)


def describe_channel(channel: ChannelConfig) -> str:
    text = ", ".join(redact_url(url) for url in channel.urls)
    options = [f"format {channel.format}"] if channel.format != "markdown" else []
    if channel.quiet:
        options.append(f"quiet {channel.quiet.start:%H:%M}-{channel.quiet.end:%H:%M}")
    if channel.max_per_hour:
        options.append(f"at most {channel.max_per_hour}/hour")
    return text + (f"  ({', '.join(options)})" if options else "")
