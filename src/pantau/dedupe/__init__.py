"""Dedupe: one identity per article URL (urls), a fingerprint per text (fingerprint), one story per event
reported by many outlets (stories).

Pure functions only: nothing here touches the network, the store or the clock.
"""

from pantau.dedupe.fingerprint import Fingerprint, fingerprint, similarity
from pantau.dedupe.stories import (
    Candidate,
    PriorAlert,
    StoryView,
    choose_story,
    cites_wire,
    plan_alerts,
    same_story,
)
from pantau.dedupe.urls import TRACKING_PARAMS, canonical_url, content_hash, site_host

__all__ = [
    "TRACKING_PARAMS",
    "Candidate",
    "Fingerprint",
    "PriorAlert",
    "StoryView",
    "canonical_url",
    "choose_story",
    "cites_wire",
    "content_hash",
    "fingerprint",
    "plan_alerts",
    "same_story",
    "similarity",
    "site_host",
]
