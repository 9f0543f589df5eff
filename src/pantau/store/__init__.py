"""The store: the only code that touches SQL. See queries.py for what it offers."""

from pantau.store.db import StoreError
from pantau.store.queries import (
    DeliveryState,
    DueDelivery,
    Outgoing,
    SourceHealth,
    Store,
    StoredArticle,
)

__all__ = ["DeliveryState", "DueDelivery", "Outgoing", "SourceHealth", "Store", "StoreError", "StoredArticle"]
