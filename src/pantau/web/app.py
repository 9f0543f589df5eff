"""The aiohttp application of the web view: routes, templates, static files and HTTP basic auth.

`build_app` is given a way to read the current config (a reload swaps it), the store, the clock and,
from the running service, when each source is polled next, its health check and its metrics. `start_web` serves it inside the caller's event
loop (service/embedded.py). Every path but /healthz asks for the password when `web.password` is set; the
password is compared in constant time and never logged.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from pantau import __version__
from pantau.clock import Clock
from pantau.config import Config, WebConfig
from pantau.errors import WebError
from pantau.redact import redact_text
from pantau.service.metrics import Metrics
from pantau.store import Store
from pantau.web.health import HEALTH_PATH, HealthCheck, add_health_routes
from pantau.web.present import Times, marked

HERE = Path(__file__).parent
OPEN_PATHS = frozenset({HEALTH_PATH})  # the contract: /healthz is never behind the password

NextPolls = Callable[[], Mapping[str, datetime]]
CONFIG: web.AppKey[Callable[[], Config]] = web.AppKey("config")
STORE = web.AppKey("store", Store)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
NEXT_POLLS: web.AppKey[NextPolls] = web.AppKey("next_polls")
TEMPLATES = web.AppKey("templates", jinja2.Environment)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_app(
    config: Callable[[], Config],
    store: Store,
    clock: Clock,
    next_polls: NextPolls | None = None,
    *,
    health: HealthCheck | None = None,
    metrics: Metrics | None = None,
) -> web.Application:
    """The web view; with `health` and `metrics` (the running service's) also /healthz and /metrics."""
    from pantau.web.pages import add_page_routes

    app = web.Application(middlewares=[basic_auth, safety_headers])
    app[CONFIG] = config
    app[STORE] = store
    app[CLOCK] = clock
    app[NEXT_POLLS] = next_polls or dict
    app[TEMPLATES] = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # scraped titles and snippets are text, never markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    app[TEMPLATES].globals["marked"] = marked
    add_page_routes(app)
    if health is not None and metrics is not None:
        add_health_routes(app, health, metrics)
    app.router.add_static("/static", HERE / "static", name="static", append_version=True)
    return app


def render(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    config = request.app[CONFIG]()
    page = request.app[TEMPLATES].get_template(template)
    static = request.app.router["static"]
    text = page.render(
        t=Times(request.app[CLOCK](), config.timezone),
        path=request.path,
        version=__version__,
        static=lambda name: str(static.url_for(filename=name)),
        shown=lambda error: shown(error, config),
        **values,
    )
    return web.Response(text=text, status=status, content_type="text/html")


def shown(error: str | None, config: Config) -> str:
    """A stored error as a page shows it: redacted again (rows written before pantau redacted them)."""
    return redact_text(error, config.secrets) if error else ""


@web.middleware
async def basic_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    web_config = request.app[CONFIG]().web
    password = web_config.password if web_config else None
    if password is None or request.path in OPEN_PATHS or _authorized(request, password):
        return await handler(request)
    return web.Response(
        status=401,
        text="401: pantau asks for its web password (any user name)\n",
        headers={"WWW-Authenticate": 'Basic realm="pantau", charset="UTF-8"'},
    )


def _authorized(request: web.Request, password: str) -> bool:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    _user, sep, given = decoded.partition(":")
    return bool(sep) and hmac.compare_digest(given.encode(), password.encode())


@web.middleware
async def safety_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")  # links to outlets never carry our URL
    response.headers.setdefault(
        "Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"
    )
    return response


async def start_web(app: web.Application, settings: WebConfig) -> tuple[web.AppRunner, str]:
    """Serve `app` on the configured address in the running event loop; returns the runner (to clean up)
    and the URL it answers on (the real port when the config says 0)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise WebError(
            f"web: cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}"
        ) from None
    host, port = runner.addresses[0][:2]
    shown = f"[{host}]" if ":" in host else host
    return runner, f"http://{shown}:{port}"
