"""The read-only web view, /healthz and /metrics, served by `pantau run` in the service's own event loop
(see app.py; health.py holds /healthz and /metrics).

Server-rendered pages that work without JavaScript; static/htmx.min.js (htmx 2.0.11 from the npm package
htmx.org, licence 0BSD, see static/htmx.LICENSE) refreshes lists in place where a browser runs it. web/
never writes to the store and never fetches: routes read through query functions in store/views.py.
"""

from pantau.web.app import build_app, start_web

__all__ = ["build_app", "start_web"]
