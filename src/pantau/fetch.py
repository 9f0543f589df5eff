"""All HTTP that pantau does: one polite, bounded GET at a time per host.

`Fetcher.get` returns a `Page` for a 200 or a 304 and raises `FetchError("fetch: …")` for everything else:
an unsupported scheme, a refused connection, a non-2xx status, a response over the size cap, a request
over its deadline, or a URL that the site's robots.txt disallows. Conditional GET validators go out when
the caller has them and come back on the Page; storing them is the caller's job.

It must never buffer a response beyond `max_bytes` (bodies are counted after decompression, which goes in
bounded pieces, so a gzip bomb stops at the cap without being inflated whole), never wait longer than
`timeout` seconds for one request however slowly the server drips, never build its own HTTP client (one
is passed in; `make_client` makes a sensible one) and never read the clock except through the injected
`Clock`.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import math
import re
import zlib
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urljoin, urlsplit

import aiohttp
from protego import Protego
from yarl import URL

from pantau.clock import Clock
from pantau.errors import FetchError
from pantau.models import Page
from pantau.redact import guard_logger

guard_logger("aiohttp")  # a library that may log request URLs, API keys in the query included

__all__ = ["FetchStatusError", "Fetcher", "RobotsDisallowed", "make_client"]

MAX_REDIRECTS = 5
ROBOTS_MAX_BYTES = 500_000  # RFC 9309 asks crawlers to read at least 500 KiB; more is never needed
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
ROBOTS_TTL = timedelta(hours=24)  # RFC 9309: a cached robots.txt should not be used for more than a day
ROBOTS_RETRY_AFTER = timedelta(minutes=5)  # robots.txt unreadable (5xx, no answer): ask again this soon
ACCEPT_ENCODING = "gzip, deflate"  # the content-codings _Decoder inflates
_INFLATE_PIECE = 1 << 16  # bytes of inflated output at a time: a bomb never grows a buffer past the cap


class FetchUnanswered(FetchError):
    """The host was never heard from. `what` says how, in words that follow its name: "refused the
    connection", "did not answer within 30s", "could not be reached (…)"."""

    def __init__(self, message: str, *, what: str) -> None:
        super().__init__(message)
        self.what = what


class RobotsDisallowed(FetchError):
    """The site's robots.txt does not let pantau fetch this URL (or could not be read: RFC 9309 says
    to stay away then)."""


class FetchStatusError(FetchError):
    """The server answered with a status other than 2xx or 304.

    `retry_after` is the server's Retry-After (429 and 503 only) in seconds from the fetch, else None.
    """

    def __init__(self, message: str, *, status: int, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def make_client(*, timeout: float = 30.0) -> aiohttp.ClientSession:
    """An aiohttp session with sane defaults: bounded timeouts and pool, kept-alive connections.

    Fetcher speaks to aiohttp directly (no httpx model on top: a third of the CPU per request) and
    decompresses bodies itself, in bounded pieces, so only the encodings it decodes are asked for.
    `timeout` bounds connecting (at most 10s) and each socket read; Fetcher's own deadline bounds a
    request in all. Fetcher.get follows redirects itself hop by hop; robots.txt requests let aiohttp
    follow them (up to 5).
    """
    connector = aiohttp.TCPConnector(limit=64, keepalive_timeout=30.0)
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(
            total=None, connect=timeout, sock_connect=min(timeout, 10.0), sock_read=timeout
        ),
        headers={"Accept-Encoding": ACCEPT_ENCODING},
        auto_decompress=False,
    )


@dataclass(frozen=True)
class _Robots:
    parser: Protego | None  # None: the verdict below applies to every path
    allow_all: bool
    blocked: str  # why nothing may be fetched when robots.txt itself failed (RFC 9309), else ""
    expires: datetime


@dataclass(frozen=True)
class _Response:
    status: int
    final_url: str
    headers: Mapping[str, str]  # case-insensitive (aiohttp's CIMultiDictProxy)
    body: bytes
    truncated: bool


class Fetcher:
    """All HTTP that pantau does goes through here.

    `await get(url, user_agent=..., etag=None, last_modified=None) -> Page` (status 200 or 304). Limits:
    `per_host` requests in flight per host (robots.txt included), `timeout` seconds per request in all,
    `max_bytes` of decompressed body.
    """

    def __init__(
        self,
        client: aiohttp.ClientSession,
        *,
        clock: Clock,
        max_bytes: int = 5_000_000,
        timeout: float = 30.0,
        per_host: int = 2,
        respect_robots: bool = True,
    ) -> None:
        if per_host < 1 or max_bytes < 1 or timeout <= 0:
            raise ValueError("per_host, max_bytes and timeout must be positive")
        self._client = client
        self._clock = clock
        self._max_bytes = max_bytes
        self._timeout = timeout
        self._per_host = per_host
        self._respect_robots = respect_robots
        self._slots: dict[str, asyncio.Semaphore] = {}
        # A request whose deadline is no longer than the session's read timeout (the longest silence
        # while reading) meets that deadline before the read timeout could fire: it goes without the read
        # timeout, and so without the timer that aiohttp sets again at every read.
        session = client.timeout
        self._read_bound = session.sock_read if session.sock_read is not None else math.inf
        self._unbounded_reads = aiohttp.ClientTimeout(
            total=session.total,
            connect=session.connect,
            sock_connect=session.sock_connect,
            ceil_threshold=session.ceil_threshold,
        )
        self._robots: dict[str, _Robots] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}

    async def get(
        self,
        url: str,
        *,
        user_agent: str,
        etag: str | None = None,
        last_modified: str | None = None,
        timeout: float | None = None,
    ) -> Page:
        """`timeout` overrides the Fetcher's overall deadline for this request (a source's own setting)."""
        headers = {"User-Agent": user_agent}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        resp = await self._follow(url, headers, user_agent, timeout or self._timeout)
        if resp.truncated:
            raise FetchError(f"fetch: response larger than {_size(self._max_bytes)} from {url}")
        if resp.status == 304:
            # no body is read for a 304, and it may omit the validators: the ones sent still hold
            etag = resp.headers.get("etag") or etag
            last_modified = resp.headers.get("last-modified") or last_modified
        elif 200 <= resp.status < 300:
            etag, last_modified = resp.headers.get("etag"), resp.headers.get("last-modified")
        else:
            raise self._status_error(url, resp)
        return Page(
            url=url,
            final_url=resp.final_url,
            status=resp.status,
            content_type=_media_type(resp.headers),
            charset=_charset(resp.headers),
            body=resp.body,
            etag=etag,
            last_modified=last_modified,
            fetched_at=self._clock(),
        )

    async def _follow(self, url: str, headers: dict[str, str], user_agent: str, timeout: float) -> _Response:
        """Redirects are followed here, not by the client, so every hop passes the scheme check, its
        own host's robots.txt and its own host's concurrency limit."""
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            origin, host = _check_url(current)
            if self._respect_robots:
                await self._check_robots(current, origin, host, user_agent)
            resp = await self._request(current, host, headers, self._max_bytes, follow=False, timeout=timeout)
            location = resp.headers.get("location")
            if resp.status not in _REDIRECTS or not location:
                return resp
            current = urljoin(current, location.strip())
        raise FetchError(f"fetch: more than {MAX_REDIRECTS} redirects from {url}")

    async def _request(
        self,
        url: str,
        host: str,
        headers: dict[str, str],
        cap: int,
        *,
        follow: bool = True,
        timeout: float | None = None,
    ) -> _Response:
        """One GET under the host's slot and the overall deadline; the body stops at `cap` bytes."""
        slot = self._slots.get(host)
        if slot is None:
            slot = self._slots[host] = asyncio.Semaphore(self._per_host)
        deadline = timeout or self._timeout
        async with slot:
            try:
                async with asyncio.timeout(deadline):
                    return await self._stream(url, headers, cap, follow, deadline)
            except aiohttp.ClientError as exc:  # first: aiohttp's own timeouts are TimeoutErrors too
                raise _fetch_error(exc, url, host) from None
            except ValueError as exc:  # yarl's or IDNA's verdict on the host ("label empty or too long")
                raise FetchError(f"fetch: invalid URL {url!r}: {_reason(exc)}") from None
            except TimeoutError:
                raise FetchUnanswered(
                    f"fetch: timed out after {deadline:g}s for {url}",
                    what=f"did not answer within {deadline:g}s",
                ) from None

    async def _stream(
        self, url: str, headers: dict[str, str], cap: int, follow: bool, deadline: float
    ) -> _Response:
        wire = _wire_url(url)
        async with self._client.get(
            URL(wire, encoded=True),
            headers=headers,
            allow_redirects=follow,
            max_redirects=MAX_REDIRECTS,
            timeout=self._unbounded_reads if deadline <= self._read_bound else self._client.timeout,
        ) as resp:
            chunks: list[bytes] = []
            size = 0
            status = resp.status
            final_url = str(resp.url) if resp.history else wire
            if status != 304 and 200 <= status < 300:
                # Content-Length is the compressed size, if honest at all: count what arrives instead.
                decoder = _Decoder.for_encoding(resp.headers.get("content-encoding", ""), url)
                async for raw in resp.content.iter_any():
                    for chunk in decoder.feed(raw) if decoder else (raw,):
                        size += len(chunk)
                        if size > cap:  # robots.txt is read up to its cap; a page is refused
                            chunks.append(chunk[: len(chunk) - (size - cap)])
                            return _Response(status, final_url, resp.headers, b"".join(chunks), True)
                        chunks.append(chunk)
            return _Response(status, final_url, resp.headers, b"".join(chunks), False)

    def _status_error(self, url: str, resp: _Response) -> FetchStatusError:
        retry_after = None
        if resp.status in (429, 503):
            retry_after = _retry_after(resp.headers.get("retry-after"), self._clock())
        message = f"fetch: HTTP {resp.status} for {url}"
        if retry_after is not None:
            message += f" (retry after {retry_after:g}s)"
        return FetchStatusError(message, status=resp.status, retry_after=retry_after)

    @asynccontextmanager
    async def robots_ahead(self, pages: Iterable[tuple[str, str]]) -> AsyncIterator[None]:
        """Inside the block, the robots.txt of each page's origin is asked for in the background, so that
        the first `get` there finds the verdict cached or waits for the request already under way instead
        of starting its own. `pages` holds (url, user_agent) pairs. Nothing is raised or reported here: a
        robots.txt that cannot be read is cached as `get` would cache it, and the `get` that meets it says
        so, once. Requests still under way when the block ends are cancelled."""
        wanted: dict[str, tuple[str, str]] = {}
        for url, user_agent in pages:
            try:
                origin, host = _check_url(url)
            except FetchError:
                continue  # the get() of that URL reports it
            if self._respect_robots and not _is_robots_txt(url):
                wanted.setdefault(origin, (host, user_agent))
        tasks = [
            asyncio.create_task(self._robots_for(origin, host, user_agent))
            for origin, (host, user_agent) in wanted.items()
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _robots_for(self, origin: str, host: str, user_agent: str) -> _Robots:
        robots = self._robots.get(origin)
        if robots is not None and robots.expires > self._clock():
            return robots  # what the lock below would find: no need to queue for it
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:  # one robots.txt request per origin, however many pages are waiting for it
            robots = self._robots.get(origin)
            if robots is None or robots.expires <= self._clock():
                robots = self._robots[origin] = await self._load_robots(origin, host, user_agent)
        return robots

    async def _check_robots(self, url: str, origin: str, host: str, user_agent: str) -> None:
        if _is_robots_txt(url):
            return
        robots = await self._robots_for(origin, host, user_agent)
        if robots.parser is not None:
            allowed = bool(robots.parser.can_fetch(url, user_agent))
        else:
            allowed = robots.allow_all
        if not allowed and robots.blocked:
            # Not a rule of the site: robots.txt itself could not be read, so RFC 9309 says wait.
            raise RobotsDisallowed(f"fetch: {robots.blocked}; page not fetched: {url}")
        if not allowed:
            raise RobotsDisallowed(f"fetch: disallowed by robots.txt: {url}")

    async def _load_robots(self, origin: str, host: str, user_agent: str) -> _Robots:
        """RFC 9309: 2xx is parsed, 4xx allows everything, 5xx or no answer disallows everything."""
        expires = self._clock() + ROBOTS_TTL
        # A failure blocks the host (RFC 9309) only until the next try: an outage is not a rule for a day.
        retry = self._clock() + ROBOTS_RETRY_AFTER
        robots_url = origin + "/robots.txt"
        try:
            resp = await self._request(robots_url, host, {"User-Agent": user_agent}, ROBOTS_MAX_BYTES)
        except FetchUnanswered as exc:
            return _Robots(None, False, f"{host} {exc.what} (asked for robots.txt)", retry)
        except FetchError as exc:
            cause = str(exc).removeprefix("fetch: ")
            return _Robots(None, False, f"robots.txt of {host} could not be read ({cause})", retry)
        if 200 <= resp.status < 300:
            text = resp.body.decode("utf-8", "replace")
            try:
                return _Robots(Protego.parse(text), True, "", expires)
            except Exception:  # protego on a garbled file: treat as no rules, as crawlers do
                return _Robots(None, True, "", expires)
        if 300 <= resp.status < 500:
            return _Robots(None, True, "", expires)
        return _Robots(
            None, False, f"{host} answered HTTP {resp.status} for robots.txt (a server error)", retry
        )


def _fetch_error(exc: aiohttp.ClientError, url: str, host: str) -> FetchError:
    """One line for a failed request, whatever aiohttp raised."""
    if isinstance(exc, aiohttp.TooManyRedirects):
        return FetchError(f"fetch: more than {MAX_REDIRECTS} redirects from {url}")
    if isinstance(exc, aiohttp.ClientResponseError):
        # a response that is not HTTP: aiohttp's message quotes the bad line over several lines
        first = exc.message.splitlines()[0].rstrip(":") if exc.message else "malformed response"
        return FetchError(f"fetch: bad HTTP response from {host} for {url}: {first}")
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ServerDisconnectedError):
        # aiohttp's text names the host and port and the OS error ("Connect call failed")
        reason = str(exc.os_error) if isinstance(exc, aiohttp.ClientConnectorError) else _reason(exc)
        refused = isinstance(getattr(exc, "os_error", None), ConnectionRefusedError)
        what = "refused the connection" if refused else f"could not be reached ({reason})"
        return FetchUnanswered(f"fetch: cannot connect to {host}: {reason}", what=what)
    if isinstance(exc, aiohttp.ServerTimeoutError):
        # the session's connect or read timeout, which may be shorter than the overall deadline
        return FetchUnanswered(f"fetch: timed out ({_reason(exc)}) for {url}", what="did not answer in time")
    if isinstance(exc, aiohttp.InvalidURL):
        # a redirect (robots.txt's, followed by aiohttp) to a URL it cannot follow, or a host it cannot parse
        return FetchError(f"fetch: cannot follow {url}: {_reason(exc)}")
    return FetchError(f"fetch: connection to {host} failed for {url}: {_reason(exc)}")


def _wire_url(url: str) -> str:
    """The URL as it goes out: as given, byte for byte, but for what cannot go on the wire (a non-ASCII
    host in IDNA; non-ASCII, spaces, controls and `"<>`{}` elsewhere percent-encoded as UTF-8). Escapes
    already there stay as they are: re-quoting them could ask the server for another page."""
    if url.isascii() and _UNSAFE_CHARACTER.search(url) is None:
        return url
    parts = urlsplit(url)
    netloc = parts.netloc
    if not netloc.isascii():
        userinfo, at, _ = netloc.rpartition("@")
        host = URL.build(scheme="http", host=parts.hostname or "").raw_host or ""
        host = f"[{host}]" if ":" in host else host
        netloc = _quote(userinfo) + at + host + ("" if parts.port is None else f":{parts.port}")
    wire = f"{parts.scheme}://{netloc}{_quote(parts.path)}"
    if parts.query or url.endswith("?"):
        wire += "?" + _quote(parts.query)
    if parts.fragment:
        wire += "#" + _quote(parts.fragment)
    return wire


_UNSAFE = frozenset(' "<>`{}\x7f') | {chr(c) for c in range(0x20)}
_UNSAFE_CHARACTER = re.compile("[" + re.escape("".join(sorted(_UNSAFE))) + "]")
_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in _UNSAFE)


def _quote(text: str) -> str:
    return quote(text, safe=_SAFE)


class _Decoder:
    """Inflates a body's content-codings, the last one applied first, in pieces of at most _INFLATE_PIECE
    bytes: a 50 MB gzip bomb is stopped at the cap having been inflated only that far.

    gzip, and deflate zlib-wrapped or raw (servers send both); "identity" and unknown names pass the
    bytes on as they are (a misconfigured server's "Content-Encoding: utf-8"); br and zstd, which are
    never asked for, are refused rather than handed on as garbage."""

    def __init__(self, codings: list[str], url: str) -> None:
        self._codings = codings
        self._stages: list[zlib._Decompress | None] = [None] * len(codings)
        self._heads = [b""] * len(codings)  # the first bytes of a deflate stream, until its header shows
        self._url = url

    @classmethod
    def for_encoding(cls, header: str, url: str) -> _Decoder | None:
        if not header:
            return None
        named = [name.strip().lower() for name in header.split(",")]
        refused = [name for name in named if name in _REFUSED]
        if refused:
            raise FetchError(
                f"fetch: cannot decode the response from {url}: unsupported Content-Encoding {refused[0]!r}"
            )
        codings = [name for name in named if name in _INFLATED]
        return cls(codings[::-1], url) if codings else None

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            yield from self._through(0, data)
        except zlib.error as exc:
            raise FetchError(f"fetch: cannot decode the response from {self._url}: {exc}") from None

    def _through(self, i: int, data: bytes) -> Iterator[bytes]:
        if i == len(self._codings):
            yield data
            return
        for piece in self._inflate(i, data):
            yield from self._through(i + 1, piece)

    def _inflate(self, i: int, data: bytes) -> Iterator[bytes]:
        stage = self._stages[i]
        if stage is None:
            data = self._heads[i] + data
            if self._codings[i] == "deflate" and len(data) < 2:
                self._heads[i] = data
                return
            stage = self._stages[i] = zlib.decompressobj(_wbits(self._codings[i], data))
        while True:
            piece = stage.decompress(data, _INFLATE_PIECE)
            data = stage.unconsumed_tail
            if piece:
                yield piece
            if len(piece) < _INFLATE_PIECE and not data:  # input used up and nothing left pending
                return


_INFLATED = frozenset({"gzip", "x-gzip", "deflate"})
_REFUSED = frozenset({"br", "zstd", "compress", "x-compress"})


def _wbits(coding: str, start: bytes) -> int:
    if coding != "deflate":
        return zlib.MAX_WBITS | 16  # gzip: header and trailer
    # "deflate" means zlib-wrapped (RFC 9110), but some servers send it raw: the first two bytes tell
    wrapped = start[0] & 0x0F == 8 and (start[0] << 8 | start[1]) % 31 == 0
    return zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS


def _check_url(url: str) -> tuple[str, str]:
    """(origin, host) of a URL that Fetcher may request, else FetchError."""
    head = _SCHEME_AND_AUTHORITY.match(url)
    if head is not None:
        try:
            return _checked_origin(head.group())
        except FetchError:
            pass  # said again below, naming the whole URL
    return _checked_url(url)


# A URL's scheme and authority, as far as urlsplit takes them to go (a tab or a line break in them it
# removes from them alone as from the whole URL): _checked_url's verdict depends on these alone, so it is
# worked out once per host, not once per page. Other URLs (a space in front, an odd scheme) are read whole.
_SCHEME_AND_AUTHORITY = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")


@functools.lru_cache(maxsize=4096)
def _checked_origin(head: str) -> tuple[str, str]:
    return _checked_url(head)


def _checked_url(url: str) -> tuple[str, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"fetch: invalid URL {url!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"fetch: unsupported URL scheme '{scheme}' in {url}")
    if not parts.hostname:
        raise FetchError(f"fetch: no host in URL {url!r}")
    if problem := _host_problem(parts.hostname):
        raise FetchError(f"fetch: invalid URL {url!r}: {problem}")
    host = parts.hostname if port is None else f"{parts.hostname}:{port}"
    return f"{scheme}://{parts.netloc.rpartition('@')[2].lower()}", host


def _is_robots_txt(url: str) -> bool:
    """Whether urlsplit(url).path is "/robots.txt". A URL without that text is not split, unless it holds
    a tab or a line break: urlsplit removes those before it reads the path."""
    if "/robots.txt" in url or "\t" in url or "\r" in url or "\n" in url:
        return urlsplit(url).path == "/robots.txt"
    return False


def _host_problem(host: str) -> str:
    """Why no resolver would take this host name ("" if it would): an empty label ("a..b"), one over 63
    characters, or a non-ASCII name IDNA cannot encode."""
    if ":" in host:  # an IPv6 literal, checked by urlsplit
        return ""
    if not host.isascii():
        try:
            host = URL.build(scheme="http", host=host).raw_host or ""
        except ValueError as exc:
            return _reason(exc)
    if not all(0 < len(label) < 64 for label in host.removesuffix(".").split(".")):
        return "a host name label is empty or longer than 63 characters"
    return ""


def _media_type(headers: Mapping[str, str]) -> str:
    value: str = headers.get("content-type", "")
    return value.split(";", 1)[0].strip().lower()


def _charset(headers: Mapping[str, str]) -> str | None:
    header: str = headers.get("content-type", "")
    for param in header.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            value = value.strip().strip("\"'").strip().lower()
            return value or None
    return None


def _retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds from `now`: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    seconds = (when - now).total_seconds()
    return float(max(0, math.ceil(seconds)))


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:g} MB"
    if n >= 1_000:
        return f"{n / 1_000:g} kB"
    return f"{n} bytes"
