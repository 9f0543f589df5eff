"""Sample alerts for the notify tests, written for them (no real article text)."""

from __future__ import annotations

from datetime import UTC, datetime

from pantau.models import Alert


def make_alert(**changes: object) -> Alert:
    """A plausible alert written for these tests; keyword arguments replace fields."""
    fields: dict[str, object] = {
        "id": 41,
        "rule": "nato-indo-pacific",
        "source": "kyodo",
        "url": "https://english.kyodonews.net/news/2026/11/a81f-nato-japan-liaison.html",
        "title": "NATO and Japan agree to open a liaison office in Tokyo",
        "published": datetime(2026, 11, 25, 7, 5, tzinfo=UTC),
        "created_at": datetime(2026, 11, 25, 7, 20, tzinfo=UTC),
        "terms": ("NATO", "Japan"),
        "snippet": (
            "Officials said «NATO» would staff the office with two liaison officers from «Japan»'s ministry."
        ),
        "also_reported_by": (),
    }
    fields.update(changes)
    return Alert(**fields)  # type: ignore[arg-type]
