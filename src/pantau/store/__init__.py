"""The store: the only code that touches SQL. queries.py holds sources, links and articles; stories.py the
story index; recheck.py articles watched for updates and those held back as too old; outbox.py the
deliveries and incidents; views.py what the web view reads."""

from pantau.store.db import StoreError
from pantau.store.outbox import DeliveryState, DueDelivery
from pantau.store.queries import Outgoing, Placed, Placement, SourceHealth, Store, StoredArticle
from pantau.store.recheck import DueRecheck, Watch
from pantau.store.stories import StoryArticle, StoryLink, StorySummary
from pantau.store.views import AlertFilter, AlertView, DeliveryView, StoryCopy

__all__ = [
    "AlertFilter",
    "AlertView",
    "DeliveryState",
    "DeliveryView",
    "DueDelivery",
    "DueRecheck",
    "Outgoing",
    "Placed",
    "Placement",
    "SourceHealth",
    "Store",
    "StoreError",
    "StoredArticle",
    "StoryArticle",
    "StoryCopy",
    "StoryLink",
    "StorySummary",
    "Watch",
]
