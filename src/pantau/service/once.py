"""One pass over the sources: poll (all or one), then deliver whatever is due. Used by `once` and `demo`.

`open_and_run_once` (the `once` command) gets the first request out early: the HTTP client is all it loads
before asking for the robots.txt of every source's origin, which no store is needed for. The pipeline's
modules load and the store opens in a thread meanwhile, so the event loop goes on sending and reading.
The workers' fork server is started first of all (`start_fork_server`, which the `once` command calls as
soon as the config is read, before even the HTTP client loads): it imports the analysis modules on the
other core while this process loads its own, and its first worker is ready before the first article page
is (started once the HTTP client had loaded, it kept the first pages waiting a tenth of a second). The
analysis modules load next, so that the worker processes start (Analyser.start) while the rest of the
pipeline loads and the store opens: the first pages do not wait for them.
The notifier (apprise and its plugin table) loads only after the poll.

`pantau once` runs its start-up with the cyclic garbage collector off (pantau.cli.run_cli): it would walk
the growing start-up heap some 190 times, 60 ms of the main process's CPU, to find almost nothing (0.4 MB of
import-time cycles, which pantau.heap.settle then keeps, frozen). It is on again once the heap is settled.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pantau.clock import Clock
from pantau.config import Config
from pantau.heap import settle

if TYPE_CHECKING:
    from pantau.analyse import Analyser
    from pantau.fetch import Fetcher
    from pantau.notify.outbox import DeliveryReport
    from pantau.pipeline import PollResult
    from pantau.store import Store


@dataclass(frozen=True)
class PassResult:
    polls: tuple[PollResult, ...]
    delivery: DeliveryReport


async def run_once(config: Config, store: Store, clock: Clock, *, only: str | None = None) -> PassResult:
    """One pass on a store that is already open (and stays open)."""
    return await _pass(config, clock, only, lambda: nullcontext(store))


async def open_and_run_once(config: Config, clock: Clock, *, only: str | None = None) -> PassResult:
    """One pass that opens the store itself (upgrading its schema if need be) and closes it at the end."""
    return await _pass(config, clock, only, lambda: _open_store(config.database))


async def _pass(
    config: Config, clock: Clock, only: str | None, opening: Callable[[], AbstractContextManager[Store]]
) -> PassResult:
    from pantau.fetch import Fetcher, make_client  # aiohttp: after the fork server has started

    with ExitStack() as closing:
        async with make_client() as client:
            fetcher = Fetcher(client, clock=clock)
            async with fetcher.robots_ahead(_first_pages(config, only)):
                # The workers start (in a thread: the fork server takes a while) as the rest of the
                # pipeline loads and the store opens.
                analyser = closing.enter_context(await asyncio.to_thread(_analyser, config))
                analyser.start()
                await asyncio.to_thread(_load_pipeline)
                store = closing.enter_context(await asyncio.to_thread(opening))
                settle()  # the collector leaves the start-up heap alone from here (pantau.heap)
                gc.enable()  # `pantau once` loads with it off (see above)
                polls = await _poll(config, store, fetcher, clock, only, analyser)
                analyser.close(wait=False)  # its workers end while the alerts go out
        return PassResult(polls, await _deliver(config, store, clock))


def _first_pages(config: Config, only: str | None) -> list[tuple[str, str]]:
    """(url, user agent) of each source's page. A source whose feed was found earlier asks for the feed
    instead: usually on the same origin, and otherwise its page's robots.txt is one request to spare."""
    return [(s.url, s.user_agent) for s in config.sources if only is None or s.name == only]


def _analyser(config: Config) -> Analyser:
    """The pass's analyser, loading only the analysis modules (a third of the pipeline's), after starting
    the fork server that its workers will come from (unless it runs already)."""
    start_fork_server(config)
    from pantau.analyse import analyser_for

    return analyser_for(config)


# What the workers' fork server preloads: pantau.analyse and its _WORKER_MODULES, named here so that starting
# it does not wait for them to load in this process (tests/service/test_once_start_up.py keeps them alike).
FORK_SERVER_PRELOAD = ("pantau.analyse", "pantau.extract.article", "pantau.dedupe.minhash")


def start_fork_server(config: Config) -> None:
    """Start the fork server of the workers that analyser_for(config) will have, if it has any and it is
    not running yet. Analyser would start it only once the analysis modules have loaded here: started
    first, its own start-up (a new interpreter importing those modules) runs beside this process's on the
    other core."""
    from pantau.workers import workers_for

    if workers_for(config.workers) == 0:
        return
    import multiprocessing
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(list(FORK_SERVER_PRELOAD))
    forkserver.ensure_running()


def _load_pipeline() -> None:
    import pantau.pipeline  # noqa: F401  (most of the start-up: extraction, rules, dedupe, the store)


def _open_store(url: str) -> Store:
    from pantau.store import Store

    return Store.open(url)


async def _poll(
    config: Config, store: Store, fetcher: Fetcher, clock: Clock, only: str | None, analyser: Analyser
) -> tuple[PollResult, ...]:
    from pantau.pipeline import Context, poll_all

    return tuple(await poll_all(Context(config, store, fetcher, clock, analyser), only))


async def _deliver(config: Config, store: Store, clock: Clock) -> DeliveryReport:
    from pantau.notify.deliver import Notifier
    from pantau.notify.outbox import deliver_due

    return await deliver_due(store, Notifier(config.channel_urls, config.secrets), config, clock)
