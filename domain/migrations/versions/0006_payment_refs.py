"""the company's payment methods (a payment's method reaches QuickBooks as a PaymentMethodRef); why an
invoice or payment was voided; how a customer accepted an estimate

Revision ID: 0006_payment_refs
Revises: 0005
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_payment_refs"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VOIDABLE = ("invoices", "payments")


def upgrade() -> None:
    op.create_table(
        "payment_methods",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("qbo_id", sa.String(length=32), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_payment_methods_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_methods")),
        sa.UniqueConstraint("tenant_id", "key", name=op.f("uq_payment_methods_tenant_id")),
    )
    with op.batch_alter_table("payment_methods", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_methods_tenant_id"), ["tenant_id"], unique=False)
    for table in _VOIDABLE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("void_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("estimates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approval_method", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("estimates", schema=None) as batch_op:
        batch_op.drop_column("approval_method")
    for table in _VOIDABLE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("void_reason")
    with op.batch_alter_table("payment_methods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_methods_tenant_id"))
    op.drop_table("payment_methods")
