"""Each process's QBO clients draw from the database's per-realm budget: two processes' services on one
database count each other's requests."""

from __future__ import annotations

import httpx
from sqlalchemy import Engine, func, select

from api.qbo_wiring import build_qbo
from api.settings import Settings
from domain.db import make_sessionmaker
from domain.models import QboRateSlot
from integrations.quickbooks.api.shared_limiter import SharedRealmLimiter

REALM = "4620816365"


async def test_clients_of_two_processes_share_one_budget(api_engine: Engine, settings: Settings) -> None:
    sessions = make_sessionmaker(api_engine)
    async with httpx.AsyncClient() as http:
        # Two builds stand for two processes (an API worker and a sync worker, say): no memory in common.
        api_worker, sync_worker = build_qbo(settings, http, sessions), build_qbo(settings, http, sessions)
        first = api_worker.client_for_realm("tenant-a", REALM).limiter
        second = sync_worker.client_for_realm("tenant-a", REALM).limiter
        assert isinstance(first, SharedRealmLimiter) and first is not second
        assert api_worker.client_for_realm("tenant-b", REALM).limiter is first
        assert second is not None
        async with first.slot(), second.slot():
            with sessions() as session:
                in_flight = session.scalar(select(func.count()).where(QboRateSlot.done_at.is_(None)))
            assert in_flight == 2  # each process sees the other's request in flight
        await first.flush()
        await second.flush()
    with sessions() as session:
        answered = session.scalar(
            select(func.count(QboRateSlot.done_at)).where(QboRateSlot.realm_id == REALM)
        )
    assert answered == 2
    assert (first.stats.admitted, second.stats.max_in_flight) == (1, 2)
