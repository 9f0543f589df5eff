"""A quiet poll (the listing answers 304 Not Modified): what a big deployment does most of the time.

It must stay cheap, one read, one conditional GET and one write, and still do everything a poll does:
note the poll time and keep the source healthy, re-check a watched article when it is due (its check
written with the poll) and try again a link that failed before. Real HTTP to a local outlet, a simulated
clock, SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from support.outlet import BASE, QuerySite, article_html, prose

from pantau.config import load_config
from pantau.fetch import Fetcher, make_client
from pantau.pipeline import Context, PollResult, analyser_for, poll_source
from pantau.store import Store
from pantau.store.fast import FastCursor, FastPath

EVERY = timedelta(minutes=10)
CONFIG = """\
database: {db}
workers: 0
defaults: {{every: 10m, timeout: 5s, recheck: 6h, max_age: off}}
channels: {{desk: "json://127.0.0.1:9/unused"}}
sources:
  - {{name: kabar, url: "{base}/index.html", links: "a.berita"}}
rules:
  - {{name: nato, match: NATO, notify: desk}}
"""


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Counted:
    statements: int = 0  # SQL statements sent, whichever way (BEGIN and COMMIT not counted)
    writes: int = 0  # transactions that write


@contextmanager
def counted(store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[Counted]:
    """Every statement and write transaction the store runs meanwhile, through SQLAlchemy or its fast path."""
    seen = Counted()
    execute, executemany, transaction = FastCursor.execute, FastCursor.executemany, FastPath.transaction

    def fast_execute(self: FastCursor, stmt: Any, values: Any) -> Any:
        seen.statements += 1
        return execute(self, stmt, values)

    def fast_executemany(self: FastCursor, stmt: Any, rows: Any) -> None:
        seen.statements += bool(rows)
        executemany(self, stmt, rows)

    def fast_transaction(self: FastPath, *, write: bool) -> Any:
        seen.writes += write
        return transaction(self, write=write)

    def sqlalchemy_statement(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.statements += not statement.lstrip().upper().startswith("BEGIN")

    def sqlalchemy_commit(conn: Any) -> None:
        seen.writes += 1

    monkeypatch.setattr(FastCursor, "execute", fast_execute)
    monkeypatch.setattr(FastCursor, "executemany", fast_executemany)
    monkeypatch.setattr(FastPath, "transaction", fast_transaction)
    event.listen(store.engine, "before_cursor_execute", sqlalchemy_statement)
    event.listen(store.engine, "commit", sqlalchemy_commit)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", sqlalchemy_statement)
        event.remove(store.engine, "commit", sqlalchemy_commit)
        monkeypatch.undo()


ARTICLE = "/berita/1"


@pytest.fixture
def outlet(tmp_path: Path) -> Iterator[QuerySite]:
    site = QuerySite(tmp_path / "site")
    site.write("index.html", f'<html><body><a class="berita" href="{BASE}{ARTICLE}">Rapat</a></body></html>')
    published = datetime.now(UTC) - timedelta(hours=1)
    site.write(ARTICLE[1:], article_html("Rapat anggaran desa", prose("quiet"), published=published))
    with site:
        yield site


Step = tuple[timedelta, Callable[[Store, PollResult], None]]  # move the clock on, poll, check


def polls(
    tmp_path: Path,
    store_url: str,
    site: QuerySite,
    clock: Clock,
    steps: list[Step],
    count: tuple[int, pytest.MonkeyPatch] | None = None,
) -> Counted | None:
    """Poll the source once per step on one store and one fetcher; with `count` (a step's index), what
    the store ran during that step's poll."""
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.format(db=store_url, base=site.url))
    config = load_config(path)
    [source] = config.sources
    seen: list[Counted] = []

    async def run() -> None:
        with Store.open(store_url) as store:
            async with make_client() as client:
                with analyser_for(config) as analyser:
                    ctx = Context(config, store, Fetcher(client, clock=clock), clock, analyser)
                    for index, (later, check) in enumerate(steps):
                        clock.now += later
                        if count is not None and count[0] == index:
                            with counted(store, count[1]) as numbers:
                                result = await poll_source(source, ctx)
                            seen.append(numbers)
                        else:
                            result = await poll_source(source, ctx)
                        check(store, result)

    asyncio.run(run())
    return seen[0] if seen else None


def test_a_quiet_poll_is_one_read_one_request_and_one_write(
    tmp_path: Path, store_url: str, outlet: QuerySite, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()

    def first(store: Store, result: PollResult) -> None:
        assert result.new_articles == 1 and result.ok

    def quiet(store: Store, result: PollResult) -> None:
        assert result.not_modified and result.ok and result.new_articles == 0 and result.rechecked == 0
        health = store.source_health("kabar")
        assert health.last_poll_at == health.last_success_at == clock.now
        assert (health.consecutive_failures, health.last_error, health.articles_seen) == (0, None, 1)
        assert health.etag  # the validator the 304 confirmed is kept for the next poll

    # Half an interval on: the listing is unchanged and no re-check is due yet.
    steps: list[Step] = [(timedelta(0), first), (EVERY / 2, quiet)]
    seen = polls(tmp_path, store_url, outlet, clock, steps, count=(1, monkeypatch))
    assert seen is not None and seen.writes == 1
    assert seen.statements <= 4  # the source's state, its failed links, a re-check due?, the poll
    listing = outlet.requests("/index.html")
    assert len(listing) == 2 and listing[1].status == 304 and listing[1].if_none_match
    assert len(outlet.requests(ARTICLE)) == 1


def test_a_due_recheck_on_a_quiet_poll_is_written_with_the_poll(
    tmp_path: Path, store_url: str, outlet: QuerySite
) -> None:
    clock = Clock()
    start = clock.now

    def first(store: Store, result: PollResult) -> None:
        assert result.new_articles == 1
        assert store.due_rechecks("kabar", start + EVERY, 10)  # first re-check one interval on

    def rechecked(store: Store, result: PollResult) -> None:
        assert result.not_modified and result.rechecked == 1 and result.updated == 0
        assert store.due_rechecks("kabar", clock.now, 10) == []  # noted: not due again at once
        [due] = store.due_rechecks("kabar", clock.now + EVERY, 10)  # the next gap: the article's age
        assert due.etag  # the article's validator, sent again next time
        assert store.source_health("kabar").last_poll_at == clock.now

    polls(tmp_path, store_url, outlet, clock, [(timedelta(0), first), (EVERY, rechecked)])
    checks = outlet.requests(ARTICLE)
    assert len(checks) == 2 and checks[1].if_none_match and checks[1].status == 304


def test_a_link_that_failed_is_tried_again_on_a_quiet_poll(
    tmp_path: Path, store_url: str, outlet: QuerySite
) -> None:
    clock = Clock()
    outlet.fail(ARTICLE, 503, times=1)

    def failed(store: Store, result: PollResult) -> None:
        assert result.new_articles == 0 and not result.ok and not result.source_failed
        assert store.source_health("kabar").consecutive_failures == 0  # the source itself answered

    def retried(store: Store, result: PollResult) -> None:
        assert result.not_modified and result.new_articles == 1 and result.ok
        assert store.unfinished_links("kabar", 3) == []

    def nothing_left(store: Store, result: PollResult) -> None:
        assert result.not_modified and result.new_articles == 0

    steps: list[Step] = [(timedelta(0), failed), (EVERY / 3, retried), (EVERY / 3, nothing_left)]
    polls(tmp_path, store_url, outlet, clock, steps)
    assert [r.status for r in outlet.requests(ARTICLE)] == [503, 200]
    assert [r.status for r in outlet.requests("/index.html")] == [200, 304, 304]
