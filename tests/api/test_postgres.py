"""The core API tests again on a real PostgreSQL (skipped visibly when no server is reachable)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from domain.db import Base, make_engine
from tests.api.test_chat import (  # noqa: F401 - collected again here, on PostgreSQL
    test_concurrent_decisions_have_one_winner,
    test_other_tenant_cannot_see_or_decide,
    test_proposal_waits_then_approval_executes,
)
from tests.api.test_documents import (  # noqa: F401
    test_estimate_lifecycle_through_public_link,
    test_idempotency_key_replays_and_detects_changes,
    test_lists_are_tenant_scoped_and_paginate,
    test_other_tenants_ids_are_404,
)

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def _pg_engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture()
def api_engine(_pg_engine: Engine) -> Engine:
    return _pg_engine
