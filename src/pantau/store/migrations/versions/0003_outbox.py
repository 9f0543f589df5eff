"""outbox: leases, message keys and dead letters on deliveries; digest state; incidents

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("lease_owner", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("message_key", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("dead_at", sa.DateTime(), nullable=True))
    op.create_table(
        "digest_state",
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("last_due_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("rule", "channel"),
    )
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("open_sent", sa.Boolean(), nullable=False),
        sa.Column("close_sent", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_incident_open", "incident", ["kind", "subject", "closed_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_incident_open", table_name="incident")
    op.drop_table("incident")
    op.drop_table("digest_state")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_column("dead_at")
        batch_op.drop_column("message_key")
        batch_op.drop_column("lease_owner")
        batch_op.drop_column("lease_until")
