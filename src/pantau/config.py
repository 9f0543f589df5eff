"""config.yaml -> a validated, typed, immutable Config.

Everything a poll at 3 a.m. could trip over is checked here, at load: unknown keys, duplicate names,
durations, CSS selectors, regular expressions, channel URLs, concepts and every rule's query (compiled
once into the RuleSet the pipeline uses). Every error is a ConfigError that reads `PATH:LINE: message`.
This module reads the file and the environment it is given; it never touches the network or the store.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pantau.errors import ConfigError, RuleError
from pantau.extract import selector_error
from pantau.models import ArticleSelectors
from pantau.notify.deliver import redact_url, validate_channel_url
from pantau.notify.schedule import Digest, QuietHours, parse_digest, parse_duration, parse_quiet
from pantau.notify.templates import FORMATS, check_template
from pantau.rules import Concept, RuleSet, RuleSpec, compile_rules
from pantau.yamlload import Node, load_yaml

DEFAULT_USER_AGENT = "pantau/0.1 (news monitor)"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_HTTP_URL = re.compile(r"^https?://[^/\s]+")

# One table drives validation and the README's reference: section -> key -> help text.
KEYS: dict[str, dict[str, str]] = {
    "top": {
        "database": "SQLAlchemy URL of the store; sqlite:///FILE (relative to config.yaml) or postgresql://…",
        "timezone": "IANA time zone for digests, quiet hours and displayed times (default UTC)",
        "defaults": "settings every source inherits unless it sets its own",
        "channels": "channel name -> one Apprise URL, a list of them, or a mapping with `urls` and options",
        "delivery": "how long failed deliveries are retried: max_attempts, give_up_after",
        "ops": "alerts about pantau itself (failing or silent sources, dying deliveries) to one channel",
        "sources": "the outlets to poll",
        "concepts": "concept name -> list of terms, or a mapping of language code -> list of terms",
        "rules": "the watch rules",
        "workers": "processes that read article pages beside the main one (default: CPUs - 1, at most 3; 0: none)",
    },
    "defaults": {
        "every": "how often to poll: 30s, 5m, 2h, 1d (default 10m)",
        "user_agent": "User-Agent header sent to outlets",
        "timeout": "overall deadline for one HTTP request (default 30s)",
        "stale_after": "ops alert when a source yields no new article for this long (e.g. 1d; default off)",
    },
    "source": {
        "name": "unique name of the source (used in rules, `source:` and commands)",
        "url": "a feed, sitemap or HTML listing page (http or https)",
        "links": "CSS selector for article links on an HTML listing page",
        "link_pattern": "regular expression that an article URL must match",
        "article": "optional CSS selectors for article pages: body, title, published, drop",
        "every": "overrides defaults.every",
        "user_agent": "overrides defaults.user_agent",
        "timeout": "overrides defaults.timeout",
        "stale_after": "overrides defaults.stale_after",
    },
    "channel": {
        "urls": "one Apprise URL or a list of them",
        "format": "message format: markdown (default), text or html",
        "max_items": "most alerts in one digest message; longer digests are split (default 50)",
        "quiet": "quiet hours in the configured time zone, e.g. 22:00-06:00: alerts wait until they end",
        "quiet_digest": "true: what waited out the quiet hours goes out as one digest per rule",
        "max_per_hour": "most messages per hour; the excess is folded into one summary message",
        "template": "Jinja2 template for the message body (sandboxed; values escaped for the format)",
    },
    "delivery": {
        "max_attempts": "attempts before a delivery is given up as dead (default 10)",
        "give_up_after": "age after which a failing delivery is dead (default 2d)",
    },
    "ops": {
        "channel": "the channel for alerts about pantau itself",
        "after_failures": "alert when a source has failed this many polls in a row (default 3)",
        "store_down_after": "alert when the database has been unavailable this long, and again when it is back (default 3m)",
    },
    "article": {
        "body": "CSS selector of the article body",
        "title": "CSS selector of the headline",
        "published": "CSS selector of the element holding the publication time",
        "drop": "CSS selectors of elements to remove before extraction (list)",
    },
    "rule": {
        "name": "unique name of the rule",
        "match": "the query (see the query language)",
        "notify": "a channel name or a list of them",
        "sources": "optional: only articles from these sources",
        "digest": "optional: batch alerts into one message: daily 08:00, weekdays 07:30, every 2h",
        "stem": "optional: also match Indonesian word forms (true/false, default false)",
        "quiet": "optional: quiet hours for this rule's alerts, e.g. 22:00-06:00",
        "urgent": "optional: true sends at once even in quiet hours",
        "template": "optional: Jinja2 template for this rule's message bodies",
        "digest_empty": "optional: true sends a digest even when the period had nothing",
        "repeat": "optional: per-story (default: one alert per story) or per-source (one per outlet)",
    },
}
REPEAT_MODES = ("per-story", "per-source")


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
    repeat: str = "per-story"  # one of REPEAT_MODES


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

    @property
    def channel_urls(self) -> dict[str, tuple[str, ...]]:
        return {name: channel.urls for name, channel in self.channels.items()}

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)

    def rule(self, name: str) -> RuleConfig:
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(name)


def config_path(explicit: str | None, env: Mapping[str, str]) -> Path:
    return Path(explicit or env.get("PANTAU_CONFIG") or "config.yaml")


def load_config(path: Path, env: Mapping[str, str] | None = None) -> Config:
    env = os.environ if env is None else env
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            "config file not found", path=shown, hint="pass --config PATH or set PANTAU_CONFIG"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the config file: {exc}", path=shown) from None
    root = load_yaml(text, shown, env)
    return _Builder(shown, path.resolve().parent).build(root)


class _Builder:
    def __init__(self, path: str, folder: Path) -> None:
        self.path = path
        self.folder = folder

    def error(self, node: Node, message: str, hint: str | None = None) -> ConfigError:
        return ConfigError(message, path=self.path, line=node.line, hint=hint)

    def mapping(self, node: Node, section: str, where: str) -> dict[str, Node]:
        if not isinstance(node.value, dict):
            raise self.error(node, f"{where} must be a mapping of keys to values")
        allowed = KEYS[section]
        for key, value in node.value.items():
            if key not in allowed:
                close = _closest(key, allowed)
                raise self.error(
                    value,
                    f"unknown key '{key}' in {where}",
                    hint=f"did you mean '{close}'?" if close else "known keys: " + ", ".join(allowed),
                )
        return node.value

    def text(self, node: Node, where: str) -> str:
        if not isinstance(node.value, str) or not node.value.strip():
            hint = "quote the value" if isinstance(node.value, bool | int | float) else None
            raise self.error(node, f"{where} must be a non-empty text", hint)
        return node.value.strip()

    def texts(self, node: Node, where: str) -> tuple[str, ...]:
        items = _listed(node)
        if not items:
            raise self.error(node, f"{where} must not be empty")
        return tuple(self.text(item, where) for item in items)

    def duration(self, node: Node, where: str) -> timedelta:
        try:
            return parse_duration(self.text(node, where))
        except ValueError as exc:
            raise self.error(
                node, f"{where}: {exc}", hint="write a number and a unit: 30s, 5m, 2h, 1d"
            ) from None

    def build(self, root: Node) -> Config:
        top = self.mapping(root, "top", "the config")
        tz = self.timezone(top.get("timezone"))
        database = self.database(top.get("database"))
        defaults = self.mapping(top["defaults"], "defaults", "defaults") if "defaults" in top else {}
        channels = self.channels(top.get("channels"))
        ops = self.ops(top["ops"], channels) if "ops" in top else None
        sources = self.sources(top.get("sources"), defaults)
        concepts = self.concepts(top.get("concepts"))
        rules, rule_nodes = self.rules(top.get("rules"), channels, {s.name for s in sources})
        ruleset = self.compile(rules, rule_nodes, concepts)
        return Config(
            path=Path(self.path),
            database=database,
            timezone=tz,
            channels=channels,
            sources=sources,
            concepts=concepts,
            rules=rules,
            ruleset=ruleset,
            warnings=tuple(ruleset.warnings),
            delivery=self.delivery(top["delivery"]) if "delivery" in top else DeliveryConfig(),
            ops=ops,
            workers=self.workers(top["workers"]) if "workers" in top else None,
        )

    def workers(self, node: Node) -> int:
        if isinstance(node.value, bool) or not isinstance(node.value, int) or not 0 <= node.value <= 64:
            raise self.error(
                node, "workers must be a whole number from 0 to 64", hint="0 reads pages in the main process"
            )
        return node.value

    def timezone(self, node: Node | None) -> ZoneInfo:
        if node is None:
            return ZoneInfo("UTC")
        name = self.text(node, "timezone")
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.error(
                node, f"unknown time zone '{name}'", hint="use an IANA name such as Asia/Jakarta"
            ) from None

    def database(self, node: Node | None) -> str:
        url = "sqlite:///pantau.db" if node is None else self.text(node, "database")
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            file = Path(url.removeprefix("sqlite:///"))
            return "sqlite:///" + str(file if file.is_absolute() else self.folder / file)
        if url.startswith(("postgresql://", "postgres://")):
            return "postgresql+psycopg://" + url.split("://", 1)[1]
        if url.startswith(("postgresql+", "sqlite")):
            return url
        raise self.error(
            node or Node(url, 1), "database must be a sqlite:/// or postgresql:// URL", "sqlite:///pantau.db"
        )

    def channels(self, node: Node | None) -> dict[str, ChannelConfig]:
        if node is None:
            return {}
        if not isinstance(node.value, dict):
            raise self.error(node, "channels must map a channel name to an Apprise URL or a list of them")
        return {name: self.channel(name, value) for name, value in node.value.items()}

    def channel(self, name: str, node: Node) -> ChannelConfig:
        where = f"channel '{name}'"
        keys = self.mapping(node, "channel", where) if isinstance(node.value, dict) else {"urls": node}
        if "urls" not in keys:
            raise self.error(node, f"{where} needs 'urls'")
        urls_node = keys["urls"]
        urls = self.texts(urls_node, where)
        for item, url in zip(_listed(urls_node), urls, strict=True):
            problem = validate_channel_url(url)
            if problem:
                raise self.error(item, f"{where}: {problem}", hint="see the Apprise URL formats")
        fmt = self.text(keys["format"], f"{where}: format") if "format" in keys else "markdown"
        if fmt not in FORMATS:
            raise self.error(
                keys["format"], f"{where}: format must be one of {', '.join(FORMATS)}, not {fmt!r}"
            )
        return ChannelConfig(
            name=name,
            urls=urls,
            format=fmt,
            max_items=self.count(keys["max_items"], f"{where}: max_items") if "max_items" in keys else 50,
            quiet=self.quiet(keys["quiet"], where) if "quiet" in keys else None,
            quiet_digest=self.flag(keys.get("quiet_digest"), f"{where}: quiet_digest"),
            max_per_hour=self.count(keys["max_per_hour"], f"{where}: max_per_hour")
            if "max_per_hour" in keys
            else None,
            template=self.template(keys["template"], where, fmt) if "template" in keys else None,
        )

    def count(self, node: Node, where: str) -> int:
        if isinstance(node.value, bool) or not isinstance(node.value, int) or node.value < 1:
            raise self.error(node, f"{where} must be a whole number of at least 1")
        return node.value

    def flag(self, node: Node | None, where: str) -> bool:
        if node is None:
            return False
        if not isinstance(node.value, bool):
            raise self.error(node, f"{where} must be true or false")
        return node.value

    def quiet(self, node: Node, where: str) -> QuietHours:
        try:
            return parse_quiet(self.text(node, f"{where}: quiet"))
        except ValueError as exc:
            raise self.error(node, f"{where}: quiet: {exc}", hint="e.g. 22:00-06:00") from None

    def template(self, node: Node, where: str, fmt: str) -> str:
        text = self.text(node, f"{where}: template")
        problem = check_template(text, fmt)
        if problem:
            raise self.error(node, f"{where}: {problem}")
        return text

    def delivery(self, node: Node) -> DeliveryConfig:
        keys = self.mapping(node, "delivery", "delivery")
        return DeliveryConfig(
            max_attempts=self.count(keys["max_attempts"], "delivery: max_attempts")
            if "max_attempts" in keys
            else 10,
            give_up_after=self.duration(keys["give_up_after"], "delivery: give_up_after")
            if "give_up_after" in keys
            else timedelta(days=2),
        )

    def ops(self, node: Node, channels: Mapping[str, ChannelConfig]) -> OpsConfig:
        keys = self.mapping(node, "ops", "ops")
        if "channel" not in keys:
            raise self.error(node, "ops needs 'channel'")
        channel = self.text(keys["channel"], "ops: channel")
        self.known(keys["channel"], (channel,), "channel", channels, "ops")
        failures = (
            self.count(keys["after_failures"], "ops: after_failures") if "after_failures" in keys else 3
        )
        store_down_after = (
            self.duration(keys["store_down_after"], "ops: store_down_after")
            if "store_down_after" in keys
            else timedelta(minutes=3)
        )
        return OpsConfig(channel=channel, after_failures=failures, store_down_after=store_down_after)

    def sources(self, node: Node | None, defaults: dict[str, Node]) -> tuple[SourceConfig, ...]:
        if node is None:
            return ()
        if not isinstance(node.value, list):
            raise self.error(node, "sources must be a list (each item starts with '- name: …')")
        seen: set[str] = set()
        out = []
        for item in node.value:
            source = self.source(item, defaults)
            if source.name in seen:
                raise self.error(item, f"duplicate source name '{source.name}'")
            seen.add(source.name)
            out.append(source)
        return tuple(out)

    def source(self, node: Node, defaults: dict[str, Node]) -> SourceConfig:
        keys = self.mapping(node, "source", "a source")
        for required in ("name", "url"):
            if required not in keys:
                raise self.error(node, f"a source needs '{required}'")
        name = self.name(keys["name"], "source")
        where = f"source '{name}'"
        url = self.text(keys["url"], f"{where}: url")
        if not _HTTP_URL.match(url):
            raise self.error(keys["url"], f"{where}: url must start with http:// or https:// ({url!r})")

        def pick(key: str) -> Node | None:
            return keys.get(key, defaults.get(key))

        every_node, ua_node, timeout_node = pick("every"), pick("user_agent"), pick("timeout")
        stale_node = pick("stale_after")
        links = self.selector(keys["links"], f"{where}: links") if "links" in keys else None
        pattern = self.pattern(keys["link_pattern"], where) if "link_pattern" in keys else None
        return SourceConfig(
            name=name,
            url=url,
            every=self.duration(every_node, f"{where}: every") if every_node else timedelta(minutes=10),
            user_agent=self.text(ua_node, f"{where}: user_agent") if ua_node else DEFAULT_USER_AGENT,
            timeout=self.duration(timeout_node, f"{where}: timeout").total_seconds()
            if timeout_node
            else 30.0,
            links=links,
            link_pattern=pattern,
            article=self.article(keys["article"], where) if "article" in keys else None,
            stale_after=self.duration(stale_node, f"{where}: stale_after") if stale_node else None,
        )

    def name(self, node: Node, kind: str, name: str | None = None) -> str:
        """`name` when given (a mapping key), else the text of `node`, checked as a name of a `kind`."""
        if name is None:
            name = self.text(node, f"{kind} name")
        if not _NAME.match(name):
            raise self.error(node, f"{kind} name '{name}' may only use letters, digits, '_', '-' and '.'")
        return name

    def known(self, node: Node, names: tuple[str, ...], kind: str, known: Collection[str], who: str) -> None:
        """Every one of `names` must be a defined `kind` (channel, source) that `who` may refer to."""
        for ref in names:
            if ref not in known:
                raise self.error(node, f"{who} names unknown {kind} '{ref}'", _known(f"{kind}s", known))

    def selector(self, node: Node, where: str) -> str:
        css = self.text(node, where)
        if selector_error(css):
            raise self.error(node, f"{where}: invalid CSS selector {css!r}")
        return css

    def pattern(self, node: Node, where: str) -> re.Pattern[str]:
        text = self.text(node, f"{where}: link_pattern")
        try:
            return re.compile(text)
        except re.error as exc:
            raise self.error(
                node, f"{where}: link_pattern is not a valid regular expression: {exc}"
            ) from None

    def article(self, node: Node, where: str) -> ArticleSelectors:
        keys = self.mapping(node, "article", f"{where}: article")
        get = {
            k: self.selector(keys[k], f"{where}: article.{k}")
            for k in ("body", "title", "published")
            if k in keys
        }
        drop: tuple[str, ...] = ()
        if "drop" in keys:
            drop = tuple(self.selector(item, f"{where}: article.drop") for item in _listed(keys["drop"]))
        return ArticleSelectors(
            body=get.get("body"), title=get.get("title"), published=get.get("published"), drop=drop
        )

    def concepts(self, node: Node | None) -> dict[str, Concept]:
        if node is None:
            return {}
        if not isinstance(node.value, dict):
            raise self.error(node, "concepts must map a concept name to a list of terms")
        out: dict[str, Concept] = {}
        for name, value in node.value.items():
            self.name(value, "concept", name)
            if isinstance(value.value, dict):
                terms = {
                    lang: self.texts(items, f"concept '{name}' ({lang})")
                    for lang, items in value.value.items()
                }
                for lang, items in value.value.items():
                    if not re.match(r"^[a-z]{2,3}$", lang):
                        raise self.error(
                            items, f"concept '{name}': '{lang}' is not a language code", "use en, id, ja…"
                        )
            else:
                terms = {"*": self.texts(value, f"concept '{name}'")}
            out[name] = Concept(name=name, terms=terms)
        return out

    def rules(
        self, node: Node | None, channels: Mapping[str, object], sources: set[str]
    ) -> tuple[tuple[RuleConfig, ...], dict[str, dict[str, Node]]]:
        if node is None:
            return (), {}
        if not isinstance(node.value, list):
            raise self.error(node, "rules must be a list (each item starts with '- name: …')")
        out: list[RuleConfig] = []
        nodes: dict[str, dict[str, Node]] = {}
        for item in node.value:
            rule, keys = self.rule(item, channels, sources, nodes)
            nodes[rule.name] = keys
            out.append(rule)
        return tuple(out), nodes

    def rule(
        self, node: Node, channels: Mapping[str, object], sources: set[str], taken: Collection[str]
    ) -> tuple[RuleConfig, dict[str, Node]]:
        keys = self.mapping(node, "rule", "a rule")
        for required in ("name", "match", "notify"):
            if required not in keys:
                raise self.error(node, f"a rule needs '{required}'")
        name = self.name(keys["name"], "rule")
        if name in taken:
            raise self.error(node, f"duplicate rule name '{name}'")
        where = f"rule '{name}'"
        notify = self.texts(keys["notify"], f"{where}: notify")
        self.known(keys["notify"], notify, "channel", channels, where)
        only = self.texts(keys["sources"], f"{where}: sources") if "sources" in keys else None
        if only is not None:
            self.known(keys["sources"], only, "source", sources, where)
        digest_text, digest = self.digest(keys["digest"], where) if "digest" in keys else (None, None)
        stem = self.flag(keys.get("stem"), f"{where}: stem")
        repeat = self.text(keys["repeat"], f"{where}: repeat") if "repeat" in keys else "per-story"
        if repeat not in REPEAT_MODES:
            raise self.error(
                keys["repeat"],
                f"{where}: repeat must be per-story or per-source, not '{repeat}'",
                "per-story alerts once per story; per-source once per outlet that reports it",
            )
        rule = RuleConfig(
            name,
            self.text(keys["match"], f"{where}: match"),
            notify,
            only,
            digest,
            digest_text,
            stem,
            quiet=self.quiet(keys["quiet"], where) if "quiet" in keys else None,
            urgent=self.flag(keys.get("urgent"), f"{where}: urgent"),
            template=self.template(keys["template"], where, "markdown") if "template" in keys else None,
            digest_empty=self.flag(keys.get("digest_empty"), f"{where}: digest_empty"),
            repeat=repeat,
        )
        return rule, keys

    def digest(self, node: Node, where: str) -> tuple[str, Digest]:
        """The schedule as written (shown by `pantau check`) and as parsed."""
        text = self.text(node, f"{where}: digest")
        try:
            return text, parse_digest(text)
        except ValueError as exc:
            raise self.error(
                node, f"{where}: digest: {exc}", "daily 08:00, weekdays 07:30 or every 2h"
            ) from None

    def compile(
        self,
        rules: tuple[RuleConfig, ...],
        nodes: dict[str, dict[str, Node]],
        concepts: Mapping[str, Concept],
    ) -> RuleSet:
        specs = [
            RuleSpec(r.name, r.match, frozenset(r.sources) if r.sources else None, r.stem) for r in rules
        ]
        try:
            return compile_rules(specs, concepts)
        except RuleError as exc:
            rule = exc.rule
            node = nodes[rule]["match"] if rule in nodes else Node(None, 1)
            raise self.error(node, f"rule '{rule}': match: {exc}") from None


def _listed(node: Node) -> list[Node]:
    """The items of a YAML list, or the one value where a list may be written as a single item."""
    return node.value if isinstance(node.value, list) else [node]


def _closest(key: str, allowed: Mapping[str, object]) -> str | None:
    import difflib

    found = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    return found[0] if found else None


def _known(kind: str, names: Any) -> str:
    return f"known {kind}: " + (", ".join(sorted(names)) or "none defined")


def describe_channel(channel: ChannelConfig) -> str:
    text = ", ".join(redact_url(url) for url in channel.urls)
    options = [f"format {channel.format}"] if channel.format != "markdown" else []
    if channel.quiet:
        options.append(f"quiet {channel.quiet.start:%H:%M}-{channel.quiet.end:%H:%M}")
    if channel.max_per_hour:
        options.append(f"at most {channel.max_per_hour}/hour")
    return text + (f"  ({', '.join(options)})" if options else "")
