"""web: an index for articles per source over a recent window (the web view's /sources)

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_article_source_fetched", "article", ["source", "fetched_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_article_source_fetched", table_name="article")
