"""The one table of config keys: name, type, default and help per section.

It drives validation (config.build reads each key through its type), the README's reference (a test
checks that every key is documented) and the JSON Schema that `pantau schema` prints, so the three cannot
drift. Adding a key is one line here plus the field it fills; only checks that need code (names that must
exist, duplicates, queries) live in the builder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pantau.channels import FORMATS

REPEAT_MODES = ("per-story", "per-source")
DEFAULT_USER_AGENT = "pantau/0.1 (news monitor)"


@dataclass(frozen=True)
class Key:
    """One config key. `type` names a value type (see TYPES) or, for a nested block, a section of KEYS;
    `default` is written as a user would write it in config.yaml (None: no default)."""

    name: str
    type: str
    help: str
    default: Any = None
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    hint: str | None = None  # shown with an error when the value's type has no better one


def _keys(*keys: Key) -> dict[str, Key]:
    return {key.name: key for key in keys}


_SOURCE_SHARED = (
    Key("every", "duration", "how often to poll: 30s, 5m, 2h, 1d", default="10m"),
    Key("user_agent", "text", "User-Agent header sent to outlets", default=DEFAULT_USER_AGENT),
    Key("timeout", "duration", "overall deadline for one HTTP request", default="30s"),
    Key("stale_after", "duration", "ops alert when a source yields no new article for this long (e.g. 1d)"),
    Key(
        "max_age",
        "duration_or_off",
        "articles published longer ago are stored but never alerted (off: no limit)",
        default="3d",
    ),
    Key(
        "recheck",
        "duration_or_off",
        "fetch new articles again for this long after first seen, to read updates (off: never)",
        default="6h",
    ),
)

# section -> key name -> Key. "top" is the file itself.
KEYS: dict[str, dict[str, Key]] = {
    "top": _keys(
        Key(
            "database",
            "database",
            "SQLAlchemy URL of the store; sqlite:///FILE (relative to config.yaml) or postgresql://…",
            default="sqlite:///pantau.db",
        ),
        Key("timezone", "timezone", "IANA time zone for digests, quiet hours and displayed times", "UTC"),
        Key("defaults", "defaults", "settings every source inherits unless it sets its own"),
        Key(
            "channels",
            "channels",
            "channel name -> one Apprise URL, a list of them, or a mapping with `urls`",
        ),
        Key("delivery", "delivery", "how long failed deliveries are retried: max_attempts, give_up_after"),
        Key("ops", "ops", "alerts about pantau itself (failing or silent sources, dying deliveries)"),
        Key("sources", "sources", "the outlets to poll"),
        Key("concepts", "concepts", "concept name -> list of terms, or a mapping of language code -> terms"),
        Key("rules", "rules", "the watch rules"),
        Key(
            "workers",
            "integer",
            "processes that read article pages beside the main one (default: CPUs - 1, at most 3; 0: none)",
            minimum=0,
            maximum=64,
            hint="0 reads pages in the main process",
        ),
        Key(
            "log_summary",
            "duration",
            "how often `pantau run` logs a one-line summary: polls, new articles, alerts, pending deliveries",
            default="10m",
        ),
        Key("web", "web", "the read-only web view that `pantau run` serves: listen, password"),
        Key(
            "cluster",
            "flag",
            "true: `pantau run` on several machines shares the work through a job queue in PostgreSQL",
            default=False,
        ),
    ),
    "defaults": _keys(*_SOURCE_SHARED),
    "source": _keys(
        Key(
            "name", "name", "unique name of the source (used in rules, `source:` and commands)", required=True
        ),
        Key("url", "http_url", "a feed, sitemap or HTML listing page (http or https)", required=True),
        Key("links", "selector", "CSS selector for article links on an HTML listing page"),
        Key("link_pattern", "pattern", "regular expression that an article URL must match"),
        Key("article", "article", "optional CSS selectors for article pages: body, title, published, drop"),
        *_SOURCE_SHARED,
    ),
    "channel": _keys(
        Key("urls", "channel_urls", "one Apprise URL or a list of them", required=True),
        Key("format", "choice", "message format", default="markdown", choices=FORMATS),
        Key("max_items", "count", "most alerts in one digest message; longer digests are split", default=50),
        Key("quiet", "quiet", "quiet hours in the configured time zone, e.g. 22:00-06:00"),
        Key("quiet_digest", "flag", "true: what waited out the quiet hours goes out as one digest", False),
        Key("max_per_hour", "count", "most messages per hour; the excess is folded into one summary"),
        Key("template", "template", "Jinja2 template for the message body (sandboxed, values escaped)"),
    ),
    "delivery": _keys(
        Key("max_attempts", "count", "attempts before a delivery is given up as dead", default=10),
        Key("give_up_after", "duration", "age after which a failing delivery is dead", default="2d"),
    ),
    "ops": _keys(
        Key("channel", "ref", "the channel for alerts about pantau itself", required=True),
        Key("after_failures", "count", "alert when a source has failed this many polls in a row", default=3),
        Key(
            "store_down_after",
            "duration",
            "alert when the database has been unavailable this long, and again when it is back",
            default="3m",
        ),
    ),
    "article": _keys(
        Key("body", "selector", "CSS selector of the article body"),
        Key("title", "selector", "CSS selector of the headline"),
        Key("published", "selector", "CSS selector of the element holding the publication time"),
        Key("drop", "selectors", "CSS selectors of elements to remove before extraction"),
    ),
    "web": _keys(
        Key("listen", "listen", "HOST:PORT the web view answers on ([::1]:8787 for IPv6)", "127.0.0.1:8787"),
        Key(
            "password", "text", "HTTP basic auth password (any user name); required unless listen is loopback"
        ),
    ),
    "rule": _keys(
        Key("name", "name", "unique name of the rule", required=True),
        Key("match", "text", "the query (see the query language)", required=True),
        Key("notify", "refs", "a channel name or a list of them", required=True),
        Key("sources", "refs", "only articles from these sources"),
        Key("digest", "digest", "batch alerts into one message: daily 08:00, weekdays 07:30, every 2h"),
        Key("stem", "flag", "also match Indonesian word forms", default=False),
        Key("quiet", "quiet", "quiet hours for this rule's alerts, e.g. 22:00-06:00"),
        Key("urgent", "flag", "true sends at once even in quiet hours", default=False),
        Key("template", "template", "Jinja2 template for this rule's message bodies"),
        Key("digest_empty", "flag", "true sends a digest even when the period had nothing", default=False),
        Key("repeat", "choice", "one alert per story, or one per outlet", "per-story", choices=REPEAT_MODES),
    ),
}

# How each value type looks in JSON Schema. Sections (a type that names a KEYS section) are objects.
_TEXT = {"type": "string", "minLength": 1}
_TEXTS = {"anyOf": [_TEXT, {"type": "array", "items": _TEXT, "minItems": 1}]}
_NAME = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]*$"}


def _written(pattern: str) -> dict[str, Any]:
    """A string matching `pattern`, or one that starts with a ${VAR} filled in at load."""
    return {"type": "string", "pattern": f"^(?:\\$\\{{|{pattern.removeprefix('^')})"}


TYPES: dict[str, dict[str, Any]] = {
    "text": _TEXT,
    "name": _NAME,
    "ref": _TEXT,
    "refs": _TEXTS,
    "selector": _TEXT,
    "selectors": _TEXTS,
    "pattern": _TEXT,
    "template": _TEXT,
    "timezone": _TEXT,
    "database": _written("^(sqlite|postgres(ql)?(\\+psycopg)?)://"),
    "http_url": _written("^https?://[^/\\s]+"),
    "channel_urls": _TEXTS,
    "duration": _written("^\\s*(\\d+\\s*[smhdSMHD]\\s*)+$"),
    "duration_or_off": {"anyOf": [_written("^\\s*((\\d+\\s*[smhdSMHD]\\s*)+|off)$"), {"const": False}]},
    "quiet": _written("^\\s*\\d{1,2}:\\d{2}\\s*-\\s*\\d{1,2}:\\d{2}\\s*$"),
    "digest": _TEXT,
    "listen": _written("^(\\[[0-9A-Fa-f:.]+\\]|[^:\\s\\[\\]]+):\\d{1,5}$"),
    "count": {"type": "integer", "minimum": 1},
    "integer": {"type": "integer"},
    "flag": {"type": "boolean"},
    "choice": {"type": "string"},
    "channels": {
        "type": "object",
        "additionalProperties": {"anyOf": [_TEXTS, {"$ref": "#/$defs/channel"}]},
    },
    "sources": {"type": "array", "items": {"$ref": "#/$defs/source"}},
    "rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}},
    "concepts": {
        "type": "object",
        "propertyNames": _NAME,
        "additionalProperties": {
            "anyOf": [
                _TEXTS,
                {
                    "type": "object",
                    "propertyNames": {"pattern": "^[a-z]{2,3}$"},
                    "additionalProperties": _TEXTS,
                },
            ]
        },
    },
}


def key_schema(key: Key) -> dict[str, Any]:
    if key.type in KEYS:
        schema: dict[str, Any] = {"$ref": f"#/$defs/{key.type}"}
    else:
        schema = dict(TYPES[key.type])
    if key.choices:
        schema["enum"] = list(key.choices)
    if key.minimum is not None:
        schema["minimum"] = key.minimum
    if key.maximum is not None:
        schema["maximum"] = key.maximum
    schema["description"] = key.help
    if key.default is not None:
        schema["default"] = key.default
    return schema


def section_schema(section: str) -> dict[str, Any]:
    keys = KEYS[section]
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {name: key_schema(key) for name, key in keys.items()},
        "additionalProperties": False,
    }
    required = [name for name, key in keys.items() if key.required]
    if required:
        schema["required"] = required
    return schema


def json_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of config.yaml, generated from KEYS."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "pantau config.yaml",
        **section_schema("top"),
        "$defs": {section: section_schema(section) for section in KEYS if section != "top"},
    }
