"""Alembic: upgrade head builds exactly the mapped schema, and downgrade base removes it, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import domain.models  # noqa: F401
from domain import migrate
from domain.db import Base, make_engine


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'migrations.sqlite'}"
    base = request.getfixturevalue("postgres_url")
    # A schema of its own inside the run's database keeps this test away from the shared tables.
    engine = make_engine(base)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS migration_check CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA migration_check")
    engine.dispose()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3Dmigration_check"


def test_upgrade_matches_models_and_downgrade_removes_everything(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    engine = make_engine(empty_database)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            summary = [f"{d[0]} {getattr(d[1], 'name', d[1]) if len(d) > 1 else ''}" for d in diff]
            assert diff == [], f"models and migrations differ; add a revision: {summary}"
            assert set(Base.metadata.tables) <= set(inspect(conn).get_table_names())
        migrate.downgrade(empty_database, "base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(empty_database)  # and back up again: the downgrade left nothing behind
    finally:
        engine.dispose()
