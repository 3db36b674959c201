"""Shared fixtures: a database per backend (SQLite always, PostgreSQL when reachable) and a tenant to work in.

PostgreSQL is found through ``QBO_AGENT_TEST_PG_URL`` (``.ci/run`` and ``make test`` set it). Each test run
creates its own throw-away database there, so runs never see each other's rows; without a server those tests
are skipped with the reason printed in the summary.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

import domain.models  # noqa: F401 - registers every table
from domain.db import Base, make_engine, scratch_database

PG_URL_VAR = "QBO_AGENT_TEST_PG_URL"


def _try_start_postgres() -> None:
    """Best effort: start the machine's cluster if it is installed but down."""
    clusters = Path("/etc/postgresql")
    if not clusters.is_dir():
        return
    for version in sorted(p.name for p in clusters.iterdir()):
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
            check=False,
            capture_output=True,
            timeout=60,
        )


def _pg_reachable(url: str) -> bool:
    probe = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with probe.connect() as conn:
            conn.execute(text("select 1"))
        return True
    except Exception:
        return False
    finally:
        probe.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database on the configured PostgreSQL server, dropped after the run."""
    base = os.environ.get(PG_URL_VAR)
    if not base:
        pytest.skip(f"PostgreSQL tests skipped: {PG_URL_VAR} is not set")
    if not _pg_reachable(base):
        _try_start_postgres()
        if not _pg_reachable(base):
            pytest.skip(f"PostgreSQL tests skipped: no server answers at {make_url(base).host}")
    with scratch_database(base, "qbo_agent_test") as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'qbo_agent.sqlite'}"


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """One engine per backend with the schema created; parametrised so service tests run on both."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    eng = make_engine(url)
    Base.metadata.create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture()
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test: no rows leak between tests."""
    with engine.connect() as conn:
        outer = conn.begin()
        db = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield db
        finally:
            db.close()
            outer.rollback()


@pytest.fixture()
def committing_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """For tests that need real commits (concurrency, restarts); they clean up their own tenant."""
    return sessionmaker(engine, expire_on_commit=False)
