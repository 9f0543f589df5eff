"""The store: the only code that touches SQL. queries.py holds sources, links, articles and alerts;
outbox.py the deliveries."""

from pantau.store.db import StoreError
from pantau.store.outbox import DeliveryState, DueDelivery
from pantau.store.queries import Outgoing, SourceHealth, Store, StoredArticle

__all__ = ["DeliveryState", "DueDelivery", "Outgoing", "SourceHealth", "Store", "StoreError", "StoredArticle"]
