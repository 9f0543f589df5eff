"""Starting the web view inside a running service (embedded or cluster): the same pages, /healthz and
/metrics, whoever decides when polls run."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp.web import AppRunner

from pantau.clock import Clock
from pantau.config import Config
from pantau.service.metrics import Metrics
from pantau.store import Store

log = logging.getLogger("pantau.service")


async def serve_web(
    config: Callable[[], Config],
    store: Store,
    clock: Clock,
    next_polls: Callable[[], dict[str, datetime]],
    health: Callable[[], Awaitable[str | None]],
    metrics: Metrics,
) -> AppRunner | None:
    """The web view when the config asks for one (a reload does not move it: restart for a new
    `web.listen`); None otherwise. Called before polling starts, so an address in use stops pantau at once."""
    settings = config().web
    if settings is None:
        return None
    from pantau.web import build_app, start_web

    app = build_app(config, store, clock, next_polls, health=health, metrics=metrics)
    runner, url = await start_web(app, settings)
    log.info("web view on %s%s", url, "" if settings.password else " (no password: loopback only)")
    return runner
