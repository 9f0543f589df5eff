"""The outbox as a user meets it: real webhook and SMTP receivers, alerts in a real store (SQLite, and
PostgreSQL for the tests that take `store_url`), a clock we move.

Alerts are stored the way the pipeline stores them (Store.place_article) and sent by `deliver_due`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event
from support.smtp import SmtpSink
from support.store import place
from support.webhook import WebhookSink

from pantau.cli import run_cli
from pantau.config import Config, load_config
from pantau.models import Article, Hit, Match
from pantau.notify.deliver import Notifier
from pantau.notify.outbox import DeliveryReport, deliver_due
from pantau.notify.render import Message
from pantau.store import Outgoing, Store

# Long enough to enter the near-duplicate index, so a copy from another outlet joins the story.
STORY_BODY = (
    "NATO and Japan agreed on Tuesday to open a liaison office in Tokyo, the alliance said, the first of its "
    "kind in Asia. The office will coordinate exercises, cyber defence and the exchange of liaison officers "
    "between the two, and opens in the spring with a staff of four."
)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def other() -> Iterator[WebhookSink]:
    with WebhookSink() as sink:
        yield sink


def make_config(
    tmp_path: Path,
    channels: str,
    rules: str,
    extra: str = "",
    tz: str = "Asia/Jakarta",
    database: str | None = None,
) -> Config:
    path = tmp_path / "config.yaml"
    database = database or f"sqlite:///{tmp_path / 'p.db'}"
    path.write_text(
        f"database: '{database}'\ntimezone: {tz}\nchannels:\n{channels}\nrules:\n{rules}\n{extra}"
    )
    return load_config(path)


def add_alert(store: Store, config: Config, n: int, rule: str, at: datetime, source: str = "wire") -> None:
    """Store article n with one alert for `rule` to each of the rule's channels, as the pipeline does."""
    article = Article(
        source=source,
        url=f"https://{source}.test/news/{n}",
        title=f"Story {n}: NATO and Japan",
        body=STORY_BODY,
        published=at,
        author=None,
        lang="en",
        content_hash=f"hash-{source}-{n}",
        fetched_at=at,
    )
    match = Match(rule, (Hit("NATO", "title", 9, 13, "NATO"),), "«NATO» and Japan agreed.")
    rule_config = config.rule(rule)
    due = rule_config.digest.next_due(at, config.timezone) if rule_config.digest else at
    place(store, article, [(match, [Outgoing(rule, c, due) for c in rule_config.notify])])


def deliver(store: Store, config: Config, clock: Clock) -> DeliveryReport:
    return asyncio.run(deliver_due(store, Notifier(config.channel_urls), config, clock))


def titles(sink: WebhookSink, skip: int = 0) -> list[str]:
    return [r.json["title"] for r in sink.requests[skip:]]


def test_a_channel_down_for_several_runs_gets_everything_once_in_order_and_never_delays_another(
    tmp_path: Path, store_url: str, hook: WebhookSink, other: WebhookSink
) -> None:
    config = make_config(
        tmp_path,
        f"  down: {hook.url()}\n  up: {other.url()}",
        "  - {name: r, match: NATO, notify: [down, up]}",
        database=store_url,
    )
    store = Store.open(config.database)
    clock = Clock(datetime(2026, 11, 25, 1, 0, tzinfo=UTC))
    hook.statuses = [500, 503, 500]  # three runs in a row fail
    for n in range(5):
        add_alert(store, config, n, "r", clock.now)
    for _run in range(3):
        report = deliver(store, config, clock)
        assert report.failed == 5
        clock.advance(hours=1)  # past any backoff
    assert len(titles(other)) == 5  # the healthy channel got everything on the first run
    add_alert(store, config, 5, "r", clock.now)
    report = deliver(store, config, clock)
    assert report.failed == 0
    assert titles(hook, skip=3) == [f"[r] Story {n}: NATO and Japan" for n in range(6)]  # in order, once each
    clock.advance(days=1)
    deliver(store, config, clock)
    assert len(hook.requests) == 3 + 6 and len(other.requests) == 6
    store.close()


def test_an_alert_matched_while_its_channel_waits_to_retry_queues_behind_the_failed_one(
    tmp_path: Path, store_url: str, hook: WebhookSink
) -> None:
    config = make_config(
        tmp_path, f"  hook: {hook.url()}", "  - {name: r, match: NATO, notify: hook}", database=store_url
    )
    store = Store.open(config.database)
    clock = Clock(datetime(2026, 11, 25, 1, 0, tzinfo=UTC))
    hook.statuses = [500]
    add_alert(store, config, 0, "r", clock.now)
    assert deliver(store, config, clock).failed == 1
    clock.advance(seconds=10)  # the next poll finds another alert before the first one's retry is due
    add_alert(store, config, 1, "r", clock.now)
    report = deliver(store, config, clock)
    assert (report.delivered, len(hook.requests)) == (0, 1)  # not sent ahead of the alert it came after
    clock.advance(hours=1)
    assert deliver(store, config, clock).delivered == 2
    assert titles(hook) == [f"[r] Story {n}: NATO and Japan" for n in (0, 0, 1)]
    store.close()


def test_deliveries_that_keep_failing_die_and_can_be_retried(
    tmp_path: Path, hook: WebhookSink, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(
        tmp_path,
        f"  hook: {hook.url()}",
        "  - {name: r, match: NATO, notify: hook}",
        "delivery: {max_attempts: 2, give_up_after: 1d}",
    )
    store = Store.open(config.database)
    clock = Clock(datetime.now(UTC))
    hook.statuses = [500, 500]
    add_alert(store, config, 1, "r", clock.now)
    assert deliver(store, config, clock).failed == 1
    [(_alert, [state])] = store.alerts_since(clock.now - timedelta(hours=1))
    assert state.next_attempt_at is not None and state.next_attempt_at > clock.now
    # a failed attempt that will be retried: `alerts` says when; `alerts --failed` (given up) has none
    assert run_cli(["alerts", "-c", str(config.path)]) == 0
    when = state.next_attempt_at.astimezone(config.timezone).strftime("%Y-%m-%d %H:%M %Z")
    [line] = [x for x in capsys.readouterr().out.splitlines() if "-> hook:" in x]
    assert line.startswith(
        f"    -> hook: will retry at {when} (1 attempt failed: notify: channel 'hook' failed"
    )
    assert run_cli(["alerts", "--failed", "-c", str(config.path)]) == 0
    assert capsys.readouterr().out.startswith("no deliveries given up")
    clock.advance(hours=1)
    assert deliver(store, config, clock).dead == 1
    clock.advance(hours=6)
    assert deliver(store, config, clock).delivered == 0  # dead is dead until retried
    store.close()

    assert run_cli(["alerts", "--failed", "-c", str(config.path)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert "Story 1" in listed[0]
    assert listed[1].startswith("    -> hook: given up after 2 attempts: ") and "500" in listed[1]
    assert listed[2] == "1 delivery given up; `pantau alerts --retry` queues them again"
    assert run_cli(["alerts", "-c", str(config.path)]) == 0
    assert "-> hook: given up after 2 attempts" in capsys.readouterr().out
    assert run_cli(["alerts", "--retry", "-c", str(config.path)]) == 0
    assert capsys.readouterr().out.startswith("1 given-up delivery queued again")

    store = Store.open(config.database)
    assert deliver(store, config, Clock(datetime.now(UTC) + timedelta(seconds=1))).delivered == 1
    store.close()
    assert titles(hook, skip=2) == ["[r] Story 1: NATO and Japan"]


def test_a_digest_collects_the_day_and_goes_out_once_at_its_time(
    tmp_path: Path, store_url: str, hook: WebhookSink
) -> None:
    config = make_config(
        tmp_path,
        f"  hook: {hook.url()}",
        "  - {name: daily, match: NATO, notify: hook, digest: daily 08:00}",
        database=store_url,
    )
    store = Store.open(config.database)
    # 2026-11-25 20:00 WIB is 13:00 UTC; the digest is due at 08:00 WIB on the 26th = 01:00 UTC.
    clock = Clock(datetime(2026, 11, 25, 13, 0, tzinfo=UTC))
    add_alert(store, config, 1, "daily", clock.now)
    clock.advance(hours=5)  # 01:00 WIB on the 26th: a new local day, still before 08:00
    add_alert(store, config, 2, "daily", clock.now)
    assert deliver(store, config, clock).delivered == 0
    clock.now = datetime(2026, 11, 26, 0, 59, tzinfo=UTC)
    assert deliver(store, config, clock).delivered == 0
    clock.now = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    assert deliver(store, config, clock).delivered == 2
    [post] = hook.requests
    assert post.json["title"].startswith("[daily] digest 2026-11-25 – 2026-11-26: 2 articles")
    assert "Story 1" in post.json["message"] and "Story 2" in post.json["message"]
    clock.advance(days=2)
    assert deliver(store, config, clock).delivered == 0  # empty periods send nothing
    assert len(hook.requests) == 1
    store.close()


def test_an_empty_digest_is_sent_when_asked(tmp_path: Path, hook: WebhookSink) -> None:
    config = make_config(
        tmp_path,
        f"  hook: {hook.url()}",
        "  - {name: daily, match: NATO, notify: hook, digest: daily 08:00, digest_empty: true}",
    )
    store = Store.open(config.database)
    clock = Clock(datetime(2026, 11, 25, 13, 0, tzinfo=UTC))
    deliver(store, config, clock)  # the first period starts now
    assert hook.requests == []
    clock.now = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    deliver(store, config, clock)
    deliver(store, config, clock)
    [post] = hook.requests
    assert "Nothing new" in post.json["message"]
    store.close()


def test_quiet_hours_defer_across_a_dst_change_and_urgent_rules_ignore_them(
    tmp_path: Path, hook: WebhookSink
) -> None:
    config = make_config(
        tmp_path,
        f"  hook: {{urls: {hook.url()}, quiet: '22:00-07:00'}}",
        "  - {name: calm, match: NATO, notify: hook}\n  - {name: loud, match: NATO, notify: hook, urgent: true}",
        tz="Europe/Berlin",
    )
    store = Store.open(config.database)
    # Saturday 2026-10-24 23:30 CEST (21:30 UTC); clocks go back on the night of the 25th (03:00 -> 02:00).
    clock = Clock(datetime(2026, 10, 24, 21, 30, tzinfo=UTC))
    add_alert(store, config, 1, "calm", clock.now)
    add_alert(store, config, 2, "loud", clock.now)
    assert deliver(store, config, clock).delivered == 1
    assert titles(hook) == ["[loud] Story 2: NATO and Japan"]
    # still quiet at 06:59 CET (05:59 UTC, after the change)
    clock.now = datetime(2026, 10, 25, 5, 59, tzinfo=UTC)
    assert deliver(store, config, clock).delivered == 0
    # 07:00 CET = 06:00 UTC: the quiet ends in the zone's new offset
    clock.now = datetime(2026, 10, 25, 6, 0, tzinfo=UTC)
    assert deliver(store, config, clock).delivered == 1
    assert titles(hook) == ["[loud] Story 2: NATO and Japan", "[calm] Story 1: NATO and Japan"]
    store.close()


def test_what_waited_out_quiet_hours_can_arrive_as_one_digest(
    tmp_path: Path, store_url: str, hook: WebhookSink
) -> None:
    config = make_config(
        tmp_path,
        f"  hook: {{urls: {hook.url()}, quiet: '22:00-06:00', quiet_digest: true}}",
        "  - {name: r, match: NATO, notify: hook}",
        database=store_url,
    )
    store = Store.open(config.database)
    clock = Clock(datetime(2026, 11, 25, 16, 0, tzinfo=UTC))  # 23:00 WIB
    for n in range(4):
        add_alert(store, config, n, "r", clock.now)
        clock.advance(minutes=30)
        deliver(store, config, clock)
    assert hook.requests == []
    clock.now = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)  # 06:00 WIB
    assert deliver(store, config, clock).delivered == 4
    [post] = hook.requests
    assert "4 articles" in post.json["title"]
    store.close()


def test_a_rate_limit_folds_the_excess_into_one_summary(
    tmp_path: Path, store_url: str, hook: WebhookSink
) -> None:
    config = make_config(
        tmp_path,
        f"  hook: {{urls: {hook.url()}, max_per_hour: 3}}",
        "  - {name: r, match: NATO, notify: hook}",
        database=store_url,
    )
    store = Store.open(config.database)
    clock = Clock(datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    for n in range(7):
        add_alert(store, config, n, "r", clock.now)
    assert deliver(store, config, clock).delivered == 7
    sent = titles(hook)
    assert sent[:2] == ["[r] Story 0: NATO and Japan", "[r] Story 1: NATO and Japan"]
    assert sent[2] == "[hook] 5 more alerts (rate limit 3/hour)" and len(sent) == 3
    for n in range(2, 7):
        assert f"Story {n}" in hook.requests[2].json["message"]
    # the hour's budget is spent: the next alert waits until the hour since the first message has passed
    add_alert(store, config, 7, "r", clock.now)
    assert deliver(store, config, clock).delivered == 0
    clock.advance(minutes=61)
    assert deliver(store, config, clock).delivered == 1
    store.close()


def test_html_format_and_templates_escape_scraped_text(tmp_path: Path, hook: WebhookSink) -> None:
    config = make_config(
        tmp_path,
        f"  html: {{urls: {hook.url('/html')}, format: html}}\n"
        f"  custom: {{urls: {hook.url('/custom')}, template: '*{{{{ title }}}}* from {{{{ source }}}}'}}",
        "  - {name: r, match: NATO, notify: [html, custom]}",
    )
    store = Store.open(config.database)
    clock = Clock(datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    article = Article(
        source="wire",
        url="https://wire.test/x",
        title="NATO <script>alert(1)</script> *bold* [link](javascript:x)",
        body="b",
        published=clock.now,
        author=None,
        lang="en",
        content_hash="h",
        fetched_at=clock.now,
    )
    match = Match("r", (Hit("NATO", "title", 0, 4, "NATO"),), "«NATO» <b>x</b>")
    place(store, article, [(match, [Outgoing("r", "html", clock.now), Outgoing("r", "custom", clock.now)])])
    deliver(store, config, clock)
    by_path = {r.path: r.json["message"] for r in hook.requests}
    assert "<script>" not in by_path["/html"] and "&lt;script&gt;" in by_path["/html"]
    assert by_path["/custom"].startswith("*NATO &lt;script&gt;")
    assert "\\*bold\\*" in by_path["/custom"] and "\\[link\\]" in by_path["/custom"]
    store.close()


def test_ops_hears_once_when_a_source_starts_failing_and_once_when_it_recovers(
    tmp_path: Path, hook: WebhookSink
) -> None:
    config = make_config(
        tmp_path,
        f"  ops: {hook.url()}",
        "  - {name: r, match: NATO, notify: ops}",
        "ops: {channel: ops, after_failures: 3}\nsources:\n  - {name: wire, url: 'http://127.0.0.1:9/x', links: a}",
    )
    store = Store.open(config.database)
    clock = Clock(datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    store.ensure_source("wire")
    for _ in range(5):
        store.record_poll("wire", clock.now, error="fetch: cannot connect to 127.0.0.1: refused")
        deliver(store, config, clock)
        clock.advance(minutes=10)
    assert titles(hook) == ["[pantau] source 'wire': failing"]
    body = hook.requests[0].json["message"]
    assert body.startswith("Source 'wire': 3 polls in a row failed; last error: fetch: cannot connect")
    store.record_poll("wire", clock.now)
    deliver(store, config, clock)
    deliver(store, config, clock)
    assert titles(hook) == ["[pantau] source 'wire': failing", "[pantau] source 'wire': recovered"]
    assert hook.requests[1].json["message"].startswith("Source 'wire' is back to normal at ")
    store.close()


def test_a_dying_channel_is_reported_to_ops(tmp_path: Path, hook: WebhookSink, other: WebhookSink) -> None:
    config = make_config(
        tmp_path,
        f"  ops: {hook.url()}\n  chat: {other.url()}",
        "  - {name: r, match: NATO, notify: chat}",
        "ops: {channel: ops}\ndelivery: {max_attempts: 1}",
    )
    store = Store.open(config.database)
    clock = Clock(datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    other.statuses = [500]
    add_alert(store, config, 1, "r", clock.now)
    assert deliver(store, config, clock).dead == 1
    assert titles(hook) == ["[pantau] channel 'chat': deliveries dying"]
    body = hook.requests[0].json["message"]
    assert body.startswith(
        "Channel 'chat': gave up on 1 alert after 1 attempt: notify: channel 'chat' failed"
    )
    store.close()


def closings(store: Store) -> list[str]:
    """The statements that close an incident, as the store runs them from now on."""
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("UPDATE INCIDENT SET CLOSED_AT"):
            seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", note)
    return seen


def test_a_dying_channel_that_recovers_is_closed_once_and_ops_hears_it_once(
    tmp_path: Path, store_url: str, hook: WebhookSink, other: WebhookSink
) -> None:
    config = make_config(
        tmp_path,
        f"  ops: {hook.url()}\n  chat: {other.url()}",
        "  - {name: r, match: NATO, notify: chat}",
        "ops: {channel: ops}\ndelivery: {max_attempts: 1}",
        database=store_url,
    )
    store = Store.open(config.database)
    clock = Clock(datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    other.statuses = [500]
    add_alert(store, config, 0, "r", clock.now)
    assert deliver(store, config, clock).dead == 1
    closed = closings(store)
    clock.advance(minutes=5)
    for n in range(1, 6):
        add_alert(store, config, n, "r", clock.now)
    assert deliver(store, config, clock).delivered == 5
    assert len(closed) == 1  # once for the pass, not once per message
    for n in range(6, 9):
        add_alert(store, config, n, "r", clock.now)
    assert deliver(store, config, clock).delivered == 3
    assert len(closed) == 1  # nothing open: nothing to close
    assert titles(hook) == ["[pantau] channel 'chat': deliveries dying", "[pantau] channel 'chat': recovered"]
    assert (
        hook.requests[1].json["message"].startswith("Channel 'chat' is back to normal at 25 Nov 2026 10:05")
    )
    store.close()


class SlowNotifier(Notifier):
    """Every message takes 50 s of the test's clock; meanwhile another sender tries to claim what is due."""

    def __init__(self, config: Config, store: Store, clock: Clock) -> None:
        super().__init__(config.channel_urls)
        self.store, self.clock = store, clock
        self.taken_by_another: list[int] = []

    async def send(self, channel: str, message: Message, *, key: str | None = None) -> None:
        await super().send(channel, message, key=key)
        self.clock.advance(seconds=50)
        self.taken_by_another += [d.id for d in self.store.claim_due(self.clock.now, owner="elsewhere:1")]


def test_a_slow_channel_keeps_its_rows_leased_for_the_whole_pass(
    tmp_path: Path, store_url: str, hook: WebhookSink
) -> None:
    config = make_config(
        tmp_path, f"  hook: {hook.url()}", "  - {name: r, match: NATO, notify: hook}", database=store_url
    )
    store = Store.open(config.database)
    clock = Clock(datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    for n in range(6):
        add_alert(store, config, n, "r", clock.now)
    notifier = SlowNotifier(config, store, clock)  # the pass takes 5 minutes, the lease is 2
    report = asyncio.run(deliver_due(store, notifier, config, clock))
    assert report.delivered == 6 and notifier.taken_by_another == []
    assert titles(hook) == [f"[r] Story {n}: NATO and Japan" for n in range(6)]
    store.close()


def test_mail_carries_the_idempotency_key(tmp_path: Path) -> None:
    with SmtpSink() as smtp:
        config = make_config(tmp_path, f"  desk: {smtp.url()}", "  - {name: r, match: NATO, notify: desk}")
        store = Store.open(config.database)
        clock = Clock(datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
        add_alert(store, config, 1, "r", clock.now)
        deliver(store, config, clock)
        [mail] = smtp.wait_for(1)
        store.close()
    assert mail["X-Pantau-Delivery"].startswith("pantau-desk-")
    assert mail["Subject"] == "[r] Story 1: NATO and Japan"


def test_a_digest_names_the_other_outlets_that_reported_the_story(
    tmp_path: Path, store_url: str, hook: WebhookSink
) -> None:
    config = make_config(
        tmp_path,
        f"  hook: {hook.url()}",
        "  - {name: daily, match: NATO, notify: hook, digest: daily 08:00}",
        database=store_url,
    )
    store = Store.open(config.database)
    clock = Clock(datetime(2026, 11, 25, 13, 0, tzinfo=UTC))
    add_alert(store, config, 1, "daily", clock.now, source="wire")
    copy = Article(
        "warta",
        "https://warta.test/p1",
        "NATO dan Jepang",
        STORY_BODY,
        clock.now,
        None,
        "id",
        "hc",
        clock.now,
    )
    assert place(store, copy, indexed=False).article_id is not None
    clock.now = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    deliver(store, config, clock)
    [post] = hook.requests
    assert "also: warta" in post.json["message"]
    store.close()
