"""qbo rate slots: one per-company QBO request budget across processes

Revision ID: 0009_qbo_rate_slots
Revises: 0008_turn_leases
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_qbo_rate_slots"
down_revision: str | None = "0008_turn_leases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "qbo_rate_realms",
        sa.Column("realm_id", sa.String(length=80), nullable=False),
        sa.Column("paused_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("realm_id", name=op.f("pk_qbo_rate_realms")),
    )
    op.create_table(
        "qbo_rate_slots",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("realm_id", sa.String(length=80), nullable=False),
        sa.Column("batch", sa.Boolean(), nullable=False),
        sa.Column("admitted_at", sa.Float(), nullable=False),
        sa.Column("done_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qbo_rate_slots")),
    )
    op.create_index(op.f("ix_qbo_rate_slots_realm_id"), "qbo_rate_slots", ["realm_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_qbo_rate_slots_realm_id"), table_name="qbo_rate_slots")
    op.drop_table("qbo_rate_slots")
    op.drop_table("qbo_rate_realms")
