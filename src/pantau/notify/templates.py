"""Message formats and user templates: one alert or digest -> a Message in markdown, text or HTML.

The default markdown comes from render.py; text is that markdown read as plain text; HTML has a default
template here. A channel or rule may bring its own Jinja2 template (config `template:`): it runs in Jinja's
sandbox, and every value it prints is escaped for the channel's format (HTML entities for html, markdown
escapes for markdown), so scraped titles and snippets can never inject markup. Pure: no I/O, no clock.
Jinja2 loads with the first template used: the default markdown and text need none.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pantau.models import Alert
from pantau.notify.render import (
    Message,
    clean_text,
    escape_markdown,
    format_time,
    render_alert,
    render_digest,
    to_plain,
)

if TYPE_CHECKING:
    from jinja2 import Template
    from jinja2.sandbox import SandboxedEnvironment

DEFAULT_HTML_ALERT = """\
<p><strong>{{ title }}</strong></p>
<p>Rule: {{ rule }}<br>Source: {{ source }}<br>Published: {{ published }}<br>
Link: <a href="{{ url }}">{{ url }}</a><br>Matched: {{ terms | join(", ") }}
{%- if also_reported_by %}<br>Also reported by: {{ also_reported_by | join(", ") }}{% endif %}</p>
{%- if snippet %}
<blockquote>{{ snippet }}</blockquote>{% endif %}
"""

DEFAULT_HTML_DIGEST = """\
<p><strong>Digest for {{ rule }}: {{ alerts | length }} article{{ "s" if alerts | length != 1 }}</strong> ({{ period }})</p>
<ul>
{%- for a in alerts %}
<li><strong>{{ a.title }}</strong><br>{{ a.source }} · {{ a.published }}
{%- if a.also_reported_by %} · also: {{ a.also_reported_by | join(", ") }}{% endif %}<br>
<a href="{{ a.url }}">{{ a.url }}</a></li>
{%- endfor %}
</ul>
{%- if not alerts %}<p>Nothing new.</p>{% endif %}
"""


def _environment(fmt: str) -> SandboxedEnvironment:
    from jinja2 import Undefined
    from jinja2.sandbox import SandboxedEnvironment
    from markupsafe import Markup

    class _Lenient(Undefined):
        """A misspelt variable renders as nothing rather than failing a delivery at 3 a.m."""

    if fmt == "html":
        return SandboxedEnvironment(autoescape=True, undefined=_Lenient, keep_trailing_newline=True)

    def finalize(value: Any) -> Any:
        if fmt == "markdown" and isinstance(value, str) and not isinstance(value, Markup):
            return escape_markdown(value)
        return value

    return SandboxedEnvironment(
        autoescape=False, finalize=finalize, undefined=_Lenient, keep_trailing_newline=True
    )


@lru_cache(maxsize=64)
def _compiled(text: str, fmt: str) -> Template:
    """Each template is compiled once, not once per message (templates come from config: few and fixed)."""
    return _environment(fmt).from_string(text)


def _alert_context(alert: Alert, tz: tzinfo) -> dict[str, Any]:
    return {
        "rule": alert.rule,
        "title": clean_text(alert.title) or "(untitled)",
        "source": alert.source,
        "url": alert.url,
        "published": format_time(alert.published, tz) if alert.published else "time unknown",
        "terms": list(alert.terms),
        "snippet": clean_text(alert.snippet.replace("«", "").replace("»", "")),
        "also_reported_by": list(alert.also_reported_by),
    }


def alert_message(alert: Alert, tz: tzinfo, fmt: str = "markdown", template: str | None = None) -> Message:
    base = render_alert(alert, tz)
    if template is None:
        if fmt != "html":
            return _from_markdown(base, fmt)
        template = DEFAULT_HTML_ALERT
    return Message(base.title, _compiled(template, fmt).render(_alert_context(alert, tz)), fmt)


def digest_message(
    rule: str,
    alerts: Sequence[Alert],
    tz: tzinfo,
    period: str,
    fmt: str = "markdown",
    template: str | None = None,
) -> Message:
    base = render_digest(rule, alerts, tz, period)
    if template is None:
        if fmt != "html":
            return _from_markdown(base, fmt)
        template = DEFAULT_HTML_DIGEST
    context = {"rule": rule, "period": period, "alerts": [_alert_context(a, tz) for a in alerts]}
    return Message(base.title, _compiled(template, fmt).render(context), fmt)


def _from_markdown(base: Message, fmt: str) -> Message:
    """The default markdown message, or its plain-text reading for fmt "text"."""
    if fmt == "text":
        return Message(base.title, to_plain(base.body), "text")
    return base
