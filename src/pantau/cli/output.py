"""Terminal output for the commands: colour only for a terminal and never with NO_COLOR set."""

from __future__ import annotations

import json
import os
import sys
from typing import TextIO

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class Terminal:
    """Colours only for a terminal, and never with NO_COLOR set."""

    def __init__(self, name: str) -> None:
        self.name = name  # "stdout" or "stderr", looked up at each use so redirection is always honoured

    @property
    def stream(self) -> TextIO:
        stream: TextIO = getattr(sys, self.name)
        return stream

    @property
    def colour(self) -> bool:
        return self.stream.isatty() and "NO_COLOR" not in os.environ

    def paint(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour else text

    def bold(self, text: str) -> str:
        return self.paint(text, "1")

    def red(self, text: str) -> str:
        return self.paint(text, "31")

    def green(self, text: str) -> str:
        return self.paint(text, "32")

    def dim(self, text: str) -> str:
        return self.paint(text, "2")


out = Terminal("stdout")
err = Terminal("stderr")


def say(text: str = "") -> None:
    print(text, file=out.stream, flush=True)


def complain(text: str) -> None:
    print(text, file=err.stream, flush=True)


def print_json_line(obj: object) -> None:
    say(json.dumps(obj, ensure_ascii=False))
