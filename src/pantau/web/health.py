"""`GET /healthz` and `GET /metrics`: what a load balancer, a container runtime and Prometheus ask.

/healthz answers 200 `ok` while the scheduler runs and the store answers, else 503 with a one-line reason;
it is never behind the web password (the app's auth middleware lets it through). /metrics is the
Prometheus text format of the service's Metrics. Both only read what the service hands them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from pantau.service.metrics import CONTENT_TYPE, Metrics

HealthCheck = Callable[[], Awaitable[str | None]]  # None: healthy; else the reason, one line
HEALTH_PATH = "/healthz"  # the one path that needs no password
METRICS_PATH = "/metrics"


def add_health_routes(app: web.Application, check: HealthCheck, metrics: Metrics) -> None:
    async def healthz(_request: web.Request) -> web.Response:
        problem = await check()
        if problem is not None:
            return web.Response(status=503, text=problem.splitlines()[0] if problem else "unhealthy")
        return web.Response(text="ok")

    async def scrape(_request: web.Request) -> web.Response:
        # The store gauges are read here: off the event loop, so a slow database never stalls polling.
        body = await asyncio.to_thread(metrics.render)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    app.router.add_get(HEALTH_PATH, healthz)
    app.router.add_get(METRICS_PATH, scrape)
