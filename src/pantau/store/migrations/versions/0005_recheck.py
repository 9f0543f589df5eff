"""recheck and held_back: articles fetched again for updates, and matching articles too old to alert

Two new tables; `article` is left alone (a batch rebuild of it on SQLite would cascade to every alert).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "held_back",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id"),
    )
    op.create_index("ix_held_back_source", "held_back", ["source"], unique=False)
    op.create_index("ix_held_back_at", "held_back", ["at"], unique=False)
    op.create_table(
        "recheck",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("etag", sa.String(), nullable=True),
        sa.Column("last_modified", sa.String(), nullable=True),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.Column("next_at", sa.DateTime(), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id"),
    )
    op.create_index("ix_recheck_due", "recheck", ["source", "next_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_recheck_due", table_name="recheck")
    op.drop_table("recheck")
    op.drop_index("ix_held_back_at", table_name="held_back")
    op.drop_index("ix_held_back_source", table_name="held_back")
    op.drop_table("held_back")
