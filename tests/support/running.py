"""The embedded service run in the test's own event loop, with /healthz and /metrics served on 127.0.0.1.

    async with running(config, store) as run:
        run.service, run.base          # base: "http://127.0.0.1:PORT"
        await run.stop()               # as on SIGTERM: in-flight work finishes; the server stays up
The service stops when the block ends, if not before; the health server with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from pantau.clock import utc_now
from pantau.config import Config
from pantau.service.embedded import Service
from pantau.store import Store
from pantau.web.health import add_health_routes


@dataclass
class Running:
    service: Service
    base: str
    task: asyncio.Future[None]

    async def stop(self) -> None:
        self.service.stop()
        await self.task


@asynccontextmanager
async def running(config: Config, store: Store, config_file: Path | None = None) -> AsyncIterator[Running]:
    service = Service(config, store, utc_now, config_file)
    app = web.Application()
    add_health_routes(app, service.health_problem, service.metrics)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    run = Running(service, f"http://127.0.0.1:{port}", asyncio.ensure_future(service.run()))
    try:
        yield run
    finally:
        await run.stop()
        await runner.cleanup()


async def wait_until(check: object, timeout: float = 30.0, every: float = 0.1) -> None:
    """Wait until `check()` (sync or async) is true; fail the test after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()  # type: ignore[operator]
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(
                f"timed out after {timeout} s waiting for {getattr(check, '__name__', check)}"
            )
        await asyncio.sleep(every)
