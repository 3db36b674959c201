"""The sync worker the service runs beside the API: the outbox pushed to QBO, pulls applied locally."""

from __future__ import annotations

from api.state import AppState
from integrations.quickbooks.sync.sync_context import SyncContext
from integrations.quickbooks.sync.worker import run_worker


async def run_sync_worker(state: AppState) -> None:
    """Runs until cancelled (the lifespan cancels it on shutdown)."""
    qbo = state.qbo
    await run_worker(SyncContext(sessions=state.sessionmaker, clients=qbo.client_for, clock=state.clock))
