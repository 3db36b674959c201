"""turn leases: one chat turn per thread at a time across processes

Revision ID: 0008_turn_leases
Revises: 0007_realm_leases
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_turn_leases"
down_revision: str | None = "0007_realm_leases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "turn_leases",
        sa.Column("thread_id", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("thread_id", name=op.f("pk_turn_leases")),
    )


def downgrade() -> None:
    op.drop_table("turn_leases")
