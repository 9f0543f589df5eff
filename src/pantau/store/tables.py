"""The store's tables. Only the store package imports this module.

Every time is stored as UTC (`UTCDateTime` keeps SQLite and PostgreSQL alike: naive UTC in, aware UTC out).
Uniqueness constraints carry the idempotency the pipeline relies on: an article URL is stored once, a rule
alerts once per article, an alert is delivered once per channel.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _when(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class SourceStateRow(SQLModel, table=True):
    __tablename__ = "source_state"

    name: str = Field(primary_key=True)
    feed_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_poll_at: datetime | None = _when()
    last_success_at: datetime | None = _when()
    last_new_article_at: datetime | None = _when()
    consecutive_failures: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    articles_seen: int = 0
    last_poll_by: str | None = None  # the instance (host:pid) that polled it last


class SourceScheduleRow(SQLModel, table=True):
    """When each source is due (cluster mode): every instance's dispatcher reads it, any config reload
    rewrites it, so one edit reaches the whole cluster."""

    __tablename__ = "source_schedule"

    name: str = Field(primary_key=True)
    every_seconds: int
    next_due_at: datetime | None = _when(nullable=False, index=True)


class ClusterStateRow(SQLModel, table=True):
    """A fact the instances of a cluster share: the digest of the config last loaded, the last dispatch."""

    __tablename__ = "cluster_state"

    key: str = Field(primary_key=True)
    value: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime | None = _when(nullable=False)


class QueueSchemaRow(SQLModel, table=True):
    """The version of a job queue's schema applied to this database (store.db.QueueSchema)."""

    __tablename__ = "queue_schema"

    name: str = Field(primary_key=True)
    version: str


class SeenLinkRow(SQLModel, table=True):
    """An article URL a source has listed; `done` once it was stored, was a duplicate or had no article."""

    __tablename__ = "seen_link"

    source: str = Field(primary_key=True)
    url: str = Field(primary_key=True)
    first_seen_at: datetime | None = _when()
    done: bool = False
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))


class ArticleRow(SQLModel, table=True):
    __tablename__ = "article"
    # Articles per source over a recent window (the web view's /sources) read this index alone.
    __table_args__ = (Index("ix_article_source_fetched", "source", "fetched_at"),)

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(unique=True)
    source: str = Field(index=True)
    title: str = Field(sa_column=Column(Text, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    published: datetime | None = _when()
    author: str | None = None
    lang: str | None = None
    content_hash: str = Field(index=True)
    fetched_at: datetime | None = _when(nullable=False, index=True)
    # Every article belongs to one story (NULL only between migration steps); no FK: see migration 0002.
    story_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True, index=True))


class StoryRow(SQLModel, table=True):
    """One event as many outlets report it: its articles point here (article.story_id)."""

    __tablename__ = "story"

    id: int | None = Field(default=None, primary_key=True)
    first_seen_at: datetime | None = _when(nullable=False)


class StorySignatureRow(SQLModel, table=True):
    """The near-duplicate index: one row per article fetched within the window, pruned after it."""

    __tablename__ = "story_signature"

    article_id: int = Field(
        sa_column=Column(Integer, ForeignKey("article.id", ondelete="CASCADE"), primary_key=True)
    )
    story_id: int = Field(sa_column=Column(Integer, nullable=False))
    source: str
    lang: str | None = None
    exact: str
    signature: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    size: int
    entities: str = Field(sa_column=Column(Text, nullable=False))  # newline-separated
    at: datetime | None = _when(nullable=False, index=True)


class StoryBandRow(SQLModel, table=True):
    """LSH band keys of indexed articles (MinHash bands, and figures for cross-language links).

    No time column: rows go with their article's story_signature row (its `at` bounds the window)."""

    __tablename__ = "story_band"
    # One B-tree keyed by (band, article_id) instead of a rowid table plus its key index: half the writes.
    __table_args__ = {"sqlite_with_rowid": False}

    band: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    article_id: int = Field(
        sa_column=Column(Integer, ForeignKey("article.id", ondelete="CASCADE"), primary_key=True)
    )


class AlertRow(SQLModel, table=True):
    __tablename__ = "alert"
    __table_args__ = (UniqueConstraint("article_id", "rule", name="uq_alert_article_rule"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(
        sa_column=Column(Integer, ForeignKey("article.id", ondelete="CASCADE"), nullable=False)
    )
    rule: str = Field(index=True)
    terms: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of matched terms
    hits: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of hits
    snippet: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime | None = _when(nullable=False, index=True)


class DeliveryRow(SQLModel, table=True):
    """The outbox: one row per (alert, channel). `digest` rows wait for their rule's digest time."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("alert_id", "channel", name="uq_delivery_alert_channel"),
        Index("ix_delivery_due", "state", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(
        sa_column=Column(Integer, ForeignKey("alert.id", ondelete="CASCADE"), nullable=False)
    )
    channel: str
    state: str = "pending"  # pending | delivered | dead
    digest: bool = False
    attempts: int = 0
    next_attempt_at: datetime | None = _when(nullable=False)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    delivered_at: datetime | None = _when()
    # While a sender holds a lease nobody else sends the row; a crashed sender's lease simply runs out.
    lease_until: datetime | None = _when()
    lease_owner: str | None = None  # "host:pid" of the sender holding the lease
    message_key: str | None = None  # the idempotency key of the message that carried it
    dead_at: datetime | None = _when()


class DigestStateRow(SQLModel, table=True):
    """When a digest rule last went out to a channel (for digests sent even when empty)."""

    __tablename__ = "digest_state"

    rule: str = Field(primary_key=True)
    channel: str = Field(primary_key=True)
    last_due_at: datetime | None = _when()


class IncidentRow(SQLModel, table=True):
    """Something wrong with pantau itself (a failing source, dying deliveries), told to the ops channel
    once when it opens and once when it closes."""

    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_open", "kind", "subject", "closed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str  # source-failing | source-silent | delivery-dying
    subject: str  # the source or channel name
    detail: str = Field(sa_column=Column(Text, nullable=False))
    opened_at: datetime | None = _when(nullable=False)
    closed_at: datetime | None = _when()
    open_sent: bool = False
    close_sent: bool = False


class HeldBackRow(SQLModel, table=True):
    """An article that matched rules but was published longer ago than its source's max_age: stored and
    indexed like any other, never alerted. `pantau sources` and `pantau alerts` count these."""

    __tablename__ = "held_back"

    article_id: int = Field(
        sa_column=Column(Integer, ForeignKey("article.id", ondelete="CASCADE"), primary_key=True)
    )
    source: str = Field(index=True)
    rules: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of the rules it matched
    at: datetime | None = _when(nullable=False, index=True)


class RecheckRow(SQLModel, table=True):
    """An article fetched again now and then until `until`, so an update made in place is read.
    The row goes when its last check is done."""

    __tablename__ = "recheck"
    __table_args__ = (Index("ix_recheck_due", "source", "next_at"),)

    article_id: int = Field(
        sa_column=Column(Integer, ForeignKey("article.id", ondelete="CASCADE"), primary_key=True)
    )
    source: str
    url: str = Field(sa_column=Column(Text, nullable=False))  # the page fetched (its first page)
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str  # of the newest version read
    first_seen_at: datetime | None = _when(nullable=False)
    next_at: datetime | None = _when(nullable=False)
    until: datetime | None = _when(nullable=False)


# Core Table objects for queries: typed columns (`ARTICLE.c.url`) that work the same on every dialect.
SOURCE_STATE: Table = SourceStateRow.__table__  # type: ignore[attr-defined]
SEEN_LINK: Table = SeenLinkRow.__table__  # type: ignore[attr-defined]
ARTICLE: Table = ArticleRow.__table__  # type: ignore[attr-defined]
ALERT: Table = AlertRow.__table__  # type: ignore[attr-defined]
DELIVERY: Table = DeliveryRow.__table__  # type: ignore[attr-defined]
STORY: Table = StoryRow.__table__  # type: ignore[attr-defined]
STORY_SIGNATURE: Table = StorySignatureRow.__table__  # type: ignore[attr-defined]
STORY_BAND: Table = StoryBandRow.__table__  # type: ignore[attr-defined]
DIGEST_STATE: Table = DigestStateRow.__table__  # type: ignore[attr-defined]
INCIDENT: Table = IncidentRow.__table__  # type: ignore[attr-defined]
SOURCE_SCHEDULE: Table = SourceScheduleRow.__table__  # type: ignore[attr-defined]
HELD_BACK: Table = HeldBackRow.__table__  # type: ignore[attr-defined]
RECHECK: Table = RecheckRow.__table__  # type: ignore[attr-defined]
CLUSTER_STATE: Table = ClusterStateRow.__table__  # type: ignore[attr-defined]
