"""The web view's routes through aiohttp's test client, on a store filled by a real pass over the local
demo outlets (plus a failing outlet, a channel that cannot be reached and an article with a hostile
title), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from support.newsroom import publish_wire, write_config
from support.site import ScriptedSite
from support.webhook import WebhookSink

from pantau.clock import Clock, utc_now
from pantau.config import Config, load_config
from pantau.service.once import run_once
from pantau.store import Store
from pantau.web import build_app, pages

HOSTILE = '<script>alert("pantau")</script> NATO and Japan sign a cyber pact'


@dataclass(frozen=True)
class Reply:
    status: int
    text: str
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class Newsroom:
    config: Config
    store: Store
    clock: Clock = utc_now

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        async def go() -> Reply:
            app = build_app(lambda: self.config, self.store, self.clock)
            async with TestClient(TestServer(app)) as client:
                response = await client.get(path, headers=headers or {})
                return Reply(response.status, await response.text(), dict(response.headers))

        return asyncio.run(go())


@pytest.fixture
def newsroom(tmp_path: Path, site: ScriptedSite, hook: WebhookSink, store_url: str) -> Iterator[Newsroom]:
    publish_wire(
        site,
        "hostile-title",
        HOSTILE,
        [
            "NATO and Japan signed a cyber defence pact in Tokyo on Friday, officials said.",
            "The pact covers <b>joint drills</b> and shared warnings, the ministry said.",
        ],
    )
    config = load_config(write_config(tmp_path, site, store_url, hook.url()))
    with Store.open(config.database) as store:
        asyncio.run(run_once(config, store, utc_now))
        yield Newsroom(config, store)


def _alerts(room: Newsroom) -> list[dict[str, Any]]:
    reply = room.get("/api/alerts?since=1d")
    assert reply.status == 200
    alerts: list[dict[str, Any]] = reply.json()["alerts"]
    return alerts


def test_overview_shows_latest_alerts_and_failing_sources_first_in_red(newsroom: Newsroom) -> None:
    five_minutes_later = Newsroom(newsroom.config, newsroom.store, lambda: utc_now() + timedelta(minutes=5))
    page = five_minutes_later.get("/")
    assert page.status == 200
    assert "NATO chief seeks deeper ties with Japan" in page.text
    cards = re.findall(r'<li class="source-card( failing)?">\s*<a class="name"[^>]*>(\w+)</a>', page.text)
    assert cards[0] == (" failing", "gone")  # the failing outlet comes first, marked as failing
    assert {name for mark, name in cards[1:] if not mark} == {"warta", "wire", "feedsite"}
    assert "404" in page.text  # its last error is shown
    # relative times, the exact time (in the configured zone, Asia/Jakarta) on hover
    assert re.search(
        r'<time datetime="[^"]+\+07:00" title="20\d\d-\d\d-\d\d \d\d:\d\d:\d\d WIB">5 min ago</time>',
        page.text,
    )


def test_alerts_show_each_channels_delivery_state_and_next_attempt(newsroom: Newsroom) -> None:
    page = newsroom.get("/alerts")
    assert page.status == 200
    item = page.text.split('class="alert" id="alert-')[1]
    assert re.search(r'delivery delivered">\s*<span class="channel">hook</span>', item)
    assert re.search(r'delivery pending">\s*<span class="channel">down</span>', item)
    assert "next attempt <time" in item and "notify:" in item  # when, and why the last one failed
    api = _alerts(newsroom)
    nato = next(a for a in api if a["rule"] == "nato-indo-pacific")
    states = {d["channel"]: d for d in nato["deliveries"]}
    assert states["hook"]["state"] == "delivered" and states["hook"]["next_attempt_at"] is None
    assert states["down"]["state"] == "pending" and states["down"]["next_attempt_at"]
    assert datetime.fromisoformat(states["down"]["next_attempt_at"]) > datetime.fromisoformat(
        nato["created_at"]
    )


def test_scraped_titles_and_snippets_are_escaped_everywhere(newsroom: Newsroom) -> None:
    hostile = next(a for a in _alerts(newsroom) if a["title"].startswith("<script>"))
    paths = [
        "/",
        "/alerts",
        f"/stories/{hostile['story_id']}",
        "/try?q=cyber+pact",
        "/alerts?rule=nato-indo-pacific",
    ]
    for path in paths:
        page = newsroom.get(path)
        assert page.status == 200, path
        assert "<script>alert" not in page.text, path
        assert "&lt;script&gt;alert(&#34;pantau&#34;)&lt;/script&gt;" in page.text, path
        assert "<b>joint drills</b>" not in page.text, path
    # the only scripts on a page are ours
    assert re.findall(r"<script[^>]*>", newsroom.get("/").text) == [
        re.search(r'<script src="/static/htmx.min.js\?v=[^"]+" defer>', newsroom.get("/").text).group(0)  # type: ignore[union-attr]
    ]


def test_alerts_filter_by_rule_source_and_time(newsroom: Newsroom) -> None:
    everything = _alerts(newsroom)
    rules = {a["rule"] for a in everything}
    assert rules == {"nato-indo-pacific", "ukraine"}
    page = newsroom.get("/alerts?rule=ukraine")
    titles = re.findall(r'<a class="story" href="/stories/\d+">([^<]+)</a>', page.text)
    assert titles and len(titles) == sum(a["rule"] == "ukraine" for a in everything)
    assert 'class="rule" href="/alerts?rule=nato-indo-pacific"' not in page.text
    page = newsroom.get("/alerts?source=warta")
    sources = set(re.findall(r'class="source" href="/alerts\?source=(\w+)"', page.text))
    assert sources == {"warta"}
    # time: seen from two days later, nothing happened within the last 24 hours
    later = Newsroom(newsroom.config, newsroom.store, lambda: utc_now() + timedelta(days=2))
    assert "No alerts match these filters" in later.get("/alerts?since=24h").text
    assert later.get("/api/alerts?since=24h").json()["alerts"] == []
    assert len(later.get("/api/alerts?since=3d").json()["alerts"]) == len(everything)
    bad = newsroom.get("/alerts?since=yesterday")
    assert bad.status == 400 and "since: invalid duration" in bad.text
    assert newsroom.get("/api/alerts?since=soon").status == 400
    for limit in ("0", "1001", "many"):
        reply = newsroom.get(f"/api/alerts?limit={limit}")
        assert reply.status == 400 and "limit:" in reply.json()["error"], limit


def test_alerts_are_paginated(newsroom: Newsroom, monkeypatch: pytest.MonkeyPatch) -> None:
    everything = _alerts(newsroom)
    assert len(everything) >= 3
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    seen: list[str] = []
    path: str | None = "/alerts"
    while path:
        page = newsroom.get(path.replace("&amp;", "&"))
        seen += re.findall(r'class="alert" id="alert-(\d+)"', page.text)
        older = re.search(r'<a rel="next" href="([^"]+)">older', page.text)
        path = older.group(1) if older else None
    assert seen == [str(a["id"]) for a in everything]  # newest first, each once
    # the JSON API pages the same way
    first = newsroom.get("/api/alerts?since=1d&limit=1").json()
    second = newsroom.get(first["next"]).json()
    assert [a["id"] for a in first["alerts"] + second["alerts"]] == [a["id"] for a in everything[:2]]


def test_sources_page_and_api_show_health_and_next_poll(newsroom: Newsroom) -> None:
    page = newsroom.get("/sources")
    assert page.status == 200
    row = page.text.split('<tr id="source-gone"')[1].split("</tr>")[0]
    assert row.startswith(' class="failing"')
    assert "fetch: HTTP 404 for http://127.0.0.1:" in row
    api = {s["name"]: s for s in newsroom.get("/api/sources").json()}
    assert api["gone"]["consecutive_failures"] == 1 and api["gone"]["last_success"] is None
    assert api["wire"]["consecutive_failures"] == 0 and api["wire"]["articles_seen"] >= 3
    assert api["wire"]["articles_per_day"] == pytest.approx(api["wire"]["articles_seen"] / 7)
    last = datetime.fromisoformat(api["wire"]["last_poll"])
    assert datetime.fromisoformat(api["wire"]["next_poll"]) == last + timedelta(hours=1)


def test_story_shows_every_outlets_copy_and_what_was_alerted(newsroom: Newsroom) -> None:
    shared = [a for a in _alerts(newsroom) if a["also_reported_by"]]
    assert shared, "the demo has a story that two outlets reported"
    alert = shared[0]
    page = newsroom.get(f"/stories/{alert['story_id']}")
    assert page.status == 200
    copies = re.findall(
        r'<li class="copy" id="article-\d+">\s*<div class="meta"><span class="source">(\w+)', page.text
    )
    assert set(copies) == {alert["source"], *alert["also_reported_by"]}
    assert page.text.count('class="alert" id="alert-') == 1  # one alert for the story, on the first copy
    assert "the story had already been alerted" in page.text
    missing = newsroom.get("/stories/999999")
    assert missing.status == 404 and "There is no story 999999" in missing.text


def test_try_backtests_a_query_with_hits_highlighted(newsroom: Newsroom) -> None:
    page = newsroom.get("/try?q=%40nato+AND+Jepang&since=7d")
    assert page.status == 200
    assert re.search(r"\d+ stored articles? from the last 7d would have matched", page.text)
    assert "<mark>NATO</mark>" in page.text and "<mark>Jepang</mark>" in page.text
    empty = newsroom.get("/try?q=Antarctica&since=7d")
    assert "0 stored articles from the last 7d would have matched" in empty.text
    assert "<mark>" not in empty.text


def test_try_shows_a_syntax_error_at_its_column(newsroom: Newsroom) -> None:
    page = newsroom.get("/try?q=NATO+AND+%28Japan")
    assert page.status == 400
    shown = re.search(r'<pre class="query">(.*?)</pre>', page.text, re.S)
    assert shown is not None
    query, caret = shown.group(1).split("\n")
    assert query == "NATO AND (Japan"
    column = int(re.search(r"column (\d+):", page.text).group(1))  # type: ignore[union-attr]
    assert caret == " " * (column - 1) + "^"
    assert newsroom.get("/try?q=NATO&since=forever").status == 400


def test_static_files_are_served(newsroom: Newsroom) -> None:
    css = newsroom.get("/static/pantau.css")
    assert css.status == 200 and "--bad" in css.text
    htmx = newsroom.get("/static/htmx.min.js")
    assert htmx.status == 200 and "htmx" in htmx.text[:200]


# -- authentication -----------------------------------------------------------------------------------


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_a_password_guards_every_page(tmp_path: Path, site: ScriptedSite, hook: WebhookSink) -> None:
    path = write_config(tmp_path, site, f"sqlite:///{tmp_path / 'p.db'}", hook.url(), password="s3cret pw")
    config = load_config(path)
    with Store.open(config.database) as store:
        room = Newsroom(config, store)
        for route in ["/", "/alerts", "/sources", "/try?q=NATO", "/api/alerts", "/api/sources", "/stories/1"]:
            assert room.get(route).status == 401, route
            wrong = room.get(route, _basic("admin", "s3cret"))
            assert wrong.status == 401 and wrong.headers["WWW-Authenticate"].startswith("Basic"), route
        assert room.get("/", {"Authorization": "Basic !!!"}).status == 401
        assert room.get("/", {"Authorization": "Bearer s3cret pw"}).status == 401
        assert room.get("/", _basic("anyone", "s3cret pw")).status == 200
        assert room.get("/api/sources", _basic("", "s3cret pw")).status == 200
        assert "s3cret" not in room.get("/").text


def test_without_a_password_on_loopback_pages_are_open(newsroom: Newsroom) -> None:
    assert newsroom.config.web is not None and newsroom.config.web.password is None
    assert newsroom.get("/").status == 200


def test_stored_errors_never_show_a_secret(tmp_path: Path, site: ScriptedSite) -> None:
    hook = "json://bot:${HOOK_TOKEN}@127.0.0.1:9/hook"
    path = write_config(tmp_path, site, f"sqlite:///{tmp_path / 'p.db'}", hook)
    config = load_config(path, env={"HOOK_TOKEN": "tok-98765-secret"})
    with Store.open(config.database) as store:
        # an error stored by an older pantau, before errors were redacted on the way in
        store.record_poll("wire", utc_now(), error="fetch: HTTP 401 for token tok-98765-secret")
        room = Newsroom(config, store)
        for route in ["/", "/sources", "/api/sources"]:
            page = room.get(route)
            assert page.status == 200 and "fetch: HTTP 401 for token" in page.text, route
            assert "tok-98765" not in page.text, route


def test_try_searches_the_newest_articles_first_and_says_when_it_stopped(
    newsroom: Newsroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    everything = newsroom.get("/try?q=NATO&since=7d")
    assert "were searched" not in everything.text
    titles = re.findall(r'<li class="hit">.*?<div class="headline"><a [^>]*>(.*?)</a>', everything.text, re.S)
    assert len(titles) >= 3
    monkeypatch.setattr(pages, "TRY_SCAN_LIMIT", 3)
    capped = newsroom.get("/try?q=NATO&since=7d")
    broad = newsroom.get("/try?q=the+OR+dan&since=7d")  # words in nearly every article
    assert len(re.findall(r'<li class="hit">', broad.text)) in (2, 3)
    assert "Only the newest 3 articles of that period were searched" in capped.text
    shown = re.findall(r'<li class="hit">.*?<div class="headline"><a [^>]*>(.*?)</a>', capped.text, re.S)
    assert len(shown) <= 3 and shown == titles[: len(shown)]  # newest first, as without the cap


def test_a_source_url_with_an_api_key_is_shown_without_it(newsroom: Newsroom) -> None:
    first, *rest = newsroom.config.sources
    keyed = replace(first, url=first.url + "?api_key=k3y-55501-secret&lang=en")
    room = Newsroom(replace(newsroom.config, sources=(keyed, *rest)), newsroom.store)
    for route in ["/", "/sources", "/api/sources"]:
        page = room.get(route)
        assert page.status == 200, route
        assert "k3y-55501" not in page.text, route
    listed = {s["name"]: s["url"] for s in room.get("/api/sources").json()}
    assert "api_key=" in listed[first.name] and "lang=en" in listed[first.name]
