"""The routes of the web view. Each reads through the store's query functions (in a thread, so the service's
event loop keeps polling), turns rows into a small view model and renders a template or JSON.

Read-only: no route writes to the store or fetches anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from pantau.backtest import Found, backtest, compile_query
from pantau.config import Config, SourceConfig
from pantau.errors import RuleError
from pantau.redact import redact_url
from pantau.schedule import format_duration, parse_duration
from pantau.service.nextpoll import next_poll
from pantau.store import AlertFilter, AlertView, SourceHealth, StoredArticle
from pantau.web.app import CLOCK, CONFIG, NEXT_POLLS, STORE, render, shown
from pantau.web.present import Segment, excerpts, highlight

PAGE_SIZE = 50
HOME_ALERTS = 15
API_LIMIT = 100  # alerts per JSON page by default; `limit` asks for up to API_MAX
API_MAX = 1000
TRY_SHOWN = 100
# /try matches in a thread of the service's own process: a week of a big store would hold it for seconds.
TRY_SCAN_LIMIT = 5000
PER_DAY_WINDOW = timedelta(days=7)


def add_page_routes(app: web.Application) -> None:
    app.router.add_get("/", home, name="home")
    app.router.add_get("/alerts", alerts, name="alerts")
    app.router.add_get("/sources", sources, name="sources")
    app.router.add_get("/stories/{id:[0-9]+}", story, name="story")
    app.router.add_get("/try", try_query, name="try_query")
    app.router.add_get("/api/alerts", api_alerts, name="api_alerts")
    app.router.add_get("/api/sources", api_sources, name="api_sources")


# -- view models ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceRow:
    config: SourceConfig
    health: SourceHealth
    next_poll: datetime
    per_day: float | None  # articles per day over the last week (None: not counted on this page)

    @property
    def failing(self) -> bool:
        return self.health.consecutive_failures > 0

    @property
    def every(self) -> str:
        return format_duration(self.config.every)

    @property
    def url(self) -> str:
        """The source's URL as pages show it: an API key in its query never reaches a browser."""
        return redact_url(self.config.url)


@dataclass(frozen=True)
class TryHit:
    found: Found
    title: list[Segment]
    body: list[list[Segment]]


def _source_rows(
    config: Config,
    health: list[SourceHealth],
    planned: Mapping[str, datetime],
    now: datetime,
    per_week: Mapping[str, int] | None = None,
) -> list[SourceRow]:
    """The configured sources, failing ones first (most failures first), then in config order."""
    known = {h.name: h for h in health}
    rows = []
    for source in config.sources:
        h = known.get(source.name) or SourceHealth(name=source.name)
        when = planned.get(source.name) or next_poll(h.last_poll_at, source.every, now)
        per_day = per_week.get(source.name, 0) / PER_DAY_WINDOW.days if per_week is not None else None
        rows.append(SourceRow(source, h, when, per_day))
    return sorted(rows, key=lambda r: -r.health.consecutive_failures)


async def _read(func: Any, *args: Any) -> Any:
    """Store reads run in a thread: a slow query must not hold up the service's polls."""
    return await asyncio.to_thread(func, *args)


def _filter(query: Mapping[str, str], now: datetime) -> tuple[AlertFilter, str | None]:
    """The alert filter a query string asks for, and what was wrong with it (that part is ignored)."""
    problem = None
    since = None
    if query.get("since"):
        try:
            since = now - parse_duration(query["since"])
        except ValueError as exc:
            problem = f"since: {exc}"
    before = query.get("before", "")
    if before and not before.isdigit():
        problem = f"before: {before!r} is not an alert number"
    return (
        AlertFilter(
            rule=query.get("rule") or None,
            source=query.get("source") or None,
            since=since,
            before=int(before) if before.isdigit() else None,
        ),
        problem,
    )


def _older_link(path: str, query: Mapping[str, str], page: list[AlertView], size: int) -> str | None:
    if len(page) <= size:
        return None
    kept = {k: v for k, v in query.items() if k in ("rule", "source", "since", "limit") and v}
    return f"{path}?{urlencode({**kept, 'before': page[size - 1].alert.id})}"


# -- pages ----------------------------------------------------------------------------------------------


async def home(request: web.Request) -> web.Response:
    app, config = request.app, request.app[CONFIG]()
    store, now = app[STORE], app[CLOCK]()
    latest, health = await asyncio.gather(
        _read(store.alert_page, AlertFilter(), HOME_ALERTS), _read(store.all_source_health)
    )
    rows = _source_rows(config, health, app[NEXT_POLLS](), now)
    return render(
        request,
        "index.html",
        alerts=latest,
        sources=rows,
        failing=[r for r in rows if r.failing],
        rules=len(config.rules),
    )


async def alerts(request: web.Request) -> web.Response:
    config, store = request.app[CONFIG](), request.app[STORE]
    where, problem = _filter(request.query, request.app[CLOCK]())
    page = await _read(store.alert_page, where, PAGE_SIZE + 1)
    return render(
        request,
        "alerts.html",
        status=400 if problem else 200,
        problem=problem,
        alerts=page[:PAGE_SIZE],
        older=_older_link("/alerts", request.query, page, PAGE_SIZE),
        newest="/alerts?" + urlencode({k: v for k, v in request.query.items() if k != "before"}),
        rules=[r.name for r in config.rules],
        source_names=[s.name for s in config.sources],
        query=request.query,
        here=request.path_qs,
        filtered=bool(where.rule or where.source or where.since),
        paged=where.before is not None,
    )


async def _source_table(app: web.Application) -> list[SourceRow]:
    store, now = app[STORE], app[CLOCK]()
    health, per_week = await asyncio.gather(
        _read(store.all_source_health), _read(store.articles_per_source, now - PER_DAY_WINDOW)
    )
    return _source_rows(app[CONFIG](), health, app[NEXT_POLLS](), now, per_week)


async def sources(request: web.Request) -> web.Response:
    return render(request, "sources.html", sources=await _source_table(request.app))


async def story(request: web.Request) -> web.Response:
    story_id = int(request.match_info["id"])
    copies = await _read(request.app[STORE].story_copies, story_id)
    if not copies:
        return render(request, "missing.html", status=404, what=f"story {story_id}")
    return render(request, "story.html", story_id=story_id, copies=copies)


async def try_query(request: web.Request) -> web.Response:
    config, store = request.app[CONFIG](), request.app[STORE]
    text, since_text = request.query.get("q", ""), request.query.get("since") or "7d"
    values: dict[str, Any] = {"q": text, "since": since_text, "error": None, "column": None, "hits": None}
    try:
        window = parse_duration(since_text)
    except ValueError as exc:
        values["error"] = f"since: {exc}"
        return render(request, "try.html", status=400, total=0, capped=None, **values)
    if not text.strip():
        return render(request, "try.html", total=0, capped=None, **values)
    try:
        ruleset = compile_query(text, config.concepts)
    except RuleError as exc:
        values.update(error=exc.message + (f" (hint: {exc.hint})" if exc.hint else ""), column=exc.column)
        return render(request, "try.html", status=400, total=0, capped=None, **values)
    since = request.app[CLOCK]() - window

    def run() -> tuple[list[Found], int]:
        scanned = 0

        def counted() -> Iterator[StoredArticle]:
            nonlocal scanned
            for stored in store.newest_articles(since, TRY_SCAN_LIMIT):
                scanned += 1
                yield stored

        return list(backtest(ruleset, counted())), scanned

    found, scanned = await _read(run)
    hits = [_try_hit(f) for f in found[:TRY_SHOWN]]
    capped = TRY_SCAN_LIMIT if scanned >= TRY_SCAN_LIMIT else None
    return render(request, "try.html", total=len(found), capped=capped, **{**values, "hits": hits})


def _try_hit(found: Found) -> TryHit:
    a, hits = found.stored.article, found.match.hits
    title = highlight(a.title, [(h.start, h.end) for h in hits if h.field == "title"])
    body = excerpts(a.body, [h for h in hits if h.field == "body"])
    return TryHit(found, title, body)


# -- JSON -----------------------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _alert_json(view: AlertView, config: Config) -> dict[str, Any]:
    a = view.alert
    return {
        "id": a.id,
        "rule": a.rule,
        "source": a.source,
        "url": a.url,
        "title": a.title,
        "published": _iso(a.published),
        "created_at": _iso(a.created_at),
        "terms": list(a.terms),
        "snippet": a.snippet,
        "also_reported_by": list(a.also_reported_by),
        "article_id": view.article_id,
        "story_id": view.story_id,
        "deliveries": [
            {
                "channel": d.channel,
                "state": d.state,
                "attempts": d.attempts,
                "last_error": shown(d.last_error, config) or None,
                "delivered_at": _iso(d.delivered_at),
                "next_attempt_at": _iso(d.next_attempt_at) if d.state == "pending" else None,
            }
            for d in view.deliveries
        ],
    }


async def api_alerts(request: web.Request) -> web.Response:
    query = {"since": "24h", **request.query}
    where, problem = _filter(query, request.app[CLOCK]())
    limit_text = query.get("limit", str(API_LIMIT))
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= API_MAX:
        problem = f"limit: {limit_text!r} is not a number from 1 to {API_MAX}"
    if problem:
        return web.json_response({"error": problem}, status=400)
    limit = int(limit_text)
    page = await _read(request.app[STORE].alert_page, where, limit + 1)
    return web.json_response(
        {
            "alerts": [_alert_json(v, request.app[CONFIG]()) for v in page[:limit]],
            "next": _older_link("/api/alerts", query, page, limit),
        }
    )


async def api_sources(request: web.Request) -> web.Response:
    rows = await _source_table(request.app)
    return web.json_response(
        [
            {
                "name": r.config.name,
                "url": r.url,
                "every_seconds": int(r.config.every.total_seconds()),
                "last_poll": _iso(r.health.last_poll_at),
                "last_success": _iso(r.health.last_success_at),
                "consecutive_failures": r.health.consecutive_failures,
                "last_error": shown(r.health.last_error, request.app[CONFIG]()) or None,
                "articles_seen": r.health.articles_seen,
                "articles_per_day": r.per_day,
                "next_poll": _iso(r.next_poll),
            }
            for r in sorted(rows, key=lambda r: r.config.name)
        ]
    )
