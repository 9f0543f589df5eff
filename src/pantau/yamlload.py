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

from pantau.errors import ConfigError

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
    return _convert(root, path, env)


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


def _convert(node: yaml.Node, path: str, env: Mapping[str, str]) -> Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConfigError(
                    "mapping keys must be plain words", path=path, line=key_node.start_mark.line + 1
                )
            if key == "<<":
                raise ConfigError("YAML merge keys (<<) are not supported", path=path, line=line)
            if key in out:
                raise ConfigError(f"duplicate key '{key}'", path=path, line=key_node.start_mark.line + 1)
            child = _convert(value_node, path, env)
            out[str(key)] = replace(child, key_line=key_node.start_mark.line + 1)
        return Node(out, line)
    if isinstance(node, yaml.SequenceNode):
        return Node([_convert(item, path, env) for item in node.value], line)
    assert isinstance(node, yaml.ScalarNode)
    value = _SCALARS.construct_object(node) if node.tag != "tag:yaml.org,2002:str" else node.value
    used: list[tuple[str, str]] = []
    if isinstance(value, str):
        value = substitute(value, env, path=path, line=line, used=used)
    elif not isinstance(value, int | float | bool | type(None)):
        value = str(node.value)  # dates and other YAML types are kept as the text the user wrote
    return Node(value, line, env=tuple(used))


def substitute(
    text: str, env: Mapping[str, str], *, path: str, line: int, used: list[tuple[str, str]] | None = None
) -> str:
    """`text` with ${VAR} and ${VAR:-default} replaced; the values taken from `env` are added to `used`."""

    def value_of(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            if used is not None:
                used.append((name, env[name]))
            return env[name]
        if default is not None:
            return default
        raise ConfigError(
            f"environment variable {name} is not set",
            path=path,
            line=line,
            hint=f"export {name}=… before starting pantau, or write ${{{name}:-default}}",
        )

    return _VAR.sub(value_of, text)
