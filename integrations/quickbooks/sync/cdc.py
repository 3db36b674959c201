"""The safety net under webhooks: Change Data Capture polled on an interval queues a pull for every change.

A poll is itself a queued job (entity ``cdc``), so several workers never poll one company twice at once and
"sync now" is just an early poll. The cursor is the newest ``LastUpdatedTime`` seen, kept on the poll's run
row; QBO looks back at most 30 days.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from dateutil import parser as dateparser
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.models.connection import ConnectionStatus, QboConnection
from domain.models.sync import SyncRun
from domain.services.outbox import enqueue_pull
from domain.services.sync_log import as_aware, finish_run, get_state, start_run
from integrations.quickbooks.api.client import QboClient
from integrations.quickbooks.entity_specs import SPECS
from integrations.quickbooks.sync.entities import find_local

CDC_JOB_ENTITY = "cdc"
CDC_ENTITIES = ("Customer", "Item", "Estimate", "Invoice", "Payment", "Vendor", "Bill", "Account", "Term")
CDC_MAX_OBJECTS = 1000  # QBO's cap on one CDC answer
MAX_LOOKBACK = timedelta(days=29)
FIRST_LOOKBACK = timedelta(days=1)


def enqueue_poll(session: Session, tenant_id: str, *, trigger: str = "scheduled") -> None:
    enqueue_pull(session, tenant_id, CDC_JOB_ENTITY, tenant_id, {"trigger": trigger}, "poll")


def connected_tenants(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(QboConnection.tenant_id).where(QboConnection.status == ConnectionStatus.CONNECTED)
        )
    )


def cursor(session: Session, tenant_id: str, now: datetime) -> datetime:
    last = session.scalars(
        select(SyncRun)
        .where(SyncRun.tenant_id == tenant_id, SyncRun.kind == "cdc", SyncRun.status == "completed")
        .order_by(SyncRun.started_at.desc())
        .limit(1)
    ).first()
    value = (last.progress or {}).get("cursor") if last else None
    since = as_aware(dateparser.isoparse(value)) if value else None
    floor = now - MAX_LOOKBACK
    return max(since, floor) if since else now - FIRST_LOOKBACK


def _time(row: dict[str, Any]) -> datetime | None:
    value = (row.get("MetaData") or {}).get("LastUpdatedTime")
    return as_aware(dateparser.isoparse(str(value))) if value else None


def queue_changes(
    session: Session, tenant_id: str, changes: dict[str, list[dict[str, Any]]], since: datetime, trigger: str
) -> SyncRun:
    """Queue a pull per change not already held here; record the run with the new cursor."""
    run = start_run(session, tenant_id, "cdc", trigger)
    newest = since
    queued = 0
    for qbo_name, rows in changes.items():
        spec = next((s for s in SPECS.values() if s.qbo == qbo_name), None)
        if spec is None:
            continue
        for row in rows:
            stamp = _time(row)
            if stamp and stamp > newest:
                newest = stamp
            qbo_id = str(row.get("Id"))
            run.processed += 1
            if row.get("status") != "Deleted":
                local = find_local(session, tenant_id, spec.name, qbo_id)
                state = get_state(session, tenant_id, spec.name, local.id) if local is not None else None  # type: ignore[attr-defined]
                if state is not None and state.remote_sync_token == str(row.get("SyncToken")):
                    continue  # already have this version (usually our own push)
            enqueue_pull(session, tenant_id, spec.name, qbo_id)
            queued += 1
    run.succeeded = queued
    run.progress = {"cursor": newest.isoformat(), "since": since.isoformat(), "queued": queued}
    finish_run(session, run)
    return run


async def poll(client: QboClient, since: datetime) -> dict[str, list[dict[str, Any]]]:
    return await client.cdc(list(CDC_ENTITIES), since)


__all__ = [
    "CDC_ENTITIES",
    "CDC_JOB_ENTITY",
    "CDC_MAX_OBJECTS",
    "connected_tenants",
    "cursor",
    "enqueue_poll",
    "poll",
    "queue_changes",
]
