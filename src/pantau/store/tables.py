"""The store's tables, as SQLAlchemy Core `Table`s on one `METADATA` (which the migrations compare
against). Only the store package imports this module.

Every time is stored as UTC (`UTCDateTime` keeps SQLite and PostgreSQL alike: naive UTC in, aware UTC out).
Uniqueness constraints carry the idempotency the pipeline relies on: an article URL is stored once, a rule
alerts once per article, an alert is delivered once per channel. A column's `default` is filled in by
SQLAlchemy when an insert leaves it out; the database itself has no defaults.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator


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


def _when(name: str, *, nullable: bool = True, index: bool = False) -> Column[datetime]:
    return Column(name, UTCDateTime(), nullable=nullable, index=index)


def _text(name: str, *, nullable: bool = False, **options: Any) -> Column[str]:
    """A short string (VARCHAR without a length); `_long` is for text of any size."""
    return Column(name, String(), nullable=nullable, **options)


def _long(name: str, *, nullable: bool = False) -> Column[str]:
    return Column(name, Text(), nullable=nullable)


def _count(name: str) -> Column[int]:
    return Column(name, Integer(), nullable=False, default=0)


def _flag(name: str) -> Column[bool]:
    return Column(name, Boolean(), nullable=False, default=False)


def _id() -> Column[int]:
    return Column("id", Integer(), primary_key=True)


def _article_ref(*, primary_key: bool = False) -> Column[int]:
    article = ForeignKey("article.id", ondelete="CASCADE")
    return Column("article_id", Integer(), article, primary_key=primary_key, nullable=False)


METADATA = MetaData()

SOURCE_STATE = Table(
    "source_state",
    METADATA,
    _text("name", primary_key=True),
    _text("feed_url", nullable=True),
    _text("etag", nullable=True),
    _text("last_modified", nullable=True),
    _when("last_poll_at"),
    _when("last_success_at"),
    _when("last_new_article_at"),
    _count("consecutive_failures"),
    _long("last_error", nullable=True),
    _count("articles_seen"),
    _text("last_poll_by", nullable=True),  # the instance (host:pid) that polled it last
)

# When each source is due (cluster mode): every instance's dispatcher reads it, any config reload rewrites
# it, so one edit reaches the whole cluster.
SOURCE_SCHEDULE = Table(
    "source_schedule",
    METADATA,
    _text("name", primary_key=True),
    Column("every_seconds", Integer(), nullable=False),
    _when("next_due_at", nullable=False, index=True),
)

# A fact the instances of a cluster share: the digest of the config last loaded, the last dispatch.
CLUSTER_STATE = Table(
    "cluster_state",
    METADATA,
    _text("key", primary_key=True),
    _long("value"),
    _when("updated_at", nullable=False),
)

# The version of a job queue's schema applied to this database (store.db.QueueSchema).
QUEUE_SCHEMA = Table(
    "queue_schema",
    METADATA,
    _text("name", primary_key=True),
    _text("version"),
)

# An article URL a source has listed; `done` once it was stored, was a duplicate or had no article.
SEEN_LINK = Table(
    "seen_link",
    METADATA,
    _text("source", primary_key=True),
    _text("url", primary_key=True),
    _when("first_seen_at"),
    _flag("done"),
    _count("attempts"),
    _long("last_error", nullable=True),
)
# The links still to be tried again, found without reading every link a source ever had (there are ever more).
_UNFINISHED = SEEN_LINK.c.done == False  # noqa: E712 (SQL, not Python)
Index(
    "ix_seen_link_unfinished",
    SEEN_LINK.c.source,
    SEEN_LINK.c.first_seen_at,
    sqlite_where=_UNFINISHED,
    postgresql_where=_UNFINISHED,
)

ARTICLE = Table(
    "article",
    METADATA,
    _id(),
    _text("url", unique=True),
    _text("source"),  # looked up through ix_article_source_fetched, which it leads
    _long("title"),
    _long("body"),
    _when("published"),
    _text("author", nullable=True),
    _text("lang", nullable=True),
    _text("content_hash", index=True),
    _when("fetched_at", nullable=False, index=True),
    # Every article belongs to one story (NULL only between migration steps); no FK: see migration 0002.
    Column("story_id", Integer(), nullable=True, index=True),
    # Articles per source over a recent window (the web view's /sources) read this index alone.
    Index("ix_article_source_fetched", "source", "fetched_at"),
)

# One event as many outlets report it: its articles point here (article.story_id).
STORY = Table(
    "story",
    METADATA,
    _id(),
    _when("first_seen_at", nullable=False),
)

# The near-duplicate index: one row per article fetched within the window, pruned after it.
STORY_SIGNATURE = Table(
    "story_signature",
    METADATA,
    _article_ref(primary_key=True),
    Column("story_id", Integer(), nullable=False),
    _text("source"),
    _text("lang", nullable=True),
    _text("exact"),
    Column("signature", LargeBinary(), nullable=False),
    Column("size", Integer(), nullable=False),
    _long("entities"),  # newline-separated
    _when("at", nullable=False, index=True),
)

# LSH band keys of indexed articles (MinHash bands, and figures for cross-language links). No time column:
# rows go with their article's story_signature row (its `at` bounds the window).
STORY_BAND = Table(
    "story_band",
    METADATA,
    Column("band", BigInteger(), primary_key=True, autoincrement=False),
    _article_ref(primary_key=True),
    # One B-tree keyed by (band, article_id) instead of a rowid table plus its key index: half the writes.
    sqlite_with_rowid=False,
)

ALERT = Table(
    "alert",
    METADATA,
    _id(),
    _article_ref(),
    _text("rule", index=True),
    _long("terms"),  # JSON list of matched terms
    _long("hits"),  # JSON list of hits
    _long("snippet"),
    _when("created_at", nullable=False, index=True),
    UniqueConstraint("article_id", "rule", name="uq_alert_article_rule"),
)

# The outbox: one row per (alert, channel). `digest` rows wait for their rule's digest time.
DELIVERY = Table(
    "delivery",
    METADATA,
    _id(),
    Column("alert_id", Integer(), ForeignKey("alert.id", ondelete="CASCADE"), nullable=False),
    _text("channel"),
    _text("state", default="pending"),  # pending | delivered | dead
    _flag("digest"),
    _count("attempts"),
    _when("next_attempt_at", nullable=False),
    _long("last_error", nullable=True),
    _when("delivered_at"),
    # While a sender holds a lease nobody else sends the row; a crashed sender's lease simply runs out.
    _when("lease_until"),
    _text("lease_owner", nullable=True),  # "host:pid" of the sender holding the lease
    _text("message_key", nullable=True),  # the idempotency key of the message that carried it
    _when("dead_at"),
    UniqueConstraint("alert_id", "channel", name="uq_delivery_alert_channel"),
    Index("ix_delivery_due", "state", "next_attempt_at"),
)

# When a digest rule last went out to a channel (for digests sent even when empty).
DIGEST_STATE = Table(
    "digest_state",
    METADATA,
    _text("rule", primary_key=True),
    _text("channel", primary_key=True),
    _when("last_due_at"),
)

# Something wrong with pantau itself (a failing source, dying deliveries), told to the ops channel once when
# it opens and once when it closes.
INCIDENT = Table(
    "incident",
    METADATA,
    _id(),
    _text("kind"),  # source-failing | source-silent | delivery-dying
    _text("subject"),  # the source or channel name
    _long("detail"),
    _when("opened_at", nullable=False),
    _when("closed_at"),
    _flag("open_sent"),
    _flag("close_sent"),
    Index("ix_incident_open", "kind", "subject", "closed_at"),
)

# An article that matched rules but was published longer ago than its source's max_age: stored and indexed
# like any other, never alerted. `pantau sources` and `pantau alerts` count these.
HELD_BACK = Table(
    "held_back",
    METADATA,
    _article_ref(primary_key=True),
    _text("source", index=True),
    _long("rules"),  # JSON list of the rules it matched
    _when("at", nullable=False, index=True),
)

# An article fetched again now and then until `until`, so an update made in place is read. The row goes
# when its last check is done.
RECHECK = Table(
    "recheck",
    METADATA,
    _article_ref(primary_key=True),
    _text("source"),
    _long("url"),  # the page fetched (its first page)
    _text("etag", nullable=True),
    _text("last_modified", nullable=True),
    _text("content_hash"),  # of the newest version read
    _when("first_seen_at", nullable=False),
    _when("next_at", nullable=False),
    _when("until", nullable=False),
    Index("ix_recheck_due", "source", "next_at"),
)
