"""One pass over the sources: poll (all or one), then deliver whatever is due. Used by `once` and `demo`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pantau.clock import Clock
from pantau.config import Config
from pantau.fetch import Fetcher, make_client
from pantau.pipeline import Context, PollResult, analyser_for, poll_all
from pantau.store import Store

if TYPE_CHECKING:
    from pantau.notify.outbox import DeliveryReport


@dataclass(frozen=True)
class PassResult:
    polls: tuple[PollResult, ...]
    delivery: DeliveryReport


async def run_once(config: Config, store: Store, clock: Clock, *, only: str | None = None) -> PassResult:
    async with make_client() as client:
        with analyser_for(config) as analyser:
            fetcher = Fetcher(client, clock=clock)
            polls = await poll_all(Context(config, store, fetcher, clock, analyser), only)
    # The notifier (apprise and its plugin table) loads after the poll: the first request leaves sooner.
    from pantau.notify.deliver import Notifier
    from pantau.notify.outbox import deliver_due

    report = await deliver_due(store, Notifier(config.channel_urls, config.secrets), config, clock)
    return PassResult(tuple(polls), report)
