"""The `pantau` command. This package is the only code that prints to the terminal or picks an exit status.

Every PantauError becomes one line on standard error and an exit status; a traceback means a bug in pantau.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from pantau import __version__
from pantau.cli.output import EXIT_FAILED, EXIT_OK, EXIT_USAGE, complain, err
from pantau.errors import ConfigError, PantauError


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-c",
        "--config",
        default=argparse.SUPPRESS,
        help="config file (default: $PANTAU_CONFIG or ./config.yaml)",
    )
    parser = argparse.ArgumentParser(
        prog="pantau",
        description="Watch news outlets, match articles against your rules, and deliver alerts.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"pantau {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("check", parents=[common], help="validate the config and summarise it")
    sub.add_parser("schema", parents=[common], help="print the JSON Schema of config.yaml (for editors)")
    once = sub.add_parser("once", parents=[common], help="poll every source once, deliver due alerts, exit")
    once.add_argument("--source", help="poll only this source")
    sub.add_parser("run", parents=[common], help="run the service: poll on schedule until stopped")
    sub.add_parser("demo", parents=[common], help="offline demonstration on bundled sample outlets")
    extract = sub.add_parser("extract", parents=[common], help="show what pantau reads in saved pages")
    extract.add_argument("files", nargs="+", metavar="FILE", help="saved HTML files (or http/https URLs)")
    extract.add_argument("--url", help="the URL the file was saved from (resolves links, helps dates)")
    extract.add_argument("--json", action="store_true", help="one JSON object per line")
    rule = sub.add_parser("test-rule", parents=[common], help="does this text match this query?")
    rule.add_argument("query")
    rule.add_argument("--title", default="", help="the article title")
    rule.add_argument("--text-file", type=Path, help="a file with the article body (- for standard input)")
    rule.add_argument("--article", help="a stored article: its id or URL")
    rule.add_argument("--since", help="backtest over stored articles fetched within this period, e.g. 7d")
    notify = sub.add_parser("test-notify", parents=[common], help="send a sample alert to one channel")
    notify.add_argument("channel")
    sub.add_parser("sources", parents=[common], help="each source's health")
    alerts = sub.add_parser("alerts", parents=[common], help="recent alerts and their delivery state")
    alerts.add_argument("--since", default="24h", help="how far back (default 24h)")
    alerts.add_argument("--failed", action="store_true", help="list deliveries that were given up on")
    alerts.add_argument("--retry", action="store_true", help="queue every given-up delivery again")
    stories = sub.add_parser(
        "stories", parents=[common], help="recent stories and the outlets that reported them"
    )
    stories.add_argument("--since", default="24h", help="how far back (default 24h)")
    stories.add_argument("--limit", type=int, default=200, help="at most this many stories, newest first")
    db = sub.add_parser("db", parents=[common], help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_sub.add_parser(
        "upgrade", parents=[common], help="bring the schema up to date (and the job queue's, in cluster mode)"
    )
    return parser


EXIT_PIPE = 128 + signal.SIGPIPE  # what a shell reports for a command whose reader went away (`| head`)


def main(argv: Sequence[str] | None = None) -> None:
    try:
        status = run_cli(argv)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader of our output has gone (`pantau alerts | head -1`): nothing more can be said to it,
        # and that is no error of the user's. Point the standard streams at /dev/null so that Python's own
        # flush at exit stays quiet too, and end as the command-line convention has it.
        devnull = os.open(os.devnull, os.O_WRONLY)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                os.dup2(devnull, stream.fileno())
        os.close(devnull)
        sys.exit(EXIT_PIPE)
    # The command is done and has closed what it opened. Left alone, the interpreter's teardown collects
    # the whole heap (every module's cycles) just to give the memory back to the system a moment before the
    # process ends anyway: 0.2-0.4 s after `pantau once`. Frozen objects are left out of those collections;
    # the exit handlers (logging's flush included) and the standard streams' flush still run.
    gc.freeze()
    sys.exit(status)


def run_cli(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    # `once` loads with the collector off (its start-up leaves next to no garbage in cycles): service.once
    # turns it on when the start-up heap is settled, and so does the end of the command, however it ends.
    paused = args.command == "once" and gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _run(args)
    finally:
        if paused:
            gc.enable()


def _run(args: argparse.Namespace) -> int:
    from pantau.cli import commands

    handler = getattr(commands, "cmd_" + args.command.replace("-", "_"))
    if args.command == "run":
        # Until the service installs its own handlers, a reload request is remembered, to be done once it
        # runs (pantau.service.hangup), and a stop request simply ends the start-up cleanly.
        from pantau.service import hangup

        hangup.hold()
        signal.signal(signal.SIGTERM, _stop_during_startup)
    try:
        return int(handler(args))
    except _StoppedDuringStartup:
        return EXIT_OK
    except ConfigError as exc:
        for line in exc.lines():
            complain(err.red("error: ") + line)
        return EXIT_USAGE
    except PantauError as exc:
        complain(err.red("error: ") + str(exc))
        return EXIT_FAILED
    except KeyboardInterrupt:
        complain("interrupted")
        return 130
    except Exception as exc:
        # The database went away mid-command: an operational event, said in one line. Anything else is
        # a bug, and its traceback is wanted.
        from pantau.store.db import unavailable

        reason = unavailable(exc)
        if reason is None:
            raise
        complain(err.red("error: ") + reason)
        return EXIT_FAILED


class _StoppedDuringStartup(BaseException):
    """SIGTERM arrived before the service was running: nothing was in flight."""


def _stop_during_startup(signum: int, frame: FrameType | None) -> None:
    raise _StoppedDuringStartup
