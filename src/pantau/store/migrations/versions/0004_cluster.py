"""cluster: source schedules in the store, the instance that polled a source last, the job queue's schema
version

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "source_schedule",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("every_seconds", sa.Integer(), nullable=False),
        sa.Column("next_due_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_index("ix_source_schedule_next_due_at", "source_schedule", ["next_due_at"], unique=False)
    op.create_table(
        "queue_schema",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("version", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    # A plain ADD COLUMN (no batch rebuild): on SQLite a rebuild of a table others point at is costly.
    op.add_column("source_state", sa.Column("last_poll_by", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("source_state", schema=None) as batch_op:
        batch_op.drop_column("last_poll_by")
    op.drop_table("queue_schema")
    op.drop_index("ix_source_schedule_next_due_at", table_name="source_schedule")
    op.drop_table("source_schedule")
