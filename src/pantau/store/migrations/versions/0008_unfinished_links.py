"""seen_link: a partial index of the links not done yet (read on every poll; done links pile up forever)

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_seen_link_unfinished",
        "seen_link",
        ["source", "first_seen_at"],
        unique=False,
        sqlite_where=sa.text("done = 0"),
        postgresql_where=sa.text("done = false"),
    )


def downgrade() -> None:
    op.drop_index("ix_seen_link_unfinished", table_name="seen_link")
