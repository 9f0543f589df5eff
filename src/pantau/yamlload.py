"""Read YAML while remembering where every value came from, and substitute ${VAR} from the environment.

Config errors must say `PATH:LINE:`, so values are loaded as `Node`s that carry their line. Substitution
happens per scalar after parsing, so a secret never changes the line numbers and an unset variable is
reported at the line that used it. This module never decides what a valid config is: config.py does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import yaml

from pantau.errors import ConfigError, ConfigErrors

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True)
class Node:
    """A YAML value with the 1-based line where it starts."""

    value: Any  # str | int | float | bool | None | list[Node] | dict[str, Node]
    line: int
    key_line: int | None = None  # for a mapping value: the line of its key (a nested block starts below)
    env: tuple[tuple[str, str], ...] = ()  # (variable, value) substituted from the environment here

    @property
    def where(self) -> int:
        """The line an error about this value (or its key) belongs on."""
        return self.key_line or self.line


def load_yaml(text: str, path: str, env: Mapping[str, str]) -> Node:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, path) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML syntax error: {exc}", path=path) from None
    if root is None:
        raise ConfigError("the file is empty", path=path, line=1)
    reader = _Reader(path, env)
    converted = reader.convert(root)
    if reader.errors:  # every unset variable and duplicate key at once, not one per run
        raise ConfigErrors(reader.errors)
    return converted


_OPENED = {
    "while scanning a quoted scalar": ("a quoted value opened here is never closed", "close the quote"),
    "while parsing a flow sequence": ("a '[' list opened here is never closed", "close it with ']'"),
    "while parsing a flow mapping": ("a '{' mapping opened here is never closed", "close it with '}'"),
}


def _syntax_error(exc: yaml.MarkedYAMLError, path: str) -> ConfigError:
    """At the line where an unclosed quote or bracket was opened, not where the parser gave up."""
    gave_up = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
    opened = _OPENED.get(exc.context or "")
    if opened is not None and exc.context_mark is not None:
        message, hint = opened
        if gave_up is not None:
            message += f" (the parser gave up at line {gave_up})"
        return ConfigError(
            f"YAML syntax error: {message}", path=path, line=exc.context_mark.line + 1, hint=hint
        )
    mark = exc.problem_mark or exc.context_mark
    return ConfigError(
        f"YAML syntax error: {exc.problem or exc.context or 'invalid YAML'}",
        path=path,
        line=mark.line + 1 if mark is not None else None,
        hint="check indentation and quote values that contain ': ' or start with a special character",
    )


# One constructor for every plain scalar (numbers, booleans, null): it keeps no state between scalars.
_SCALARS = yaml.SafeLoader("")


class _Reader:
    """PyYAML nodes -> Node, collecting each problem (and going on) rather than stopping at the first."""

    def __init__(self, path: str, env: Mapping[str, str]) -> None:
        self.path = path
        self.env = env
        self.errors: list[ConfigError] = []

    def error(self, line: int, message: str, hint: str | None = None) -> None:
        self.errors.append(ConfigError(message, path=self.path, line=line, hint=hint))

    def convert(self, node: yaml.Node) -> Node:
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Node] = {}
            for key_node, value_node in node.value:
                key, key_line = key_node.value, key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode):
                    self.error(key_line, "mapping keys must be plain words")
                elif key == "<<":
                    self.error(key_line, "YAML merge keys (<<) are not supported", "repeat the keys instead")
                elif key in out:
                    self.error(key_line, f"duplicate key '{key}'", f"the first is on line {out[key].where}")
                else:
                    out[str(key)] = replace(self.convert(value_node), key_line=key_line)
            return Node(out, line)
        if isinstance(node, yaml.SequenceNode):
            return Node([self.convert(item) for item in node.value], line)
        assert isinstance(node, yaml.ScalarNode)
        value = _SCALARS.construct_object(node) if node.tag != "tag:yaml.org,2002:str" else node.value
        used: list[tuple[str, str]] = []
        if isinstance(value, str):
            try:
                value = substitute(value, self.env, path=self.path, line=line, used=used)
            except ConfigErrors as exc:
                self.errors += exc.errors
        elif not isinstance(value, int | float | bool | type(None)):
            value = str(node.value)  # dates and other YAML types are kept as the text the user wrote
        return Node(value, line, env=tuple(used))


def substitute(
    text: str, env: Mapping[str, str], *, path: str, line: int, used: list[tuple[str, str]] | None = None
) -> str:
    """`text` with ${VAR} and ${VAR:-default} replaced; the values taken from `env` are added to `used`.
    Every unset variable without a default is reported (ConfigErrors), not only the first."""
    unset: list[ConfigError] = []

    def value_of(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            if used is not None:
                used.append((name, env[name]))
            return env[name]
        if default is not None:
            return default
        unset.append(
            ConfigError(
                f"environment variable {name} is not set",
                path=path,
                line=line,
                hint=f"export {name}=… before starting pantau, or write ${{{name}:-default}}",
            )
        )
        return ""

    text = _VAR.sub(value_of, text)
    if unset:
        raise ConfigErrors(unset)
    return text
