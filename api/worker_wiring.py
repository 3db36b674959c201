"""The sync worker the service runs beside the API: the outbox pushed to QBO, pulls applied locally."""

from __future__ import annotations

from api.state import AppState
from integrations.quickbooks.sync.sync_context import REALM_LEASE, SyncContext
from integrations.quickbooks.sync.worker import run_worker


async def run_sync_worker(state: AppState) -> None:
    """Runs until cancelled (the lifespan cancels it on shutdown)."""
    qbo = state.qbo
    ctx = SyncContext(
        sessions=state.sessionmaker, clients=qbo.client_for, clock=state.clock, realm_lease=REALM_LEASE
    )
    await run_worker(ctx)
