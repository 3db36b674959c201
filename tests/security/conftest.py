"""Per-backend fixtures (SQLite file and PostgreSQL): the tests/api fixtures, and a live server on loopback for the
race tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.app import create_app
from domain.db import Base, make_engine
from domain.services.audit import verify_chain
from tests.api.conftest import TenantKeys, app, client, make_settings, seed_tenant, settings, tenant  # noqa: F401 - shared fixtures
from tests.api.live import serve


@dataclass(frozen=True)
class Live:
    base: str
    keys: TenantKeys
    engine: Engine


async def _no_agent(_state: object) -> None:
    return None


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def race_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = (
        f"sqlite:///{tmp_path / 'race.sqlite'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture()
def live(race_engine: Engine) -> Iterator[Live]:
    """uvicorn on 127.0.0.1 over the backend's database; the tenant's audit chain must verify afterwards."""
    live_settings = make_settings(base_url="http://127.0.0.1")
    keys = seed_tenant(race_engine, "Northwind Plumbing", live_settings)
    live_app = create_app(live_settings, engine=race_engine, agent_factory=_no_agent)
    with serve(live_app) as base:
        yield Live(base=base, keys=keys, engine=race_engine)
    with Session(race_engine) as session:
        report = verify_chain(session, keys.tenant_id)
    assert report.ok, report


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def api_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The tests/api fixtures' database, on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'api.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    Base.metadata.drop_all(engine)  # PostgreSQL: the run's database is shared by the tests of this folder
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()
