"""Revision 0005 backfills the folded name key and refuses data it would have to merge, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from domain import migrate
from domain.db import make_engine
from tests.domain.test_migrations import empty_database  # noqa: F401 - the per-backend empty database

NOW = "2026-03-01 10:00:00+00:00"


def _seed(engine: Engine, *names: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO tenants (id, name, timezone, currency, default_markup_percent, estimate_valid_days,"
                " sync_settings, allowed_origins, created_at, updated_at)"
                " VALUES ('t1', 'T', 'UTC', 'USD', 0, 30, '{}', '[]', :now, :now)"
            ),
            {"now": NOW},
        )
        for i, name in enumerate(names):
            conn.execute(
                text(
                    "INSERT INTO customers (id, tenant_id, display_name, billing_address, shipping_address,"
                    " tax_exempt, active, created_at, updated_at, sync_status, source_system)"
                    " VALUES (:id, 't1', :name, '{}', '{}', false, true, :now, :now, 'never', 'platform')"
                ),
                {"id": f"c{i}", "name": name, "now": NOW},
            )


def test_upgrade_backfills_the_key(empty_database: str) -> None:  # noqa: F811
    migrate.upgrade(empty_database, "0004")
    engine = make_engine(empty_database)
    try:
        _seed(engine, "Ölaf  Heating", "Straße Bau")
        migrate.upgrade(empty_database)
        with engine.connect() as conn:
            keys = dict(conn.execute(text("SELECT display_name, name_key FROM customers")).all())
        assert keys == {"Ölaf  Heating": "ölaf heating", "Straße Bau": "strasse bau"}
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO customers (id, tenant_id, display_name, name_key, billing_address,"
                    " shipping_address, tax_exempt, active, created_at, updated_at, sync_status, source_system)"
                    " VALUES ('c9', 't1', 'ÖLAF HEATING', 'ölaf heating', '{}', '{}', false, true, :now, :now,"
                    " 'never', 'platform')"
                ),
                {"now": NOW},
            )
        migrate.downgrade(empty_database, "0004")
    finally:
        engine.dispose()


def test_upgrade_refuses_names_that_fold_together(empty_database: str) -> None:  # noqa: F811
    migrate.upgrade(empty_database, "0004")
    engine = make_engine(empty_database)
    try:
        _seed(engine, "Ölaf Heating", "ölaf heating")
        with pytest.raises(RuntimeError, match="are one name"):
            migrate.upgrade(empty_database)
    finally:
        engine.dispose()
