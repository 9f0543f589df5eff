"""Alerts about pantau itself: a source failing poll after poll, a source gone silent, deliveries dying.

Each problem is an incident row: opened once, closed once, and each of the two told to the `ops` channel
exactly once (a failed telling is retried on the next pass). Decisions read the store's source health; no
network I/O happens here except the sending in `tell_incidents`.
"""

from __future__ import annotations

from datetime import datetime

from pantau.config import Config
from pantau.errors import DeliveryError
from pantau.notify.deliver import Notifier
from pantau.notify.render import Message, format_time
from pantau.redact import redact_text
from pantau.store import Store
from pantau.words import count

KINDS = {
    "source-failing": "failing",
    "source-silent": "silent",
    "delivery-dying": "deliveries dying",
}


def check_health(store: Store, config: Config, now: datetime) -> None:
    """Open or close the source incidents that the store's health figures call for."""
    if config.ops is None:
        return
    health = {h.name: h for h in store.all_source_health()}
    for source in config.sources:
        h = health.get(source.name)
        if h is None or h.last_poll_at is None:
            continue
        if h.consecutive_failures >= config.ops.after_failures:
            why = redact_text(
                h.last_error or "unknown", config.secrets
            )  # stored redacted; older rows may not be
            detail = f"{count(h.consecutive_failures, 'poll')} in a row failed; last error: {why}"
            store.open_incident("source-failing", source.name, detail, now)
        elif h.consecutive_failures == 0:
            store.close_incident("source-failing", source.name, now)
        if source.stale_after is None:
            continue
        since = h.last_new_article_at or h.last_success_at
        if since is not None and now - since > source.stale_after:
            detail = f"no new article since {format_time(since, config.timezone)} (expected within {source.stale_after})"
            store.open_incident("source-silent", source.name, detail, now)
        elif h.last_new_article_at is not None and now - h.last_new_article_at <= source.stale_after:
            store.close_incident("source-silent", source.name, now)


def subject_of(kind: str, subject: str) -> str:
    """What an incident is about, named so that a reader knows where to look: "source 'kyodo'"."""
    return f"channel '{subject}'" if kind.startswith("delivery") else f"source '{subject}'"


async def tell_incidents(store: Store, notifier: Notifier, config: Config) -> None:
    if config.ops is None:
        return
    tz = config.timezone
    for incident in store.incidents_to_tell():
        what = KINDS.get(incident.kind, incident.kind)
        who = subject_of(incident.kind, incident.subject)
        opened = format_time(incident.opened_at, tz)
        if not incident.open_sent and incident.closed_at is not None:
            # Opened and resolved between two passes: one message says both.
            title = f"[pantau] {who}: {what}, now recovered"
            body = f"{who[0].upper()}{who[1:]}: {incident.detail}\nRecovered at {format_time(incident.closed_at, tz)}."
        elif not incident.open_sent:
            title = f"[pantau] {who}: {what}"
            body = f"{who[0].upper()}{who[1:]}: {incident.detail}\nSince {opened}. You will hear when it recovers."
        else:
            title = f"[pantau] {who}: recovered"
            assert incident.closed_at is not None
            body = f"{who[0].upper()}{who[1:]} is back to normal at {format_time(incident.closed_at, tz)} ({what} since {opened})."
        try:
            await notifier.send(
                config.ops.channel,
                Message(title, body, "text"),
                key=f"pantau-incident-{incident.id}-{int(incident.closed_at is not None)}",
            )
        except DeliveryError:
            return  # the ops channel itself is down: tell it all on a later pass
        store.incident_told(incident.id, opening=True, closing=incident.closed_at is not None)
