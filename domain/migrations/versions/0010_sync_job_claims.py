"""sync job claims: a token per claim (fences a finisher whose lease ran out), an index on a record's jobs

Revision ID: 0010_sync_job_claims
Revises: 0009_qbo_rate_slots
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_sync_job_claims"
down_revision: str | None = "0009_qbo_rate_slots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_jobs") as batch:
        batch.add_column(sa.Column("claim_token", sa.String(length=36), nullable=True))
    op.create_index(
        "ix_sync_jobs_record", "sync_jobs", ["tenant_id", "entity", "entity_id", "direction"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_sync_jobs_record", table_name="sync_jobs")
    with op.batch_alter_table("sync_jobs") as batch:
        batch.drop_column("claim_token")
