"""What pantau reads from a fetched article page, computed beside the main process.

`analyse(...)` is pure CPU: decode, extract, canonical URL, content hash, near-duplicate fingerprint,
the wire-citation check and the rules. It needs no database or network, so it runs in worker processes
while the main process fetches, places the article in its story and writes. On the 2-core machine one
worker lifted the pipeline benchmark from 283 to 354 articles/s (benchmarks/pipeline.py, N=5,000).

`Analyser` hands pages to its workers (forked from a server that has imported only this module, so each
costs tens of MB, not a copy of the service); each worker receives the compiled rules once, when it
starts (pickled once per Analyser), so an Analyser belongs to one config. With `workers=0` it analyses in
the calling process. Each worker holds a copy of the rules of its own: forking the workers from a process
that holds them would not keep them shared, as matching touches (reference counts) most of the rules'
objects within a few hundred articles, which copies their pages, so such a server only adds its own copy
(measured with benchmarks/rules.py against the Analyser-owned rules server of commit 8abe64f).
Pages wait in the main process for an idle worker (pantau.workers: a socket per worker that the event
loop watches, no thread), and all those that came meanwhile go to it as one task, of BATCH pages at most;
a burst handed over in one turn of the event loop is split over the idle workers. A task costs both sides
the same whatever it holds: one per page cost `pantau once` over 1,000 pages a sixth of its main
process's CPU and a quarter of its worker's; concurrent.futures' process pool, with its two threads in the
main process and its tasks fixed when handed over (about 125 tasks, against 60 now), cost the main process
0.12-0.22 s more CPU (1.87-1.93 s against 1.67-1.81 s, medians of 5 runs) and the worker 0.04-0.07 s more
(benchmarks/once_cpu.py --runs 5 --compare, three runs on the loaded 2-core machine). A worker
that dies on a page (a parser crash, the OOM killer) costs the pages it held one attempt each (WorkerDied,
retried on later polls like a failed fetch) and is replaced; the poll goes on. Workers ignore SIGINT and
SIGTERM: the service stops them itself, after the articles in flight are done; they end by themselves
when pantau's main process is gone.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import multiprocessing
import os
import pickle
import signal
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from pantau.dedupe import Fingerprint, canonical_url, cites_wire, content_hash, fingerprint
from pantau.errors import ExtractError
from pantau.extract import decode_html
from pantau.extract.pager import is_pager_line, next_page
from pantau.models import ArticleSelectors, Extracted, Match
from pantau.rules import Document, RuleSet
from pantau.workers import Pool, default_workers, workers_for

log = logging.getLogger("pantau.analyse")

if TYPE_CHECKING:
    import asyncio  # only the main process's Analyser uses it: the workers and their fork server go without

    from pantau.config import Config

__all__ = [
    "Analyser",
    "Analysis",
    "ArticlePage",
    "PagePart",
    "WorkerDied",
    "analyse",
    "analyser_for",
    "default_workers",
]

_PROC = "/proc"  # a plain path: pathlib is a module the workers' fork server would load for it alone
PARENT_CHECK = 1.0  # seconds between a worker's checks that pantau's main process is still there
# Workers run this much nicer than the main process. The main process is the pipeline's one serial part
# (it fetches, places, delivers and serves the web view, and the workers wait for its pages): when the
# machine is short of CPU it goes first. `pantau once` over 1,000 pages on 2 cores: 0.97-1.11 against
# 1.00-1.14 s wall in three runs of benchmarks/vs_urlwatch.py --runs 5-7 (the same CPU).
WORKER_NICENESS = 5
# What only the workers use, loaded once by the fork server rather than by pantau's main process, which
# never extracts (unless it runs with no workers): its start-up and its memory stay smaller.
_WORKER_MODULES = ("pantau.extract.article", "pantau.dedupe.minhash")
# Pages a worker reads as one task, at most (see Analyser._feed): a bound for a huge burst (`pantau once`
# over 1,000 pages hands over ~20-30 at a time; bounds of 12 and 8 cost its main process 0.09 and 0.16 s of
# CPU, and its wall time more, in once_cpu.py's comparison).
BATCH = 32
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
    from pantau.extract.article import extract_article  # loaded by the fork server (_WORKER_MODULES)

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
    from pantau.extract.article import extract_article

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


_RULES: RuleSet | None = None  # a worker's copy, set when it starts


def _start_worker(rules: bytes, parent: int, parent_started: str | None) -> None:
    global _RULES
    _RULES = pickle.loads(rules)
    gc.freeze()  # the rules live as long as the worker: the collector need not walk them again
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.nice(WORKER_NICENESS)
    threading.Thread(target=_exit_with, args=(parent, parent_started), daemon=True).start()


def _exit_with(parent: int, started: str | None) -> None:
    """End this worker soon after the process that started it ends, however it ended (kill -9 included).

    An idle worker sees its parent go (end of file on its socket), but not while it reads a page, nor if a
    process forked from the main one holds a copy of the main's end; and while it lives, so does the fork
    server it came from."""
    while True:
        time.sleep(PARENT_CHECK)
        if _started(parent) != started:
            os._exit(0)


def _started(pid: int) -> str | None:
    """When the process `pid` started (so a recycled pid is not taken for it), or None if there is none."""
    if os.path.isdir(_PROC):
        try:
            with open(f"{_PROC}/{pid}/stat") as stat:
                return stat.read().rsplit(")", 1)[1].split()[19]
        except (OSError, IndexError):
            return None
    try:  # no /proc here: whether the pid exists must do
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return "alive"


def _in_worker(request: bytes) -> bytes:
    """A task as a worker reads it: pickled pages in, their pickled outcomes out."""
    assert _RULES is not None, "the worker's setup sets the rules"
    try:
        pages = pickle.loads(request)
    except Exception as err:  # pages it cannot unpickle: each gets that error
        return _pickled([err])
    return _pickled(_analyse_each(pages, _RULES))


def _analyse_each(pages: tuple[ArticlePage, ...], rules: RuleSet) -> list[Analysis | Exception]:
    """Each page's analysis, or the error it raised: one page's error is not the others'."""
    outcomes: list[Analysis | Exception] = []
    for page in pages:
        try:
            outcomes.append(analyse(page, rules))
        except Exception as err:  # raised again in the main process, for this page only
            outcomes.append(err)
    return outcomes


def _pickled(outcomes: list[Analysis | Exception]) -> bytes:
    try:
        return pickle.dumps(outcomes, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # an error that does not pickle: its page gets one that does, the others theirs
        return pickle.dumps([_sendable(o) for o in outcomes], protocol=pickle.HIGHEST_PROTOCOL)


def _sendable(outcome: Analysis | Exception) -> Analysis | Exception:
    try:
        pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as err:
        return RuntimeError(f"analyse: {outcome!r} could not be sent from the worker: {err}")
    return outcome


# Pages waiting for a worker, or held by one, each with the future of its analysis.
_Items = list[tuple[ArticlePage, "asyncio.Future[Analysis]"]]


def _settle(items: _Items, outcomes: list[Analysis | BaseException]) -> None:
    for (_, future), outcome in zip(items, outcomes, strict=True):
        if future.done():  # its caller was cancelled
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


def _answered(items: _Items, answer: bytes | None) -> None:
    """A worker's answer (None: it died holding these pages) settles the pages' futures, unless their
    loop has ended: nobody waits for them any more."""
    if items[0][1].get_loop().is_closed():
        return
    outcomes: list[Analysis | BaseException]
    if answer is None:
        outcomes = [_died(page) for page, _ in items]
    else:
        try:
            outcomes = pickle.loads(answer)
        except Exception as err:
            outcomes = [err]
        if len(outcomes) != len(items):  # one error for the whole task
            outcomes = outcomes[:1] * len(items)
    _settle(items, outcomes)


def _died(page: ArticlePage) -> WorkerDied:
    return WorkerDied(f"extract: the analysis worker died while reading {page.url}")


def analyser_for(config: Config) -> Analyser:
    """Worker processes for reading article pages, as many as `workers` asks (default: CPUs - 1, at most 3).
    The caller owns it: close() it when done."""
    return Analyser(config.ruleset, workers_for(config.workers))


class Analyser:
    def __init__(self, rules: RuleSet, workers: int = 0) -> None:
        if workers < 0:
            raise ValueError("workers must be 0 or more")
        self.rules = rules
        self.workers = workers
        self._pool: Pool | None = None  # also after close(), until the pages handed over are read
        self._pickled: bytes | None = None  # the rules as each worker receives them, pickled once
        self._closed = False  # a poll that outlives close() reads its last pages in its own process
        self._starting: asyncio.Future[None] | None = None  # the workers starting, in a thread
        self._lock = threading.Lock()  # between that thread and close()
        self._waiting: _Items = []  # handed over, for the next idle worker
        self._flushing = False  # a flush is due at the end of this turn of the event loop

    def start(self) -> None:
        """Start the workers now, in the background, instead of with the first page: the main process
        waits about half a second for the fork server to import this module, and meanwhile the event loop
        goes on fetching robots.txt, listings and the first pages. Call it from the event loop."""
        if self.workers and not self._closed and self._pool is None and self._starting is None:
            import asyncio  # see the module's imports

            self._starting = asyncio.get_running_loop().run_in_executor(None, self._start_in_thread)

    def _start_in_thread(self) -> None:
        with self._lock:
            if not self._closed and self._pool is None:
                self._pool = self._start()

    async def __call__(self, page: ArticlePage) -> Analysis:
        if self.workers and not self._closed and self._pool is None:
            self.start()  # the first page waits for the workers, the event loop does not
        if self._starting is not None:
            import asyncio  # see the module's imports

            starting = self._starting
            with contextlib.suppress(Exception):  # then started below as without start(), raising again
                await asyncio.shield(starting)  # a caller that gives up leaves it to the others
            if self._starting is starting:
                self._starting = None
        if not self.workers or self._closed:
            return analyse(page, self.rules)
        if self._pool is None:
            self._pool = self._start()
        return await self._send(page)

    def _send(self, page: ArticlePage) -> asyncio.Future[Analysis]:
        """The page's analysis, to come: the pages handed over in this turn of the event loop go to the
        idle workers together, when the turn ends; those that come while every worker is busy wait, and
        go to the next worker that turns idle, together."""
        import asyncio  # see the module's imports

        loop = asyncio.get_running_loop()
        future: asyncio.Future[Analysis] = loop.create_future()
        if not self._flushing:
            self._flushing = True
            loop.call_soon(self._flush)
        self._waiting.append((page, future))
        return future

    def _flush(self) -> None:
        self._flushing = False
        if self._pool is not None and not self._closed:
            try:
                self._pool.spawn()  # in place of workers that died in their setup
            except Exception:  # out of memory or processes: read by the workers still there, if any
                log.exception("analyse: could not start a worker process")
        self._feed()

    def _feed(self) -> None:
        """Hand the waiting pages to the idle workers: a task each (of BATCH pages at most), so that a
        burst keeps every worker busy and the results of a huge one come back while its later pages
        are read."""
        pool = self._pool
        if pool is None:
            return
        waiting = [(page, f) for page, f in self._waiting if not f.done() and not f.get_loop().is_closed()]
        if waiting and not pool.live:  # every worker died in its setup
            _settle(waiting, [_died(page) for page, _ in waiting])
            waiting = []
        if waiting:
            pool.bind(waiting[0][1].get_loop())
        while waiting and (idle := pool.idle):
            take = min(BATCH, -(-len(waiting) // idle))
            if self._submit(pool, waiting[:take]):
                waiting = waiting[take:]
        self._waiting = waiting
        if self._closed and not waiting:
            pool.close(wait=False)
            self._pool = None

    def _submit(self, pool: Pool, items: _Items) -> bool:
        """False if the worker was found dead: the pages wait for another."""
        try:
            request = pickle.dumps(tuple(page for page, _ in items), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as err:  # a page that does not pickle
            _settle(items, [err] * len(items))
            return True
        return pool.run(request, functools.partial(_answered, items))

    def _start(self) -> Pool:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__, *_WORKER_MODULES])
        # Pickled here once, not for each worker the pool starts (with 10,000 rules a pickling takes
        # most of a second, in the event loop's thread) nor again for a worker replaced after a death.
        if self._pickled is None:
            self._pickled = pickle.dumps(self.rules, protocol=pickle.HIGHEST_PROTOCOL)
        setup = (self._pickled, os.getpid(), _started(os.getpid()))
        pool = Pool(
            self.workers, context, (_start_worker, setup, _in_worker), MAX_TASKS_PER_WORKER, self._feed
        )
        pool.spawn()
        return pool

    def close(self, *, wait: bool = True) -> None:
        """Stop the workers once the pages handed to them are done (without `wait`, in the background);
        safe to call more than once."""
        with self._lock:  # a start() still in its thread sees _closed and starts nothing
            self._closed = True
            pool = self._pool
        if pool is None:
            return
        self._feed()  # closes the pool now if no page waits, else once the last has gone to a worker
        while wait and pool.live and (pool.busy or self._waiting):
            pool.wait()  # each answer hands the worker more of the waiting pages
        if wait:
            pool.close()
            self._pool = None

    def __enter__(self) -> Analyser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
