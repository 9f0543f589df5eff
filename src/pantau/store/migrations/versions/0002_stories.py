"""stories: every article belongs to a story; the near-duplicate index (signatures and band keys)

Articles already stored each become their own story (story.id = article.id); they are not added to the
near-duplicate index, which only ever holds the last window's articles anyway.

article.story_id is added with a plain ALTER TABLE ADD COLUMN and no foreign key: on SQLite a batch
rebuild of `article` would drop the table, and with foreign keys on that cascades to every alert.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "story",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "story_signature",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("lang", sa.String(), nullable=True),
        sa.Column("exact", sa.String(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("entities", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id"),
    )
    op.create_index("ix_story_signature_at", "story_signature", ["at"], unique=False)
    op.create_table(
        "story_band",
        sa.Column("band", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("band", "article_id"),
        sqlite_with_rowid=False,
    )

    op.add_column("article", sa.Column("story_id", sa.Integer(), nullable=True))
    op.create_index("ix_article_story_id", "article", ["story_id"], unique=False)
    op.execute("INSERT INTO story (id, first_seen_at) SELECT id, fetched_at FROM article")
    op.execute("UPDATE article SET story_id = id")
    if op.get_bind().dialect.name == "postgresql":
        # ids were given explicitly: move the sequence past them so new stories do not collide
        op.execute(
            "SELECT setval(pg_get_serial_sequence('story', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM story"
        )


def downgrade() -> None:
    op.drop_index("ix_article_story_id", table_name="article")
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_column("story_id")
    op.drop_table("story_band")
    op.drop_index("ix_story_signature_at", table_name="story_signature")
    op.drop_table("story_signature")
    op.drop_table("story")
