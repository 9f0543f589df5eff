"""article: drop ix_article_source, which ix_article_source_fetched (source, fetched_at) leads

Every query that looks articles up by source can use the wider index; the narrow one only cost a B-tree
insert and its dirty pages on every new article.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_article_source", table_name="article")


def downgrade() -> None:
    op.create_index("ix_article_source", "article", ["source"], unique=False)
