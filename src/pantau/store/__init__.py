"""The store: the only code that touches SQL. queries.py holds sources, links and articles; stories.py the
story index; outbox.py the deliveries and incidents."""

from pantau.store.db import StoreError
from pantau.store.outbox import DeliveryState, DueDelivery
from pantau.store.queries import Outgoing, SourceHealth, Store, StoredArticle
from pantau.store.stories import StoryCopy, StoryLink, StorySummary

__all__ = [
    "DeliveryState",
    "DueDelivery",
    "Outgoing",
    "SourceHealth",
    "Store",
    "StoreError",
    "StoredArticle",
    "StoryCopy",
    "StoryLink",
    "StorySummary",
]
