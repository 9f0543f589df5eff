"""A reader that goes away (`pantau alerts | head -1`) ends the command quietly: no traceback, the
shell's exit status for a closed pipe (128 + SIGPIPE), whatever the command was printing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pantau.demo.server import DEMO_SITE

WIRE_JAPAN = (
    DEMO_SITE / "wire" / "news" / "2026" / "11" / "japan-pledges-aid-to-help-ukraine-through-winter.html"
)


def run_into_closed_pipe(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run `python -m pantau ARGS` with its standard output a pipe whose reader has already gone."""
    read, write = os.pipe()
    os.close(read)  # every write to the pipe now fails: EPIPE (Python ignores SIGPIPE itself)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pantau", *args],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env={**os.environ, "PANTAU_CONFIG": str(cwd / "config.yaml")},
            timeout=120,
        )
    finally:
        os.close(write)
    return done.returncode, done.stderr


def run_into_head(args: list[str], cwd: Path) -> tuple[int, str, str]:
    """`pantau ARGS | head -1` for real: the reader takes one line and leaves."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pantau", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env={**os.environ, "PANTAU_CONFIG": str(cwd / "config.yaml")},
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline().decode()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    return proc.wait(timeout=120), first, err


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "config.yaml").write_text(
        "database: sqlite:///p.db\n"
        "channels: {terminal: 'stdout://'}\n"
        "concepts: {nato: [NATO, OTAN]}\n"
        "rules:\n  - {name: r, match: '@nato', notify: terminal}\n"
        "sources:\n  - {name: wire, url: 'http://127.0.0.1:9/', links: a}\n"
    )
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ["check"],
        ["alerts"],
        ["extract", str(WIRE_JAPAN)],
        ["extract", "--json", str(WIRE_JAPAN), str(WIRE_JAPAN)],
        ["test-rule", "NATO", "--title", "NATO meets"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_a_closed_pipe_ends_the_command_quietly(folder: Path, args: list[str]) -> None:
    status, err = run_into_closed_pipe(args, folder)
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err, err
    assert err == ""
    assert status == 128 + signal.SIGPIPE


def test_head_takes_the_first_line_and_pantau_stops_without_a_word(folder: Path) -> None:
    status, first, err = run_into_head(["extract", str(WIRE_JAPAN), str(WIRE_JAPAN), str(WIRE_JAPAN)], folder)
    assert first.startswith("Japan pledges")
    assert err == ""
    assert status in (0, 128 + signal.SIGPIPE)  # 0 when everything fitted in the pipe before it closed
