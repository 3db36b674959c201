"""A live server on loopback per backend (SQLite file and PostgreSQL) for the race tests."""

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
from tests.api.conftest import TenantKeys, make_settings, seed_tenant
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
    settings = make_settings(base_url="http://127.0.0.1")
    keys = seed_tenant(race_engine, "Northwind Plumbing", settings)
    app = create_app(settings, engine=race_engine, agent_factory=_no_agent)
    with serve(app) as base:
        yield Live(base=base, keys=keys, engine=race_engine)
    with Session(race_engine) as session:
        report = verify_chain(session, keys.tenant_id)
    assert report.ok, report
