"""Fetcher.robots_ahead: robots.txt asked for before the first page, against real HTTP servers on 127.0.0.1.
What is asked for ahead must change nothing a user sees: the same verdicts, the same messages, said once,
and no second request for a robots.txt already under way."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from support.local_server import LocalServer

from pantau.errors import FetchError
from pantau.fetch import Fetcher, make_client
from pantau.models import Page

T = TypeVar("T")
UA = "pantau/0.1 (news monitor; +https://example.org/pantau)"
ROBOTS = b"User-agent: *\nDisallow: /private/\n"


def clock() -> datetime:
    return datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def run(job: Callable[[Fetcher], Awaitable[T]], **options: Any) -> T:
    async def main() -> T:
        async with make_client() as client:
            return await job(Fetcher(client, clock=clock, **options))

    return asyncio.run(main())


async def _asked(server: LocalServer, path: str) -> None:
    """Until the server has seen `path`, within a bound that only a missing request reaches."""
    for _ in range(3000):
        if server.count(path):
            return
        await asyncio.sleep(0.01)


async def _outcome(job: Awaitable[Page]) -> str:
    try:
        return (await job).body.decode()
    except FetchError as exc:
        return str(exc)


def test_robots_txt_is_asked_for_before_any_page_and_only_once(server: LocalServer) -> None:
    server.static("/robots.txt", 200, ROBOTS)
    server.static("/a", 200, b"ok")
    server.static("/private/b", 200, b"secret")

    async def job(f: Fetcher) -> list[str]:
        async with f.robots_ahead([(server.url("/a"), UA)]):
            await _asked(server, "/robots.txt")
            asked_first = [path for path, _ in server.hits]
            pages = [await _outcome(f.get(server.url(p), user_agent=UA)) for p in ("/a", "/private/b")]
        return asked_first + pages

    assert run(job) == ["/robots.txt", "ok", f"fetch: disallowed by robots.txt: {server.url('/private/b')}"]
    assert server.count("/robots.txt") == 1
    assert server.count("/private/b") == 0
    assert server.hits[0][1]["User-Agent"] == UA


def test_one_request_per_origin_however_many_pages(server: LocalServer) -> None:
    other = LocalServer.start()
    try:
        for s in (server, other):
            s.static("/robots.txt", 200, ROBOTS)
            s.static("/a", 200, b"ok")
        pages = [(server.url("/a"), UA), (server.url("/news"), UA), (other.url("/a"), "otherbot/1.0")]

        async def job(f: Fetcher) -> list[str]:
            async with f.robots_ahead(pages):
                return [await _outcome(f.get(url, user_agent=agent)) for url, agent in pages[::2]]

        assert run(job) == ["ok", "ok"]
        assert (server.count("/robots.txt"), other.count("/robots.txt")) == (1, 1)
    finally:
        other.close()


def test_an_unreadable_robots_txt_is_reported_once_by_the_page_as_without_it(server: LocalServer) -> None:
    server.static("/robots.txt", 503)
    server.static("/a", 200, b"ok")

    async def ahead(f: Fetcher) -> str:
        async with f.robots_ahead([(server.url("/a"), UA)]):
            return await _outcome(f.get(server.url("/a"), user_agent=UA))

    async def plain(f: Fetcher) -> str:
        return await _outcome(f.get(server.url("/a"), user_agent=UA))

    host = server.base.removeprefix("http://")
    said = f"fetch: {host} answered HTTP 503 for robots.txt (a server error); page not fetched: {server.url('/a')}"
    assert run(ahead) == said
    assert server.count("/robots.txt") == 1
    assert run(plain) == said  # the same words with no request ahead
    assert server.count("/a") == 0


def test_a_robots_txt_that_never_answers_costs_the_page_its_deadline_once(server: LocalServer) -> None:
    server.route("/robots.txt", lambda req: req.stopping.wait(30))
    server.static("/a", 200, b"ok")

    async def job(f: Fetcher) -> str:
        async with f.robots_ahead([(server.url("/a"), UA)]):
            return await _outcome(f.get(server.url("/a"), user_agent=UA))

    host = server.base.removeprefix("http://")
    assert run(job, timeout=0.5) == (
        f"fetch: {host} did not answer within 0.5s (asked for robots.txt); page not fetched: {server.url('/a')}"
    )
    assert server.count("/robots.txt") == 1


def test_requests_still_under_way_end_with_the_block(server: LocalServer) -> None:
    server.route("/robots.txt", lambda req: req.stopping.wait(30))

    async def job(f: Fetcher) -> int:
        async with f.robots_ahead([(server.url("/a"), UA)]):
            await _asked(server, "/robots.txt")
        return len(asyncio.all_tasks()) - 1  # besides this one

    assert run(job) == 0


def test_nothing_is_asked_for_when_robots_are_ignored_or_the_url_is_not_fetchable(
    server: LocalServer,
) -> None:
    server.static("/a", 200, b"ok")

    async def ignoring(f: Fetcher) -> str:
        async with f.robots_ahead([(server.url("/a"), UA)]):
            return await _outcome(f.get(server.url("/a"), user_agent=UA))

    async def unfetchable(f: Fetcher) -> str:
        async with f.robots_ahead([("ftp://example.org/a", UA), ("http:///a", UA), ("not a url", UA)]):
            return await _outcome(f.get("ftp://example.org/a", user_agent=UA))

    assert run(ignoring, respect_robots=False) == "ok"
    assert run(unfetchable) == "fetch: unsupported URL scheme 'ftp' in ftp://example.org/a"
    assert server.count("/robots.txt") == 0
