"""sync_realm_leases: which sync worker owns a QBO company's traffic, until when

Revision ID: 0007_realm_leases
Revises: 0006_payment_refs
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_realm_leases"
down_revision: str | None = "0006_payment_refs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_realm_leases",
        sa.Column("realm_key", sa.String(length=80), nullable=False),
        sa.Column("owner", sa.String(length=120), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("realm_key", name=op.f("pk_sync_realm_leases")),
    )


def downgrade() -> None:
    op.drop_table("sync_realm_leases")
