"""What pantau reads from a fetched article page, computed beside the main process.

`analyse(...)` is pure CPU: decode, extract, canonical URL, content hash, near-duplicate fingerprint,
the wire-citation check and the rules. It needs no database or network, so it runs in worker processes
while the main process fetches, places the article in its story and writes. On the 2-core machine one
worker lifted the pipeline benchmark from 283 to 354 articles/s (benchmarks/pipeline.py, N=5,000).

`Analyser` hands pages to its workers. With the first page it starts its rules server: a process born of
multiprocessing's fork server (which has imported only this module, so it costs tens of MB, not a copy of
the service) that receives the compiled rules once and then forks every worker of the pool, the first ones
and each replacement. A worker so starts in milliseconds and shares the rules' memory with the server until
its matching touches them (Python's reference counts copy a page on first use; the automaton's tables, in
C, stay shared); an Analyser belongs to one config. With `workers=0` it analyses in the calling process.
A worker that dies on a page (a parser crash, the OOM killer) costs the pages it held one attempt each
(WorkerDied, retried on later polls like a failed fetch) and the pool is rebuilt; the poll goes on. If the
rules server itself dies, the next pool starts a new one. Workers and the rules server ignore SIGINT and
SIGTERM: the service stops them itself, after the articles in flight are done; and they end within
seconds of pantau's main process, however it ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import itertools
import multiprocessing
import os
import signal
import socket
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import datetime
from multiprocessing import context, forkserver, popen_forkserver, reduction, spawn, util
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from pantau.dedupe import Fingerprint, canonical_url, cites_wire, content_hash, fingerprint
from pantau.errors import ExtractError
from pantau.extract import decode_html, extract_article
from pantau.extract.pager import is_pager_line, next_page
from pantau.models import ArticleSelectors, Extracted, Match
from pantau.rules import Document, RuleSet

__all__ = ["Analyser", "Analysis", "ArticlePage", "PagePart", "WorkerDied", "analyse", "default_workers"]

_PROC = Path("/proc")
PARENT_CHECK = 1.0  # seconds between a worker's checks that pantau's main process is still there
_SERVERS = itertools.count(1)  # numbers the rules servers' socket files
MAX_TASKS_PER_WORKER = 20_000  # a worker is replaced now and then, so a slow leak in a parser stays bounded


@dataclass(frozen=True)
class PagePart:
    """A later page of an article split over several (page 2, 3 …), as fetched."""

    body: bytes
    charset: str | None
    url: str  # after redirects


@dataclass(frozen=True)
class ArticlePage:
    """An article page as fetched, and what its source and listing said about it; `continued` holds its
    later pages, in order, when the outlet split it."""

    body: bytes
    charset: str | None
    url: str  # after redirects
    source: str
    selectors: ArticleSelectors | None = None
    link_title: str | None = None  # the title on the listing or in the feed: used when the page has none
    fetched_at: datetime | None = None  # the reference for relative dates on the page ("2 jam lalu")
    continued: tuple[PagePart, ...] = ()
    first_read: Extracted | None = None  # page 1 as an earlier analysis read it: not extracted again


@dataclass(frozen=True)
class Analysis:
    extracted: Extracted
    title: str  # the page's title, else the listing's
    url: str  # canonical: rel=canonical when sane, tracking parameters and fragment dropped
    content_hash: str
    fingerprint: Fingerprint
    cites_wire: bool  # a non-English text that names a wire service as its source
    matches: tuple[Match, ...]  # every rule that matches (before story dedupe decides what alerts)
    next_page: str | None = None  # page 2 of the article, when it is split and `continued` is empty
    pages: int = 1  # how many pages the text was read from


def analyse(page: ArticlePage, rules: RuleSet) -> Analysis:
    """Raises ExtractError when the page holds no article. With `continued` pages, their text follows the
    first page's (paragraphs a later page repeats are left out); a later page with no text is skipped."""
    if page.continued:
        first = page.first_read or extract_article(
            decode_html(page.body, page.charset), page.url, page.selectors, page.fetched_at
        )
        extracted, following = _joined(first, page), None
    else:
        html = decode_html(page.body, page.charset)
        extracted = extract_article(html, page.url, page.selectors, page.fetched_at)
        following = next_page(html, page.url, first=page.url, number=1)
    title = extracted.title or page.link_title or ""
    return Analysis(
        next_page=following,
        pages=1 + len(page.continued),
        extracted=extracted,
        title=title,
        url=canonical_url(page.url, extracted.canonical_url),
        content_hash=content_hash(extracted.title, extracted.body),
        fingerprint=fingerprint(extracted.body, title),
        cites_wire=extracted.lang != "en" and cites_wire(extracted.body),
        matches=tuple(rules.match(Document(title, extracted.body, page.source, extracted.lang))),
    )


def _joined(first: Extracted, page: ArticlePage) -> Extracted:
    """Page 1's text, then what each later page adds; the pagers' own lines ("Halaman 1 2") left out."""
    paragraphs = [p for p in first.body.split("\n\n") if not is_pager_line(p)]
    seen = set(paragraphs)
    for part in page.continued:
        try:
            later = extract_article(
                decode_html(part.body, part.charset), part.url, page.selectors, page.fetched_at
            )
        except ExtractError:
            continue
        for paragraph in later.body.split("\n\n"):
            if paragraph not in seen and not is_pager_line(paragraph):
                seen.add(paragraph)
                paragraphs.append(paragraph)
    return replace(first, body="\n\n".join(paragraphs))


class WorkerDied(ExtractError):
    """The worker reading a page ended before it answered. Unlike other extract errors this one is worth
    retrying (memory may be short only now), so the pipeline tries the page again on later polls."""


_RULES: RuleSet | None = None  # in a rules server and the workers it forks: the rules, loaded once


def _serve_rules(rules: RuleSet, listener: socket.socket, alive: socket.socket) -> None:
    """The body of an Analyser's rules server: hold the rules, then fork a worker for each request.

    The workers share the rules' memory with this process (copy-on-write). `gc.freeze()` keeps the
    collector in the workers off these objects, so only what a worker touches while matching is copied.
    The server, like its workers, ignores SIGINT and SIGTERM; it ends when `alive` reads end-of-file: the
    Analyser closed its end, or pantau's main process ended, and every worker it forked has ended."""
    global _RULES
    _RULES = rules
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    gc.collect()
    gc.freeze()
    alive.send(b"r")  # ready: the Analyser reads this before it asks for workers
    forkserver.main(listener.detach(), alive.detach(), preload=())


def _start_worker(parent: int, parent_started: str | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent, parent_started), daemon=True).start()


def _exit_with(parent: int, started: str | None) -> None:
    """End this worker soon after the process that started it ends, however it ended (kill -9 included).

    A worker waits on a queue whose writing end it holds itself, so it would never see its parent go; and
    while it lives, so does the fork server it came from."""
    while True:
        time.sleep(PARENT_CHECK)
        if _started(parent) != started:
            os._exit(0)


def _started(pid: int) -> str | None:
    """When the process `pid` started (so a recycled pid is not taken for it), or None if there is none."""
    if _PROC.is_dir():
        try:
            return (_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[19]
        except (OSError, IndexError):
            return None
    try:  # no /proc here: whether the pid exists must do
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return "alive"


def _in_worker(page: ArticlePage) -> Analysis:
    assert _RULES is not None, "a worker is forked from the rules server, which holds the rules"
    return analyse(page, _RULES)


def default_workers() -> int:
    """One fewer than the CPUs (the main process fetches, places and writes), at most 3: past that the
    main process is the bottleneck."""
    return max(0, min(3, (os.cpu_count() or 1) - 1))


class _RulesServer(forkserver.ForkServer):
    """An Analyser's own fork server, holding its rules (see _serve_rules). Its workers are forked from it:
    they start in milliseconds and share the rules' memory, where each used to unpickle a copy of its own
    (with 10,000 rules a 6 MB pickle, about a second and some 25 MB per worker).

    The server itself starts from multiprocessing's fork server (which has imported only this module), never
    as a fork of pantau's main process, whose other threads a fork would leave in an unknown state."""

    def __init__(self, rules: RuleSet) -> None:
        super().__init__()
        self._rules = rules
        self._guard = threading.Lock()
        # What the base class connects to and hands each worker (set once the server has the rules):
        self._forkserver_address: str | None = None
        self._forkserver_alive_fd: int | None = None
        self._process: BaseProcess | None = None
        self._up: Future[None] | None = None
        self._close: util.Finalize[None] | None = None

    def warm(self, *, restart: bool) -> Future[None]:
        """Start the server in the background unless it is running (with `restart`, also when it has ended);
        the future is done when workers can be forked, or holds the error that kept the server from starting."""
        with self._guard:
            up = self._up
            if up is None or (restart and up.done() and not self._running(up)):
                self._stop_unlocked()
                up = self._up = Future()
                threading.Thread(target=self._launch, args=(up,), name="pantau-rules", daemon=True).start()
            return up

    def _running(self, up: Future[None]) -> bool:
        return up.exception() is None and self._process is not None and self._process.is_alive()

    def ensure_running(self) -> None:
        """Called for each worker the pool starts (connect_to_new_process), in the thread that starts it."""
        self.warm(restart=True).result()

    def _launch(self, up: Future[None]) -> None:
        try:
            self._start_server()
        except BaseException as err:  # handed to whoever waits for the server
            up.set_exception(err)
        else:
            up.set_result(None)

    def _start_server(self) -> None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        address = os.path.join(util.get_temp_dir(), f"rules-{os.getpid()}-{next(_SERVERS)}")
        ours, theirs = socket.socketpair()
        with socket.socket(socket.AF_UNIX) as listener, theirs:
            listener.bind(address)
            os.chmod(address, 0o600)
            listener.listen()
            process = context.Process(
                target=_serve_rules, args=(self._rules, listener, theirs), name="pantau-rules", daemon=True
            )
            process.start()
        with ours:
            ready = ours.recv(1) == b"r"  # False: the server ended while loading the rules
            alive = ours.detach() if ready else -1
        if not ready:
            _stop_server(None, address)
            raise OSError("the analysis workers' rules server ended while loading the rules")
        # The server ends once this end of `alive` and the copies its workers hold are closed.
        self._close = util.Finalize(self, _stop_server, (alive, address), exitpriority=10)
        self._process, self._forkserver_address, self._forkserver_alive_fd = process, address, alive

    def _stop_unlocked(self) -> None:
        if self._close is not None:
            self._close()
        self._close = self._process = self._forkserver_address = self._forkserver_alive_fd = None

    def stop(self) -> None:
        """Stop forking workers; the server ends once the workers it forked have ended."""
        with self._guard:
            self._stop_unlocked()


def _stop_server(alive: int | None, address: str) -> None:
    if alive is not None:
        os.close(alive)
    with contextlib.suppress(OSError):
        os.unlink(address)


class _WorkerPopen(popen_forkserver.Popen):
    """Starts a worker by asking its Analyser's rules server, not multiprocessing's, to fork it."""

    _fds: list[int]  # the file descriptors sent with the request (set by the base class)

    def __init__(self, process_obj: _WorkerProcess) -> None:
        assert process_obj.server is not None, "the pool's context sets the server"
        self._server = process_obj.server
        super().__init__(process_obj)

    def _launch(self, process_obj: BaseProcess) -> None:
        # The worker reads how to set itself up (sys.path, working directory), then its Process object; the
        # pool's queues in it travel as file descriptors, sent along with the request.
        data = io.BytesIO()
        context.set_spawning_popen(self)
        try:
            reduction.dump(spawn.get_preparation_data(process_obj.name), data)
            reduction.dump(process_obj, data)
        finally:
            context.set_spawning_popen(None)
        self.sentinel, to_child = self._server.connect_to_new_process(self._fds)
        # The worker sees this process go when the last copy of the pipe's writing end closes.
        keep = os.dup(to_child)
        self.finalizer = util.Finalize(self, _close_fds, (keep, self.sentinel))
        with open(to_child, "wb", closefd=True) as pipe:
            pipe.write(data.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


def _close_fds(*fds: int) -> None:
    for fd in fds:
        os.close(fd)


class _WorkerProcess(context.ForkServerProcess):
    server: _RulesServer | None = None  # a worker's own copy of its Process object has none

    @staticmethod
    def _Popen(process_obj: BaseProcess) -> popen_forkserver.Popen:
        assert isinstance(process_obj, _WorkerProcess)
        return _WorkerPopen(process_obj)

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in vars(self).items() if k != "server"}


class _WorkerContext(context.ForkServerContext):
    """What the pool starts its workers with: forks of one Analyser's rules server."""

    def __init__(self, server: _RulesServer) -> None:
        self._server = server

    def Process(self, *args: Any, **kwargs: Any) -> _WorkerProcess:  # type: ignore[override]
        process = _WorkerProcess(*args, **kwargs)
        process.server = self._server
        return process


class Analyser:
    def __init__(self, rules: RuleSet, workers: int = 0) -> None:
        if workers < 0:
            raise ValueError("workers must be 0 or more")
        self.rules = rules
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._server: _RulesServer | None = None  # started with the first page; forks the pool's workers
        self._up: Future[None] = Future()  # the server's start (see _RulesServer.warm)
        self._closed = False  # a poll that outlives close() reads its last pages in its own process

    async def __call__(self, page: ArticlePage) -> Analysis:
        if not self.workers or self._closed:
            return analyse(page, self.rules)
        pool, up = self._pool or self._start(), self._up
        try:
            if not up.done():  # the first pages wait here for the rules server, not in the event loop
                await asyncio.wrap_future(up)
            up.result()
        except Exception as err:
            self._drop(pool)
            raise WorkerDied(f"extract: the analysis workers could not start ({err})") from err
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, _in_worker, page)
        except BrokenProcessPool:
            self._drop(pool)
            raise WorkerDied(f"extract: the analysis worker died while reading {page.url}") from None

    def _start(self) -> ProcessPoolExecutor:
        server = self._server = self._server or _RulesServer(self.rules)
        self._up = server.warm(restart=True)
        self._pool = ProcessPoolExecutor(
            self.workers,
            mp_context=_WorkerContext(server),
            initializer=_start_worker,
            initargs=(os.getpid(), _started(os.getpid())),
            max_tasks_per_child=MAX_TASKS_PER_WORKER,
        )
        return self._pool

    def _drop(self, pool: ProcessPoolExecutor) -> None:
        """Give up a broken pool; the next page starts a new one (from the same rules server, if it runs)."""
        if self._pool is pool:
            self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self, *, wait: bool = True) -> None:
        """Stop the workers once the pages handed to them are done (without `wait`, in the background);
        safe to call more than once."""
        self._closed = True
        pool, server = self._pool, self._server
        self._pool = self._server = None
        if pool is not None:
            pool.shutdown(wait=wait)
        if server is None:
            return
        if wait or pool is None:
            server.stop()
        else:  # the pool may still start a worker (to replace one that retired) until it has shut down
            threading.Thread(target=_stop_after, args=(pool, server), daemon=True).start()

    def __enter__(self) -> Analyser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _stop_after(pool: ProcessPoolExecutor, server: _RulesServer) -> None:
    pool.shutdown(wait=True)
    server.stop()
