"""YAML nodes -> Config, reporting every mistake it finds, each at its own line.

Each key is read through its type from the key table (config.keys, config.values); what is left here is
what needs code: names that must refer to something defined, duplicates, inheritance from `defaults`, and
compiling the rules. A mistake is recorded and reading goes on, so one `pantau check` shows them all.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from pantau.config.keys import KEYS, Key
from pantau.config.model import (
    ChannelConfig,
    Config,
    DeliveryConfig,
    OpsConfig,
    RuleConfig,
    SourceConfig,
    WebConfig,
)
from pantau.config.values import NAME, READERS, Invalid, is_loopback
from pantau.errors import ConfigError, ConfigErrors, RuleError
from pantau.models import ArticleSelectors
from pantau.redact import redact_text
from pantau.rules import Concept, RuleSet, RuleSpec, compile_rules
from pantau.yamlload import Node

_MISSING = object()
# Environment values substituted into these top-level keys are secrets wherever they come from.
_SECRET_PLACES = ("channels", "database", "sources", "web")
_SECRET_KEYS = ("password", "token", "secret")  # config keys whose value is secret even when written inline
_SECRET_NAME = re.compile(r"PASS|PWD|SECRET|TOKEN|KEY|AUTH|CRED|SIG|SESSION", re.I)


class Builder:
    def __init__(self, path: str, folder: Path) -> None:
        self.path = path
        self.folder = folder
        self.errors: list[ConfigError] = []

    def error(self, line: int, message: str, hint: str | None = None) -> None:
        self.errors.append(ConfigError(message, path=self.path, line=line, hint=hint))

    # -- reading keys through the table ---------------------------------------------------------------

    def block(self, node: Node, section: str, where: str) -> dict[str, Node] | None:
        """The known keys of a mapping; each unknown key is reported on its own line."""
        if not isinstance(node.value, dict):
            self.error(node.line, f"{where} must be a mapping of keys to values")
            return None
        allowed = KEYS[section]
        for key, value in node.value.items():
            if key not in allowed:
                close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else "known keys: " + ", ".join(allowed)
                self.error(value.where, f"unknown key '{key}' in {where}", hint)
        return {key: value for key, value in node.value.items() if key in allowed}

    def read(
        self, node: Node, section: str, where: str, inherited: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Every key of `section` that has a reader, read from `node` (else inherited, else its default)."""
        inherited = inherited or {}
        keys = self.block(node, section, where)
        if keys is None:
            return {}
        out: dict[str, Any] = {}
        for key in KEYS[section].values():
            if key.name not in keys:
                if key.required:
                    self.error(node.line, f"{where} needs '{key.name}'")
                elif key.name in inherited:
                    out[key.name] = inherited[key.name]
                elif key.default is not None and key.type in READERS:
                    out[key.name] = READERS[key.type](key.default, key)
                continue
            if key.type in READERS:
                # A channel's URL problem names the URL, so "channel 'desk': urls: …" would only add noise
                # (and `desk: mailtos://…` has no `urls` key to point at).
                label = (
                    key.name
                    if section == "top"
                    else where
                    if key.type == "channel_urls"
                    else f"{where}: {key.name}"
                )
                value = self.value(keys[key.name], key, label)
                if value is not _MISSING:
                    out[key.name] = value
        return out

    def value(self, node: Node, key: Key, where: str) -> Any:
        try:
            return READERS[key.type](plain(node), key)
        except Invalid as exc:
            joiner = " " if exc.message.startswith(("must ", "is ")) else ": "
            self.error(node.line, where + joiner + exc.message, exc.hint or key.hint)
            return _MISSING

    def known(self, node: Node, names: tuple[str, ...], kind: str, known: Collection[str], who: str) -> None:
        """Every one of `names` must be a defined `kind` (channel, source) that `who` may refer to."""
        for ref in names:
            if ref not in known:
                listing = ", ".join(sorted(known)) or "none defined"
                self.error(node.line, f"{who} names unknown {kind} '{ref}'", f"known {kind}s: {listing}")

    def items(self, node: Node | None, what: str) -> list[Node]:
        if node is None:
            return []
        if not isinstance(node.value, list):
            self.error(node.line, f"{what} must be a list (each item starts with '- name: …')")
            return []
        return list(node.value)

    # -- the file ------------------------------------------------------------------------------------

    def build(self, root: Node) -> Config:
        values = self.read(root, "top", "the config")
        top = (
            {k: v for k, v in root.value.items() if k in KEYS["top"]} if isinstance(root.value, dict) else {}
        )
        defaults = self.read(top["defaults"], "defaults", "defaults") if "defaults" in top else {}
        channels = self.channels(top.get("channels"))
        ops = self.ops(top["ops"], channels) if "ops" in top else None
        sources = self.sources(top.get("sources"), defaults)
        concepts = self.concepts(top.get("concepts"))
        rules, match_nodes = self.rules(top.get("rules"), channels, {s.name for s in sources})
        ruleset = self.compile(rules, match_nodes, concepts)
        delivery = self.read(top["delivery"], "delivery", "delivery") if "delivery" in top else {}
        web = self.web(top["web"]) if "web" in top else None
        database = self.database(values.get("database", "sqlite:///pantau.db"))
        if values.get("cluster") and not database.startswith("postgresql"):
            self.error(
                top["cluster"].line,
                "cluster: true needs a PostgreSQL database (the job queue lives there)",
                "set database: postgresql://USER@HOST/DBNAME, or remove cluster",
            )
        if self.errors:
            raise ConfigErrors([_scrubbed(error, secrets_in(root)) for error in self.errors])
        return Config(
            path=Path(self.path),
            database=database,
            timezone=values["timezone"],
            channels=channels,
            sources=sources,
            concepts=concepts,
            rules=rules,
            ruleset=ruleset,
            warnings=tuple(ruleset.warnings),
            delivery=DeliveryConfig(**delivery) if delivery else DeliveryConfig(),
            ops=ops,
            workers=values.get("workers"),
            log_summary=values["log_summary"],
            web=web,
            cluster=bool(values.get("cluster", False)),
            secrets=secrets_in(root),
        )

    def database(self, url: str) -> str:
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            file = Path(url.removeprefix("sqlite:///"))
            return "sqlite:///" + str(file if file.is_absolute() else self.folder / file)
        return url

    def channels(self, node: Node | None) -> dict[str, ChannelConfig]:
        if node is None:
            return {}
        if not isinstance(node.value, dict):
            self.error(node.line, "channels must map a channel name to an Apprise URL or a list of them")
            return {}
        out: dict[str, ChannelConfig] = {}
        for name, value in node.value.items():
            where = f"channel '{name}'"
            if not isinstance(value.value, dict):  # the short form: one URL or a list of them
                value = Node({"urls": value}, value.line)
            read = self.read(value, "channel", where)
            # A channel with a mistake still counts as defined, so rules naming it get no second error.
            out[name] = ChannelConfig(**{"urls": (), **read, "name": name})
        return out

    def ops(self, node: Node, channels: Mapping[str, ChannelConfig]) -> OpsConfig | None:
        read = self.read(node, "ops", "ops")
        if "channel" not in read:
            return None
        keys = node.value if isinstance(node.value, dict) else {}
        self.known(keys["channel"], (read["channel"],), "channel", channels, "ops")
        return OpsConfig(**read)

    def web(self, node: Node) -> WebConfig | None:
        """`web:` alone means the defaults; an address other machines can reach needs a password."""
        if node.value is None:
            node = Node({}, node.line)
        read = self.read(node, "web", "web")
        if "listen" not in read:
            return None
        (host, port), password = read["listen"], read.get("password")
        if password is None and not is_loopback(host):
            keys = node.value if isinstance(node.value, dict) else {}
            self.error(
                keys["listen"].line if "listen" in keys else node.line,
                f"web: listen on {host}:{port} is reachable from other machines but web.password is not set",
                "set web.password (e.g. ${PANTAU_WEB_PASSWORD}) or listen on 127.0.0.1",
            )
        return WebConfig(host, port, password)

    def sources(self, node: Node | None, defaults: Mapping[str, Any]) -> tuple[SourceConfig, ...]:
        seen: set[str] = set()
        out = []
        for item in self.items(node, "sources"):
            read = self.read(item, "source", _label(item, "source"), defaults)
            name = read.get("name")
            if name is None:
                continue
            if name in seen:
                self.error(item.line, f"duplicate source name '{name}'")
            seen.add(name)
            if "article" in item.value:
                read["article"] = self.article(item.value["article"], f"source '{name}'")
            out.append(
                SourceConfig(
                    **{
                        "url": "",
                        **read,
                        "timeout": read["timeout"].total_seconds() if "timeout" in read else 30.0,
                    }
                )
            )
        return tuple(out)

    def article(self, node: Node, where: str) -> ArticleSelectors:
        read = self.read(node, "article", f"{where}: article")
        return ArticleSelectors(
            body=read.get("body"),
            title=read.get("title"),
            published=read.get("published"),
            drop=read.get("drop", ()),
        )

    def concepts(self, node: Node | None) -> dict[str, Concept]:
        if node is None:
            return {}
        if not isinstance(node.value, dict):
            self.error(node.line, "concepts must map a concept name to a list of terms")
            return {}
        out: dict[str, Concept] = {}
        text_list = Key("terms", "refs", "")
        for name, value in node.value.items():
            where = f"concept '{name}'"
            self.value(Node(name, value.where), Key("name", "name", ""), "concept name")
            if isinstance(value.value, dict):
                terms = {}
                for lang, items in value.value.items():
                    if not re.match(r"^[a-z]{2,3}$", lang):
                        self.error(
                            items.where, f"{where}: '{lang}' is not a language code", "use en, id, ja…"
                        )
                    terms[lang] = self.value(items, text_list, f"{where} ({lang})")
            else:
                terms = {"*": self.value(value, text_list, where)}
            out[name] = Concept(name=name, terms={k: v for k, v in terms.items() if v is not _MISSING})
        return out

    def rules(
        self, node: Node | None, channels: Collection[str], sources: Collection[str]
    ) -> tuple[tuple[RuleConfig, ...], dict[str, Node]]:
        out: list[RuleConfig] = []
        matches: dict[str, Node] = {}
        for item in self.items(node, "rules"):
            read = self.read(item, "rule", _label(item, "rule"))
            name = read.get("name")
            if name is None or "match" not in read or "notify" not in read:
                continue
            if name in matches:
                self.error(item.line, f"duplicate rule name '{name}'")
                continue
            keys: dict[str, Node] = item.value
            where = f"rule '{name}'"
            self.known(keys["notify"], read["notify"], "channel", channels, where)
            if "sources" in read:
                self.known(keys["sources"], read["sources"], "source", sources, where)
            matches[name] = keys["match"]
            digest = read.get("digest")
            out.append(RuleConfig(**read, digest_text=digest.text if digest else None))
        return tuple(out), matches

    def compile(
        self, rules: tuple[RuleConfig, ...], matches: Mapping[str, Node], concepts: Mapping[str, Concept]
    ) -> RuleSet:
        specs = [
            RuleSpec(r.name, r.match, frozenset(r.sources) if r.sources else None, r.stem) for r in rules
        ]
        try:
            return compile_rules(specs, concepts)
        except RuleError as first:
            # Compile each alone to find every bad query, not only the first.
            found = False
            for spec in specs:
                try:
                    compile_rules([spec], concepts)
                except RuleError as exc:
                    found = True
                    self.error(matches[spec.name].line, f"rule '{spec.name}': match: {exc}")
            if not found:
                rule = first.rule or ""
                self.error(matches[rule].line if rule in matches else 1, f"rule '{rule}': match: {first}")
            return compile_rules([], {})


def _scrubbed(error: ConfigError, secrets: frozenset[str]) -> ConfigError:
    """The error without any value substituted from the environment into a secret place, and with every
    URL in it redacted (the messages quote what was written, after substitution)."""
    hint = redact_text(error.hint, secrets) if error.hint else None
    return ConfigError(redact_text(error.message, secrets), path=error.path, line=error.line, hint=hint)


def _label(item: Node, kind: str) -> str:
    """How errors name a list item: by its name once it has a usable one ("source 'kyodo'")."""
    name = item.value.get("name") if isinstance(item.value, dict) else None
    if name is not None and isinstance(name.value, str) and NAME.match(name.value.strip()):
        return f"{kind} '{name.value.strip()}'"
    return f"a {kind}"


def plain(node: Node) -> Any:
    """The Python value of a node, lists and mappings included."""
    if isinstance(node.value, list):
        return [plain(item) for item in node.value]
    if isinstance(node.value, dict):
        return {key: plain(item) for key, item in node.value.items()}
    return node.value


def secrets_in(root: Node) -> frozenset[str]:
    """Environment values substituted into channel, database, source or web settings, or from a variable
    whose name says it is secret: hidden from every message, log line and stored error."""
    found: set[str] = set()

    def walk(node: Node, secret_place: bool) -> None:
        for variable, value in node.env:
            if secret_place or _SECRET_NAME.search(variable):
                found.add(value)
        if isinstance(node.value, dict):
            for key, child in node.value.items():
                if key in _SECRET_KEYS and isinstance(child.value, str):
                    found.add(
                        child.value
                    )  # a password written inline is as secret as one from the environment
                walk(child, secret_place)
        elif isinstance(node.value, list):
            for child in node.value:
                walk(child, secret_place)

    if isinstance(root.value, dict):
        for key, child in root.value.items():
            walk(child, key in _SECRET_PLACES)
    return frozenset(value for value in found if value)
