"""Fetcher against real HTTP servers on 127.0.0.1: what a user sees when a site misbehaves."""

from __future__ import annotations

import asyncio
import gzip
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any, TypeVar

import pytest
from support.local_server import LocalServer, Request

from pantau.errors import FetchError
from pantau.fetch import ROBOTS_RETRY_AFTER, Fetcher, FetchStatusError, make_client
from pantau.models import Page

T = TypeVar("T")
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
UA = "pantau/0.1 (news monitor; +https://example.org/pantau)"


def clock() -> datetime:
    return NOW


def run(job: Callable[[Fetcher], Awaitable[T]], **options: Any) -> T:
    async def main() -> T:
        async with make_client() as client:
            return await job(Fetcher(client, clock=clock, **options))

    return asyncio.run(main())


def get(url: str, **options: Any) -> Page:
    return run(lambda f: f.get(url, user_agent=UA), **options)


def fetch_error(url: str, **options: Any) -> FetchError:
    with pytest.raises(FetchError) as info:
        get(url, **options)
    return info.value


def test_ok_page_carries_type_charset_body_and_clock(server: LocalServer) -> None:
    body = b"<p>Menteri luar negeri bertemu</p>"
    server.static("/a", 200, body, {"Content-Type": 'Text/HTML; Charset="UTF-8"', "ETag": '"v1"'})
    page = get(server.url("/a"))
    assert (page.status, page.body, page.content_type, page.charset) == (200, body, "text/html", "utf-8")
    assert page.etag == '"v1"'
    assert page.fetched_at == NOW
    assert page.url == page.final_url == server.url("/a")


def test_user_agent_header_sent(server: LocalServer) -> None:
    server.static("/a", 200, b"x")
    get(server.url("/a"), respect_robots=False)
    assert server.hits[-1][1]["User-Agent"] == UA


def test_missing_content_type_is_empty(server: LocalServer) -> None:
    server.static("/a", 200, b"x")
    page = get(server.url("/a"))
    assert (page.content_type, page.charset) == ("", None)


def test_invalid_utf8_passes_through_as_bytes(server: LocalServer) -> None:
    body = b"<p>caf\xe9 \xff\xfe \xc3</p>"
    server.static("/a", 200, body, {"Content-Type": "text/html; charset=utf-8"})
    assert get(server.url("/a")).body == body


def test_conditional_get_round_trip(server: LocalServer) -> None:
    modified = "Tue, 24 Nov 2026 10:00:00 GMT"

    def handler(req: Request) -> None:
        if req.headers.get("If-None-Match") == '"abc"' and req.headers.get("If-Modified-Since") == modified:
            req.reply(304, headers={"ETag": '"abc"'})
        else:
            req.reply(200, b"<rss/>", {"ETag": '"abc"', "Last-Modified": modified})

    server.route("/feed", handler)

    async def twice(f: Fetcher) -> tuple[Page, Page]:
        first = await f.get(server.url("/feed"), user_agent=UA)
        second = await f.get(
            server.url("/feed"), user_agent=UA, etag=first.etag, last_modified=first.last_modified
        )
        return first, second

    first, second = run(twice)
    assert (first.status, first.body, first.etag, first.last_modified) == (200, b"<rss/>", '"abc"', modified)
    assert second.not_modified
    assert (second.status, second.body, second.etag, second.last_modified) == (304, b"", '"abc"', modified)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (404, "fetch: HTTP 404 for {url}"),
        (500, "fetch: HTTP 500 for {url}"),
        (403, "fetch: HTTP 403 for {url}"),
    ],
)
def test_error_status_message(server: LocalServer, status: int, message: str) -> None:
    server.static("/a", status, b"oops")
    err = fetch_error(server.url("/a"))
    assert str(err) == message.format(url=server.url("/a"))
    assert isinstance(err, FetchStatusError)
    assert err.status == status
    assert err.retry_after is None


@pytest.mark.parametrize(
    ("status", "header", "seconds"),
    [
        (503, "120", 120.0),
        (429, format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        (503, "soon", None),
        (500, "120", None),  # only 429 and 503 carry a meaningful Retry-After
    ],
)
def test_retry_after(server: LocalServer, status: int, header: str, seconds: float | None) -> None:
    server.static("/a", status, b"", {"Retry-After": header})
    err = fetch_error(server.url("/a"))
    assert isinstance(err, FetchStatusError)
    assert err.retry_after == seconds
    assert str(err).startswith(f"fetch: HTTP {status} for {server.url('/a')}")
    if seconds is not None:
        assert f"retry after {seconds:g}s" in str(err)


def test_redirect_followed_to_final_url(server: LocalServer) -> None:
    server.static("/old", 301, b"", {"Location": "/mid"})
    server.static("/mid", 302, b"", {"Location": server.url("/new")})
    server.static("/new", 200, b"here")
    page = get(server.url("/old"))
    assert (page.url, page.final_url, page.body) == (server.url("/old"), server.url("/new"), b"here")


def test_redirect_loop_stops(server: LocalServer) -> None:
    for i in range(7):
        server.static(f"/r{i}", 302, b"", {"Location": f"/r{i + 1}"})
    server.static("/r7", 200, b"never")
    assert "more than 5 redirects" in str(fetch_error(server.url("/r0")))
    assert server.count("/r6") == 0


def test_body_at_cap_is_kept(server: LocalServer) -> None:
    server.static("/a", 200, b"x" * 1000)
    assert len(get(server.url("/a"), max_bytes=1000).body) == 1000


def test_oversized_body_refused(server: LocalServer) -> None:
    server.static("/a", 200, b"x" * 1001)
    err = fetch_error(server.url("/a"), max_bytes=1000)
    assert str(err) == f"fetch: response larger than 1 kB from {server.url('/a')}"


def test_oversized_chunked_body_without_length_refused(server: LocalServer) -> None:
    def handler(req: Request) -> None:
        req.send_response(200)
        req.send_header("Transfer-Encoding", "chunked")
        req.end_headers()
        for _ in range(50):
            req.wfile.write(b"4000\r\n" + b"y" * 0x4000 + b"\r\n")
        req.wfile.write(b"0\r\n\r\n")

    server.route("/a", handler)
    assert "larger than 500 kB" in str(fetch_error(server.url("/a"), max_bytes=500_000))


def test_gzip_bomb_stops_at_cap(server: LocalServer) -> None:
    bomb = gzip.compress(b"\0" * 50_000_000, compresslevel=9)
    assert len(bomb) < 100_000
    server.static("/bomb", 200, bomb, {"Content-Encoding": "gzip", "Content-Type": "text/html"})
    err = fetch_error(server.url("/bomb"), max_bytes=5_000_000)
    assert str(err) == f"fetch: response larger than 5 MB from {server.url('/bomb')}"


def test_gzip_body_is_decompressed(server: LocalServer) -> None:
    server.static("/z", 200, gzip.compress(b"<p>Seoul</p>"), {"Content-Encoding": "gzip"})
    assert get(server.url("/z")).body == b"<p>Seoul</p>"


def test_gzip_bomb_is_not_inflated_past_the_cap_in_memory(server: LocalServer) -> None:
    """100 MB of zeros in 100 kB of gzip: refused having held about the cap, not a whole inflated chunk."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    bomb = b"".join(packer.compress(bytes(1_000_000)) for _ in range(100)) + packer.flush()
    server.static("/bomb", 200, bomb, {"Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        err = fetch_error(server.url("/bomb"), max_bytes=1_000_000, respect_robots=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(err) == f"fetch: response larger than 1 MB from {server.url('/bomb')}"
    assert peak < 5_000_000


def _deflate(data: bytes, wbits: int) -> bytes:
    packer = zlib.compressobj(wbits=wbits)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("gzip", gzip.compress(b"<p>Jakarta</p>")),
        ("x-gzip", gzip.compress(b"<p>Jakarta</p>")),
        ("deflate", zlib.compress(b"<p>Jakarta</p>")),
        ("Deflate", _deflate(b"<p>Jakarta</p>", -zlib.MAX_WBITS)),  # raw deflate, as some servers send it
        ("gzip, deflate", zlib.compress(gzip.compress(b"<p>Jakarta</p>"))),  # gzip first, then deflate
        ("identity", b"<p>Jakarta</p>"),
        ("utf-8", b"<p>Jakarta</p>"),  # not a coding: a misconfigured server, the body is as sent
    ],
)
def test_content_codings_are_decoded(server: LocalServer, encoding: str, body: bytes) -> None:
    server.static("/a", 200, body, {"Content-Encoding": encoding})
    assert get(server.url("/a"), respect_robots=False).body == b"<p>Jakarta</p>"
    assert server.hits[-1][1]["Accept-Encoding"] == "gzip, deflate"


def test_gzip_over_many_chunks_is_decoded(server: LocalServer) -> None:
    text = b"".join(b"<p>paragraf %d</p>" % i for i in range(20_000))
    packed = gzip.compress(text)

    def handler(req: Request) -> None:
        req.send_response(200)
        req.send_header("Content-Encoding", "gzip")
        req.send_header("Transfer-Encoding", "chunked")
        req.end_headers()
        for at in range(0, len(packed), 1000):
            part = packed[at : at + 1000]
            req.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            req.wfile.flush()
        req.wfile.write(b"0\r\n\r\n")

    server.route("/a", handler)
    assert get(server.url("/a"), respect_robots=False).body == text


def test_an_encoding_never_asked_for_is_one_line_error(server: LocalServer) -> None:
    server.static("/a", 200, b"\x8b\x03\x80garbage", {"Content-Encoding": "br"})
    err = str(fetch_error(server.url("/a"), respect_robots=False))
    assert (
        err == f"fetch: cannot decode the response from {server.url('/a')}: unsupported Content-Encoding 'br'"
    )


def test_header_names_in_any_case(server: LocalServer) -> None:
    modified = "Tue, 24 Nov 2026 10:00:00 GMT"
    headers = {"CONTENT-TYPE": "text/html; CHARSET=windows-1252", "etag": '"v2"', "LAST-modified": modified}
    server.static("/a", 200, b"x", headers)
    server.static("/old", 301, b"", {"LOCATION": "/a"})
    page = get(server.url("/old"), respect_robots=False)
    assert (page.content_type, page.charset, page.etag, page.last_modified) == (
        "text/html",
        "windows-1252",
        '"v2"',
        modified,
    )
    assert page.final_url == server.url("/a")


def test_url_is_sent_as_given(server: LocalServer) -> None:
    """Escapes stay as written (re-quoted, /a%2Fb or %7e could name another page on some servers)."""
    path = "/a%2Fb/%7e%41;v=1?q=%c3%a9&x=a+b&y=%zz"
    server.static(path.split("?")[0], 200, b"ok")
    page = get(server.url(path), respect_robots=False)
    assert server.hits[-1][0] == path
    assert page.final_url == page.url == server.url(path)


def test_non_ascii_and_spaces_in_url_are_percent_encoded(server: LocalServer) -> None:
    server.static("/berita/caf%C3%A9%20pagi", 200, b"ok")
    page = get(server.url("/berita/café pagi?kota=Malmö&x=%2F#atas"), respect_robots=False)
    assert server.hits[-1][0] == "/berita/caf%C3%A9%20pagi?kota=Malm%C3%B6&x=%2F"
    assert page.final_url == server.url("/berita/caf%C3%A9%20pagi?kota=Malm%C3%B6&x=%2F#atas")
    assert page.body == b"ok"


def test_control_characters_in_url_cannot_add_a_header(server: LocalServer) -> None:
    err = fetch_error(server.url("/a\r\nX-Injected: 1 \x00"), respect_robots=False)
    assert str(err).startswith("fetch: HTTP 404 for ")
    sent_path, sent_headers = server.hits[-1]
    assert "X-Injected" not in sent_headers
    assert sent_path.startswith("/a") and " " not in sent_path and "\x00" not in sent_path


def test_server_that_never_answers_times_out(server: LocalServer) -> None:
    server.route("/hang", lambda req: req.stopping.wait(30))
    err = fetch_error(server.url("/hang"), timeout=0.5, respect_robots=False)
    assert str(err) == f"fetch: timed out after 0.5s for {server.url('/hang')}"


def test_slow_drip_hits_overall_deadline(server: LocalServer) -> None:
    def drip(req: Request) -> None:
        req.send_response(200)
        req.send_header("Content-Length", "100000")
        req.end_headers()
        while not req.stopping.wait(0.05):
            req.wfile.write(b".")
            req.wfile.flush()

    server.route("/drip", drip)
    err = fetch_error(server.url("/drip"), timeout=0.6, respect_robots=False)
    assert str(err) == f"fetch: timed out after 0.6s for {server.url('/drip')}"


def test_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    err = fetch_error(f"http://127.0.0.1:{port}/a", respect_robots=False)
    assert str(err).startswith(f"fetch: cannot connect to 127.0.0.1:{port}: ")


def _raw_server(answer: bytes) -> int:
    """A server that reads one request, writes `answer` verbatim and hangs up: for broken HTTP."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        with listener:
            while True:
                conn, _ = listener.accept()
                with conn:
                    conn.recv(65536)
                    conn.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    return int(listener.getsockname()[1])


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        # after the colon, aiohttp's own first line ("Bad status line"; "Expected HTTP/" before 3.12)
        (b"garbage\r\n\r\n", "bad HTTP response from {host} for {url}: "),
        (b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", "bad HTTP response from {host}"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", "connection to {host} failed for {url}"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad HTTP response from {host}"),
        (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello", "cannot decode"),
        (b"", "cannot connect to {host}: Server disconnected"),
    ],
    ids=["not-http", "huge-header", "short-body", "bad-chunk", "bad-gzip", "hang-up"],
)
def test_broken_http_is_one_line_error(answer: bytes, message: str) -> None:
    port = _raw_server(answer)
    host, url = f"127.0.0.1:{port}", f"http://127.0.0.1:{port}/a"
    err = str(fetch_error(url, respect_robots=False, timeout=5))
    assert err.startswith("fetch: " + message.format(host=host, url=url))
    assert "\n" not in err


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/a", "fetch: unsupported URL scheme 'ftp' in ftp://example.org/a"),
        ("file:///etc/passwd", "fetch: unsupported URL scheme 'file' in file:///etc/passwd"),
        ("example.org/a", "fetch: unsupported URL scheme '' in example.org/a"),
        ("http:///a", "fetch: no host in URL 'http:///a'"),
        ("http://example.org:99999/", "fetch: invalid URL 'http://example.org:99999/'"),
        ("http://news..example.org/", "fetch: invalid URL 'http://news..example.org/': a host name label"),
        ("http://" + "a" * 64 + ".org/", "fetch: invalid URL 'http://" + "a" * 64 + ".org/': a host name"),
        ("http://ber\u00efta..contoh.id/", "fetch: invalid URL 'http://berïta..contoh.id/': "),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    assert str(fetch_error(url)).startswith(message)


ROBOTS = b"User-agent: *\nDisallow: /private\n\nUser-agent: pantau\nDisallow: /no-pantau\n"


@pytest.mark.parametrize(
    ("agent", "path", "allowed"),
    [
        (UA, "/public", True),
        (UA, "/no-pantau", False),
        # a group naming pantau replaces the `*` group entirely (RFC 9309)
        (UA, "/private/x", True),
        ("otherbot/2.0", "/private/x", False),
        ("otherbot/2.0", "/no-pantau", True),
    ],
)
def test_robots_rules(server: LocalServer, agent: str, path: str, allowed: bool) -> None:
    server.static("/robots.txt", 200, ROBOTS)
    server.static(path, 200, b"ok")
    fetch = run(lambda f: _outcome(f.get(server.url(path), user_agent=agent)))
    if allowed:
        assert fetch == "ok"
    else:
        assert fetch == f"fetch: disallowed by robots.txt: {server.url(path)}"
        assert server.count(path) == 0


async def _outcome(job: Awaitable[Page]) -> str:
    try:
        page = await job
        return page.body.decode()
    except FetchError as exc:
        return str(exc)


def test_robots_redirect_is_followed(server: LocalServer) -> None:
    server.static("/robots.txt", 301, b"", {"Location": "/robots-2026.txt"})
    server.static("/robots-2026.txt", 200, b"User-agent: *\nDisallow: /private\n")
    server.static("/public", 200, b"ok")
    assert get(server.url("/public")).body == b"ok"
    assert str(fetch_error(server.url("/private/1"))) == (
        f"fetch: disallowed by robots.txt: {server.url('/private/1')}"
    )


def test_robots_redirect_loop_blocks_the_host(server: LocalServer) -> None:
    server.static("/robots.txt", 302, b"", {"Location": "/robots.txt"})
    server.static("/a", 200, b"ok")
    host = server.base.removeprefix("http://")
    assert str(fetch_error(server.url("/a"))) == (
        f"fetch: robots.txt of {host} could not be read (more than 5 redirects from "
        f"{server.url('/robots.txt')}); page not fetched: {server.url('/a')}"
    )
    assert server.count("/a") == 0


def test_robots_fetched_once_per_host(server: LocalServer) -> None:
    server.static("/robots.txt", 200, ROBOTS)
    server.static("/a", 200, b"ok")

    async def many(f: Fetcher) -> None:
        await asyncio.gather(*(f.get(server.url("/a"), user_agent=UA) for _ in range(5)))
        await f.get(server.url("/a"), user_agent=UA)

    run(many)
    assert server.count("/robots.txt") == 1
    assert server.count("/a") == 6


@pytest.mark.parametrize(("status", "allowed"), [(404, True), (410, True), (500, False), (503, False)])
def test_robots_status_rfc9309(server: LocalServer, status: int, allowed: bool) -> None:
    server.static("/robots.txt", status, b"User-agent: *\nDisallow: /\n")
    server.static("/a", 200, b"ok")
    if allowed:
        assert get(server.url("/a")).body == b"ok"
    else:
        err = str(fetch_error(server.url("/a")))
        host = server.base.removeprefix("http://")
        assert err == (
            f"fetch: {host} answered HTTP {status} for robots.txt (a server error); page not fetched: "
            + server.url("/a")
        )
        assert "disallowed" not in err
        assert server.count("/a") == 0


def test_robots_unanswered_says_the_host_did_not_answer(server: LocalServer) -> None:
    server.route("/robots.txt", lambda req: req.stopping.wait(30))
    server.static("/a", 200, b"ok")
    err = str(fetch_error(server.url("/a"), timeout=0.5))
    host = server.base.removeprefix("http://")
    assert err == (
        f"fetch: {host} did not answer within 0.5s (asked for robots.txt); page not fetched: {server.url('/a')}"
    )
    assert server.count("/a") == 0


def test_robots_refused_says_the_host_refused_the_connection() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/news/1"
    err = str(fetch_error(url))
    assert (
        err
        == f"fetch: 127.0.0.1:{port} refused the connection (asked for robots.txt); page not fetched: {url}"
    )


def test_robots_ignored_when_asked(server: LocalServer) -> None:
    server.static("/robots.txt", 200, b"User-agent: *\nDisallow: /\n")
    server.static("/a", 200, b"ok")
    assert get(server.url("/a"), respect_robots=False).body == b"ok"
    assert server.count("/robots.txt") == 0


class _Gauge:
    """Counts requests in flight. Each is held until as many as the limit allows are in at once (so the
    limit is reached however slow the machine), then a moment longer, for any request beyond the limit to
    show itself in the peak."""

    def __init__(self, limit: int, total: int) -> None:
        self.cond = threading.Condition()
        self.limit, self.total = limit, total
        self.now = self.done = self.peak = 0

    def handler(self, req: Request) -> None:
        with self.cond:
            self.now += 1
            self.peak = max(self.peak, self.now)
            self.cond.notify_all()
            full = self.cond.wait_for(lambda: self.now >= min(self.limit, self.total - self.done), timeout=10)
        time.sleep(0.05)
        with self.cond:
            self.now -= 1
            self.done += 1
            self.cond.notify_all()
        req.reply(200 if full else 500, b"ok")


@pytest.mark.parametrize("per_host", [1, 2, 3])
def test_per_host_limit(server: LocalServer, per_host: int) -> None:
    gauge = _Gauge(per_host, total=8)
    server.route("/slow", gauge.handler)

    async def burst(f: Fetcher) -> None:
        await asyncio.gather(*(f.get(server.url(f"/slow?n={i}"), user_agent=UA) for i in range(8)))

    run(burst, per_host=per_host, respect_robots=False)
    assert gauge.peak == per_host
    assert server.count("/slow") == 8


def test_robots_request_counts_against_host_limit(server: LocalServer) -> None:
    gauge = _Gauge(1, total=4)  # robots.txt, then the three pages
    server.route("/robots.txt", gauge.handler)
    server.route("/slow", gauge.handler)

    async def burst(f: Fetcher) -> None:
        await asyncio.gather(*(f.get(server.url(f"/slow?n={i}"), user_agent=UA) for i in range(3)))

    run(burst, per_host=1)
    assert gauge.peak == 1
    assert server.count("/robots.txt") == 1 and server.count("/slow") == 3


def test_client_read_timeout_shorter_than_deadline(server: LocalServer) -> None:
    server.route("/hang", lambda req: req.stopping.wait(30))

    async def main() -> str:
        async with make_client(timeout=0.3) as client:
            fetcher = Fetcher(client, clock=clock, timeout=20, respect_robots=False)
            try:
                await fetcher.get(server.url("/hang"), user_agent=UA)
            except FetchError as exc:
                return str(exc)
        return "no error"

    message = asyncio.run(main())
    assert message.startswith("fetch: timed out (")
    assert message.endswith(f" for {server.url('/hang')}")


def test_redirect_target_is_checked_against_robots(server: LocalServer) -> None:
    server.static("/robots.txt", 200, b"User-agent: *\nDisallow: /private\n")
    server.static("/short", 302, b"", {"Location": "/private/story"})
    server.static("/private/story", 200, b"secret")
    err = fetch_error(server.url("/short"))
    assert str(err) == f"fetch: disallowed by robots.txt: {server.url('/private/story')}"
    assert server.count("/private/story") == 0


def test_redirect_to_unsupported_scheme(server: LocalServer) -> None:
    server.static("/a", 301, b"", {"Location": "ftp://files.example.org/a"})
    assert str(fetch_error(server.url("/a"))) == (
        "fetch: unsupported URL scheme 'ftp' in ftp://files.example.org/a"
    )


def test_redirect_without_location_is_an_error(server: LocalServer) -> None:
    server.static("/a", 302, b"")
    assert str(fetch_error(server.url("/a"))) == f"fetch: HTTP 302 for {server.url('/a')}"


def test_a_robots_txt_outage_is_asked_again_minutes_later_not_a_day_later(server: LocalServer) -> None:
    """A 5xx robots.txt blocks the host (RFC 9309), but only until it is asked again a few minutes later:
    a short outage of the outlet must not stop its source for a whole day."""
    server.static("/robots.txt", 503)
    server.static("/a", 200, b"ok")
    now = [NOW]

    async def main() -> tuple[str, bytes]:
        async with make_client() as client:
            fetcher = Fetcher(client, clock=lambda: now[0])
            with pytest.raises(FetchError) as blocked:
                await fetcher.get(server.url("/a"), user_agent=UA)
            server.static("/robots.txt", 200, b"User-agent: *\nAllow: /\n")
            now[0] = NOW + ROBOTS_RETRY_AFTER + timedelta(seconds=1)
            return str(blocked.value), (await fetcher.get(server.url("/a"), user_agent=UA)).body

    blocked, body = asyncio.run(main())
    assert "a server error" in blocked and body == b"ok"
    assert server.count("/robots.txt") == 2 and server.count("/a") == 1
