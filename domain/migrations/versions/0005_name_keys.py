"""customers, vendors and items are unique per tenant on a Unicode-folded name key

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain.fields import NAME_KEY_LENGTH, name_key

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> the column its name lives in
_TABLES = {"customers": "display_name", "vendors": "display_name", "items": "name"}


def _backfill(table: str, column: str) -> None:
    bind = op.get_bind()
    rows = sa.table(table, sa.column("id"), sa.column("tenant_id"), sa.column(column), sa.column("name_key"))
    seen: dict[tuple[str, str], str] = {}
    for row_id, tenant_id, name in bind.execute(sa.select(rows.c.id, rows.c.tenant_id, rows.c[column])):
        key = name_key(name)
        other = seen.setdefault((tenant_id, key), name)
        if other is not name:
            # Two records differing only in case or width: merging them is a decision for a person.
            raise RuntimeError(f"{table}: '{other}' and '{name}' are one name; rename one and upgrade again")
        bind.execute(sa.update(rows).where(rows.c.id == row_id).values(name_key=key))


def upgrade() -> None:
    for table, column in _TABLES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("name_key", sa.String(length=NAME_KEY_LENGTH), nullable=True))
        _backfill(table, column)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("name_key", existing_type=sa.String(length=NAME_KEY_LENGTH), nullable=False)
            batch_op.drop_constraint(f"uq_{table}_tenant_id", type_="unique")
            batch_op.create_unique_constraint(f"uq_{table}_name_key", ["tenant_id", "name_key"])


def downgrade() -> None:
    for table, column in _TABLES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_name_key", type_="unique")
            batch_op.create_unique_constraint(f"uq_{table}_tenant_id", ["tenant_id", column])
            batch_op.drop_column("name_key")
