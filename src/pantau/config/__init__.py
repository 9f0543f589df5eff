"""config.yaml -> a validated, typed, immutable Config.

Everything a poll at 3 a.m. could trip over is checked here, at load: unknown keys, duplicate names,
durations, CSS selectors, regular expressions, channel URLs, ports, the database driver, concepts and every
rule's query (compiled once into the RuleSet the pipeline uses). Every mistake in the file is reported in
one ConfigError (ConfigErrors when there are several) that reads `PATH:LINE: message`, ordered by line,
and none of them shows a secret. This package reads the file and the environment it is given; it never
touches the network or the store.

    keys.py    the table of keys (name, type, default, help) -> validation, README reference, JSON Schema
    values.py  one reader per value type
    build.py   the checks that need code: references, duplicates, inheritance, compiling the rules
    model.py   the frozen dataclasses every stage reads
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pantau.channels import FORMATS
from pantau.config.build import Builder
from pantau.config.keys import DEFAULT_USER_AGENT, KEYS, REPEAT_MODES, Key, json_schema
from pantau.config.model import (
    ChannelConfig,
    Config,
    DeliveryConfig,
    OpsConfig,
    RuleConfig,
    SourceConfig,
    WebConfig,
    describe_channel,
)
from pantau.errors import ConfigError
from pantau.yamlload import load_yaml

__all__ = [
    "DEFAULT_USER_AGENT",
    "FORMATS",
    "KEYS",
    "REPEAT_MODES",
    "ChannelConfig",
    "Config",
    "DeliveryConfig",
    "Key",
    "OpsConfig",
    "RuleConfig",
    "SourceConfig",
    "WebConfig",
    "config_from_text",
    "config_path",
    "describe_channel",
    "json_schema",
    "load_config",
]


def config_path(explicit: str | None, env: Mapping[str, str]) -> Path:
    return Path(explicit or env.get("PANTAU_CONFIG") or "config.yaml")


def load_config(path: Path, env: Mapping[str, str] | None = None) -> Config:
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            "config file not found", path=shown, hint="pass --config PATH or set PANTAU_CONFIG"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the config file: {exc}", path=shown) from None
    return config_from_text(text, path, env)


def config_from_text(text: str, path: Path, env: Mapping[str, str] | None = None) -> Config:
    """The config `text` holds, read as if from `path` (relative paths resolve against its folder).
    Cluster mode loads the config another instance published this way."""
    env = os.environ if env is None else env
    root = load_yaml(text, str(path), env)
    return Builder(str(path), path.resolve().parent).build(root)
