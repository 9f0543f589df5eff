"""Starting the web view inside a running service (embedded or cluster): the same pages, /healthz and
/metrics, whoever decides when polls run."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp.web import AppRunner

from pantau.clock import Clock
from pantau.config import Config
from pantau.service.metrics import Metrics
from pantau.store import Store
from pantau.store.db import unavailable

log = logging.getLogger("pantau.service")
HEALTH_TIMEOUT = 5  # seconds /healthz waits for the store


async def store_problem(store: Store) -> str | None:
    """None when the store answers a ping within HEALTH_TIMEOUT; else why not, in one line (for /healthz)."""
    try:
        await asyncio.wait_for(asyncio.to_thread(store.ping), timeout=HEALTH_TIMEOUT)
    except TimeoutError:
        return f"store: database unavailable (no answer within {HEALTH_TIMEOUT} s)"
    except Exception as exc:
        return unavailable(exc) or f"store: {str(exc).strip().splitlines()[0][:200]}"
    return None


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
