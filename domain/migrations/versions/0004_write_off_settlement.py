"""write-offs remember the QuickBooks payment that applies their credit memo

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("write_offs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("settlement_qbo_id", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_write_offs_settlement_qbo_id"), ["settlement_qbo_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("write_offs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_write_offs_settlement_qbo_id"))
        batch_op.drop_column("settlement_qbo_id")
