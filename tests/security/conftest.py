"""The API fixtures of tests/api, on SQLite and on PostgreSQL (each test here runs on both)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from domain.db import Base, make_engine
from tests.api.conftest import app, client, settings, tenant  # noqa: F401 - shared fixtures


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def api_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'api.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    Base.metadata.drop_all(engine)  # PostgreSQL: the run's database is shared by the tests of this folder
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()
