"""The exception tree. Every error a user can cause or meet derives from PantauError.

PantauError
├── ConfigError        config.yaml is wrong: "PATH:LINE: message" (+ hint); exit status 2
│   └── ConfigErrors   every mistake found in one load, ordered by line: one "PATH:LINE: …" line each
├── FetchError         "fetch: ..." an HTTP request failed, timed out, was too large or not allowed
├── DiscoverError      "discover: ..." a listing page, feed or sitemap could not be read
├── ExtractError       "extract: ..." no article could be found in a page
├── RuleError          "rules: ..." a query could not be parsed or compiled (carries the column)
├── DeliveryError      "notify: ..." a channel could not be reached
└── WebError           "web: ..." the web view cannot listen on its address

The CLI turns each into one line and an exit code; nothing else prints them.
"""

from __future__ import annotations


class PantauError(Exception):
    """Base of every error pantau reports to a user."""


class ConfigError(PantauError):
    def __init__(
        self, message: str, *, path: str | None = None, line: int | None = None, hint: str | None = None
    ):
        self.message = message
        self.path = path
        self.line = line
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line is not None else f"{self.path}: "
        text = where + self.message
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def lines(self) -> list[str]:
        """One line per error (several for ConfigErrors)."""
        return [str(self)]


class ConfigErrors(ConfigError):
    """Several config errors from one load, ordered by line; it reads as the first, `errors` holds all."""

    def __init__(self, errors: list[ConfigError]):
        self.errors = tuple(sorted(errors, key=lambda e: (e.path or "", e.line or 0)))
        first = self.errors[0]
        super().__init__(first.message, path=first.path, line=first.line, hint=first.hint)

    def lines(self) -> list[str]:
        return [ConfigError.__str__(error) for error in self.errors]

    def __str__(self) -> str:
        return "\n".join(self.lines())


class FetchError(PantauError):
    """The message starts with "fetch: "."""


class DiscoverError(PantauError):
    """The message starts with "discover: "."""


class ExtractError(PantauError):
    """The message starts with "extract: "."""


class RuleError(PantauError):
    """A query that cannot be parsed or compiled. `column` is 1-based within the query text; `rule` names the
    rule it belongs to, once compile_rules knows."""

    def __init__(self, message: str, *, column: int | None = None, hint: str | None = None):
        self.message = message
        self.column = column
        self.hint = hint
        self.rule: str | None = None
        text = f"column {column}: {message}" if column is not None else message
        if hint:
            text += f" (hint: {hint})"
        super().__init__(text)


class DeliveryError(PantauError):
    """The message starts with "notify: "."""


class WebError(PantauError):
    """The message starts with "web: "."""
