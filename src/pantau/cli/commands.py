"""One function per command: read the arguments, call the stage, print, return the exit status."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pantau.cli.output import EXIT_FAILED, EXIT_OK, EXIT_USAGE, complain, err, out, print_json_line, say
from pantau.cli.stories import cmd_stories  # noqa: F401  (dispatched by name)
from pantau.clock import utc_now
from pantau.config import Config, config_path, describe_channel, load_config
from pantau.errors import ConfigError, ExtractError, FetchError, PantauError, RuleError
from pantau.models import Alert, Extracted, Match
from pantau.redact import redact_text, redact_url
from pantau.rules import Document, RuleSet
from pantau.schedule import format_duration, parse_duration
from pantau.words import count

if TYPE_CHECKING:
    from pantau.service.once import PassResult
    from pantau.store import DeliveryState

# Each command imports the heavy parts it uses (the store and SQLAlchemy, aiohttp, apprise, the extractor)
# inside its function, so `check`, `test-rule` and `--help` start fast, and so do the parts only one command
# uses (the backtest), so that `once` loads nothing it never calls.


def _config(args: argparse.Namespace) -> Config:
    return load_config(config_path(getattr(args, "config", None), os.environ))


def _since(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise ConfigError(f"--since: {exc}", hint="e.g. 30m, 24h, 7d") from None


def _shown(error: str | None, config: Config) -> str:
    """A stored error as printed: redacted again, for rows written before pantau redacted them."""
    return redact_text(error, config.secrets) if error else ""


def _when(moment: datetime | None, config: Config) -> str:
    if moment is None:
        return "never"
    return moment.astimezone(config.timezone).strftime("%Y-%m-%d %H:%M %Z")


def _setup_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    for chatty in ("apscheduler", "alembic"):  # alembic: a line per migration step at every start
        logging.getLogger(chatty).setLevel(logging.WARNING)
    # apprise's warnings are how a failed send says why: they must be recorded (its result carries them
    # into our DeliveryError, which is logged, redacted) but not printed a second time on their own.
    apprise_log = logging.getLogger("apprise")
    apprise_log.setLevel(logging.WARNING)
    apprise_log.propagate = False
    apprise_log.addHandler(logging.NullHandler())


# -- check --------------------------------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    config = _config(args)
    say(out.green("config OK: ") + str(config.path))
    say(out.bold(f"sources ({len(config.sources)})"))
    for s in config.sources:
        how = "links " + repr(s.links) if s.links else ""
        if s.link_pattern is not None:
            how += (" and " if how else "") + f"pattern {s.link_pattern.pattern!r}"
        say(
            f"  {s.name:<16} every {format_duration(s.every):<5} {redact_url(s.url)}  {out.dim(how or 'feed, sitemap or autodiscovery')}"
        )
    say(out.bold(f"rules ({len(config.rules)})"))
    for r in config.rules:
        extra = f"  digest {r.digest_text}" if r.digest_text else ""
        only = f"  only {', '.join(r.sources)}" if r.sources else ""
        say(f"  {r.name:<16} -> {', '.join(r.notify)}{extra}{only}")
        say(f"  {'':<16}    {out.dim(r.match)}")
    say(out.bold(f"channels ({len(config.channels)})"))
    for name, channel in config.channels.items():
        say(f"  {name:<16} {describe_channel(channel)}")
    if config.ops:
        say(f"ops: alerts about pantau itself go to '{config.ops.channel}'")
    if config.web:
        guard = "password set" if config.web.password else "no password"
        say(f"web: `pantau run` serves {config.web.url} ({guard})")
    say(f"concepts: {', '.join(config.concepts) or 'none'}")
    for warning in config.warnings:
        say(out.paint("warning: ", "33") + warning)
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    """The JSON Schema comes from the same key table that validates config.yaml, so they cannot drift."""
    from pantau.config import json_schema

    say(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return EXIT_OK


# -- once / run / demo --------------------------------------------------------------------------------------


def cmd_once(args: argparse.Namespace) -> int:
    config = _config(args)
    if args.source is not None and args.source not in {s.name for s in config.sources}:
        names = ", ".join(s.name for s in config.sources) or "none"
        raise ConfigError(f"--source: no source named '{args.source}'", hint=f"known sources: {names}")
    from pantau.service.once import open_and_run_once, start_fork_server

    start_fork_server(config)  # the workers' start-up runs on the other core while this one loads
    result = asyncio.run(open_and_run_once(config, utc_now, only=args.source))
    _report_pass(result)
    failed = any(p.errors for p in result.polls)
    return EXIT_FAILED if failed else EXIT_OK


def _report_pass(result: PassResult) -> None:
    for poll in result.polls:
        summary = f"{count(poll.new_articles, 'new article')}, {count(poll.alerts, 'alert')}"
        status = err.red("failed") if poll.source_failed else summary
        complain(f"{poll.source}: {status}")
        for line in poll.errors:
            complain(f"  {poll.source}: {line}")
    d = result.delivery
    # Two different fates, two different words: a failed attempt is tried again, a dead delivery is not.
    retrying, given_up = d.failed - d.dead, d.dead
    if d.delivered or d.failed:
        parts = [f"delivered {d.delivered}"]
        if retrying:
            parts.append(f"{retrying} will retry (`pantau alerts` shows when)")
        if given_up:
            parts.append(f"{given_up} given up (`pantau alerts --failed`)")
        complain(", ".join(parts))
    for line in d.errors:
        complain(f"  {line}")


def cmd_run(args: argparse.Namespace) -> int:
    path = config_path(getattr(args, "config", None), os.environ)
    config = load_config(path)
    _setup_logging()
    if config.cluster:
        return _run_cluster(config, path)
    from pantau.service.embedded import serve
    from pantau.store import Store

    with Store.open(config.database) as store:
        asyncio.run(serve(config, store, utc_now, path))
    return EXIT_OK


def _cluster_parts() -> tuple[Any, Any]:
    """service.cluster's queue_schema and serve; a missing job queue package is a config error."""
    try:
        from pantau.service.cluster import queue_schema, serve
    except ImportError as exc:
        raise ConfigError(
            f"cluster: true needs the job queue package ({exc.name} is not installed)",
            hint="pip install 'pantau[postgres]'",
        ) from None
    return queue_schema, serve


def _run_cluster(config: Config, path: Path) -> int:
    """Cluster mode never upgrades the schema itself: instances of two versions must not fight over it."""
    queue_schema, serve = _cluster_parts()
    from pantau.store.db import make_engine, outdated

    for noisy in ("procrastinate", "alembic", "watchfiles"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    engine = make_engine(config.database)
    try:
        reason = outdated(engine, queue_schema())
    except PantauError:
        engine.dispose()
        raise
    if reason is not None:
        engine.dispose()
        raise ConfigError(f"the database schema is out of date ({reason})", hint="run `pantau db upgrade`")
    from pantau.store import Store

    with Store(engine) as store:
        asyncio.run(serve(config, store, utc_now, path))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from pantau.demo import run_demo

    say(out.bold("pantau demo") + ": three sample outlets served on 127.0.0.1, no network, no credentials.")
    _config_used, result, alerts = run_demo()
    say()
    _report_pass(result)
    say()
    say(
        out.bold(count(len(alerts), "alert"))
        + f" from {count(sum(p.new_articles for p in result.polls), 'article')}:"
    )
    for alert in alerts:
        also = f"  (also reported by {', '.join(alert.also_reported_by)})" if alert.also_reported_by else ""
        say(f"  [{alert.rule}] {alert.source}: {alert.title}{also}")
    say()
    say("Articles whose menus, 'Baca juga' boxes or comments mention NATO or Ukraine raised no alert;")
    say("a story copied by a second outlet alerted once, with the copy listed as 'also reported by'.")
    say("Next: copy config.yaml, add your channels (an Apprise URL), then `pantau check` and `pantau run`.")
    return EXIT_OK


# -- extract ------------------------------------------------------------------------------------------------


def cmd_extract(args: argparse.Namespace) -> int:
    status = EXIT_OK
    for name in args.files:
        try:
            extracted, url = _extract_one(name, args.url)
        except (OSError, FetchError) as exc:
            complain(f"{redact_text(name)}: cannot read: {redact_text(str(exc))}")
            status = EXIT_USAGE
            continue
        except ExtractError as exc:
            complain(f"{name}: {exc}")
            if args.json:
                print_json_line({"url": args.url or name, "error": str(exc)})
            status = max(status, EXIT_FAILED)
            continue
        if args.json:
            print_json_line(_extracted_json(extracted, url))
        else:
            _print_extracted(extracted, url)
    return status


def _extract_one(name: str, url: str | None) -> tuple[Extracted, str]:
    from pantau.extract import decode_html, extract_article

    if name.startswith(("http://", "https://")):
        return _extract_url(name), name
    data = Path(name).read_bytes()
    page_url = url or Path(name).resolve().as_uri()
    # A saved file was fetched some time before now; now is the best reference for its relative dates.
    return extract_article(decode_html(data, None), page_url, fetched_at=utc_now()), page_url


def _extract_url(url: str) -> Extracted:
    from pantau.config import DEFAULT_USER_AGENT
    from pantau.extract import decode_html, extract_article
    from pantau.fetch import Fetcher, make_client

    async def get() -> Extracted:
        async with make_client() as client:
            page = await Fetcher(client, clock=utc_now).get(url, user_agent=DEFAULT_USER_AGENT)
        return extract_article(
            decode_html(page.body, page.charset), page.final_url, fetched_at=page.fetched_at
        )

    return asyncio.run(get())


def _extracted_json(e: Extracted, url: str) -> dict[str, object]:
    return {
        "url": e.canonical_url or url,
        "title": e.title,
        "published": e.published.isoformat() if e.published else None,
        "author": e.author,
        "lang": e.lang,
        "body": e.body,
    }


def _print_extracted(e: Extracted, url: str) -> None:
    say(out.bold(e.title or "(no title)"))
    say(out.dim(f"url: {e.canonical_url or url}"))
    say(out.dim(f"published: {e.published.isoformat() if e.published else 'unknown'}"))
    say(out.dim(f"author: {e.author or 'unknown'}   lang: {e.lang or 'unknown'}"))
    say()
    say(e.body)
    say()


# -- test-rule ----------------------------------------------------------------------------------------------


def cmd_test_rule(args: argparse.Namespace) -> int:
    from pantau.backtest import compile_query

    config = _optional_config(args)
    concepts = config.concepts if config else {}
    try:
        ruleset = compile_query(args.query, concepts)
    except RuleError as exc:
        complain(f"test-rule: {exc}")
        complain(f"  {args.query}")
        if exc.column is not None:
            complain("  " + " " * (exc.column - 1) + "^")
        return EXIT_USAGE
    for warning in ruleset.warnings:
        complain(err.paint("warning: ", "33") + warning.removeprefix("rule 'test-rule': "))
    if args.article or args.since:
        if config is None:
            raise ConfigError("--article and --since read the store: a config.yaml is needed")
        return _test_rule_stored(args, config, ruleset)
    if not args.title and args.text_file is None:
        raise ConfigError(
            "test-rule: nothing to test the query on",
            hint="give --title TEXT and/or --text-file FILE (- reads standard input), --article ID|URL or --since 7d",
        )
    body = _read_text(args.text_file)
    return _show_match(ruleset, Document(args.title, body, "test", None))


def _optional_config(args: argparse.Namespace) -> Config | None:
    path = config_path(getattr(args, "config", None), os.environ)
    if getattr(args, "config", None) is None and "PANTAU_CONFIG" not in os.environ and not path.exists():
        return None
    return load_config(path)


def _read_text(path: Path | None) -> str:
    if path is None:
        return ""
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ConfigError(f"--text-file: cannot read {path}: {exc.strerror}") from None


def _show_match(ruleset: RuleSet, doc: Document, label: str = "") -> int:
    matches = ruleset.match(doc)
    if not matches:
        say("no match" + (f" {label}" if label else ""))
        return EXIT_FAILED
    _show_matches(matches, label)
    return EXIT_OK


def _show_matches(matches: list[Match], label: str) -> None:
    for match in matches:
        say(out.green("match") + (f" {label}" if label else ""))
        for hit in match.hits:
            say(f"  {hit.field}[{hit.start}:{hit.end}] {hit.text!r}  ({hit.term})")
        say(f"  {match.snippet}")


def _test_rule_stored(args: argparse.Namespace, config: Config, ruleset: RuleSet) -> int:
    from pantau.backtest import backtest, document
    from pantau.store import Store

    with Store.open(config.database) as store:
        if args.article:
            key: int | str = int(args.article) if args.article.isdigit() else args.article
            stored = store.article(key)
            if stored is None:
                raise ConfigError(f"--article: no stored article {args.article!r}")
            return _show_match(ruleset, document(stored), f"#{stored.id} {stored.article.url}")
        since = utc_now() - _since(args.since)
        found = 0
        for hit in backtest(ruleset, store.articles_since(since)):
            a = hit.stored.article
            found += 1
            _show_matches([hit.match], f"#{hit.stored.id} [{a.source}] {a.title} {a.url}")
        say(f"{count(found, 'stored article')} would have matched")
        return EXIT_OK if found else EXIT_FAILED


# -- test-notify, sources, alerts ---------------------------------------------------------------------------


def cmd_test_notify(args: argparse.Namespace) -> int:
    from pantau.notify.deliver import Notifier
    from pantau.notify.templates import alert_message

    config = _config(args)
    if args.channel not in config.channels:
        raise ConfigError(
            f"no channel named '{args.channel}'", hint="known channels: " + ", ".join(config.channels)
        )
    now = utc_now()
    sample = Alert(
        id=0,
        rule="test-notify",
        source="pantau",
        url="https://example.org/pantau/test",
        title="pantau test alert: this channel works",
        published=now,
        created_at=now,
        terms=("test",),
        snippet="If you can read this, pantau can deliver «alerts» to this channel.",
    )
    try:
        channel = config.channels[args.channel]
        message = alert_message(sample, config.timezone, channel.format, channel.template)
        asyncio.run(Notifier(config.channel_urls, config.secrets).send(args.channel, message))
    except PantauError as exc:
        complain(f"test-notify: {exc}")
        return EXIT_FAILED
    complain(f"test-notify: delivered to '{args.channel}'")
    return EXIT_OK


def cmd_sources(args: argparse.Namespace) -> int:
    from pantau.service.nextpoll import next_poll
    from pantau.store import SourceHealth, Store

    config = _config(args)
    with Store.open(config.database) as store:
        health = {h.name: h for h in store.all_source_health()}
        held = store.held_back_counts()
    now = utc_now()
    by = f" {'polled by':<24}" if config.cluster else ""  # which instance of the cluster polled it last
    say(
        out.bold(
            f"{'source':<16} {'last poll':<22} {'last success':<22} {'next poll':<22} {'fails':>5} {'articles':>8} {'too old':>7}"
            f"{by}  last error"
        )
    )
    for s in config.sources:
        h = health.get(s.name) or SourceHealth(name=s.name)
        due = next_poll(h.last_poll_at, s.every, now)
        planned = "due now" if due <= now else _when(due, config)
        fails = f"{h.consecutive_failures:>5}"
        fails = err.red(fails) if h.consecutive_failures else fails
        polled_by = f" {h.last_poll_by or '-':<24}" if by else ""
        say(
            f"{s.name:<16} {_when(h.last_poll_at, config):<22} {_when(h.last_success_at, config):<22} "
            f"{planned:<22} {fails} {h.articles_seen:>8} {held.get(s.name, 0):>7}{polled_by}  {_shown(h.last_error, config)}"
        )
    return EXIT_OK


def cmd_db(args: argparse.Namespace) -> int:
    """`db upgrade`: safe to run from several machines at once (the upgrade takes a database-wide lock)."""
    from pantau.store.db import make_engine, migrate

    config = _config(args)
    queue = None
    if config.cluster:
        queue = _cluster_parts()[0]()
    engine = make_engine(config.database)
    try:
        changed = migrate(engine, queue=queue)
    finally:
        engine.dispose()
    for line in changed:
        say(f"upgraded: {line}")
    say("database schema is up to date" if changed else "database schema was already up to date")
    return EXIT_OK


def cmd_alerts(args: argparse.Namespace) -> int:
    if args.failed or args.retry:
        return _dead_letters(args)
    config = _config(args)
    since = utc_now() - _since(args.since)
    from pantau.store import Store

    with Store.open(config.database) as store:
        rows = store.alerts_since(since)
        held = sum(store.held_back_counts(since).values())
    if not rows:
        say(f"no alerts since {_when(since, config)}")
    for alert, deliveries in rows:
        say(f"{_when(alert.created_at, config)}  [{alert.rule}] {alert.source}: {alert.title}")
        say(out.dim(f"    {alert.url}"))
        if alert.also_reported_by:
            say(f"    also reported by: {', '.join(alert.also_reported_by)}")
            say(
                out.dim(f"    story {alert.story_id}: their copies are in it and raise no alert of their own")
            )
        for d in deliveries:
            say(f"    -> {d.channel}: {_delivery_state(d, config)}")
    if held:
        say(
            f"{count(held, 'matching article')} held back as too old (published before the "
            "source's max_age) since " + _when(since, config)
        )
    return EXIT_OK


def _delivery_state(d: DeliveryState, config: Config) -> str:
    """One delivery in words that say what happens next: delivered; due or waiting; will retry at a time;
    given up (never tried again unless `--retry`)."""
    tries = f" after {count(d.attempts, 'attempt')}" if d.attempts else ""
    if d.state == "delivered":
        return out.green("delivered") + tries
    if d.state == "dead":
        return err.red("given up") + tries + (f": {_shown(d.last_error, config)}" if d.last_error else "")
    when = _when(d.next_attempt_at, config)
    if d.last_error:
        failed = f"{count(d.attempts, 'attempt')} failed" if d.attempts else "not tried yet"
        return err.red(f"will retry at {when}") + f" ({failed}: {_shown(d.last_error, config)})"
    return f"pending, due {when}"


def _dead_letters(args: argparse.Namespace) -> int:
    """`alerts --failed` lists deliveries pantau gave up on; `alerts --retry` gives them a fresh start."""
    config = _config(args)
    from pantau.store import Store

    with Store.open(config.database) as store:
        dead = store.dead_deliveries()
        if args.retry:
            queued = store.retry_dead(utc_now())
            say(
                f"{count(queued, 'given-up delivery', 'given-up deliveries')} queued again; "
                "`pantau once` or the service sends them"
            )
            return EXIT_OK
    if not dead:
        say("no deliveries given up (failed attempts that will be retried are in `pantau alerts`)")
        return EXIT_OK
    for alert, state in dead:
        say(f"{_when(alert.created_at, config)}  [{alert.rule}] {alert.source}: {alert.title}")
        say(f"    -> {state.channel}: {_delivery_state(state, config)}")
    say(f"{count(len(dead), 'delivery', 'deliveries')} given up; `pantau alerts --retry` queues them again")
    return EXIT_OK
