"""Writing the sync record: runs, per-record history, the agreed base per record, conflicts and alerts.

Every function only flushes; the worker or request that calls it commits, in the same transaction as the
change it describes (a job marked done, a record updated from QBO).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.db import utcnow
from domain.models.sync import (
    ConflictStatus,
    SyncAlert,
    SyncConflict,
    SyncRecord,
    SyncRun,
    SyncState,
)
from domain.services.sync_checksums import KeyFields, checksum


def start_run(session: Session, tenant_id: str, kind: str, trigger: str = "scheduled") -> SyncRun:
    run = SyncRun(tenant_id=tenant_id, kind=kind, trigger=trigger, progress={})
    session.add(run)
    session.flush()
    return run


def finish_run(session: Session, run: SyncRun, *, error_summary: str | None = None) -> SyncRun:
    run.completed_at = utcnow()
    if run.failed and run.succeeded:
        run.status = "partial"
    elif run.failed or (error_summary and not run.succeeded):
        run.status = "failed"
    else:
        run.status = "completed"
    run.error_summary = error_summary
    session.flush()
    return run


def record_history(
    session: Session,
    tenant_id: str,
    *,
    entity: str,
    entity_id: str | None,
    direction: str,
    action: str,
    status: str,
    qbo_id: str | None = None,
    message: str | None = None,
    checksum_value: str | None = None,
    run_id: str | None = None,
    job_id: str | None = None,
) -> SyncRecord:
    row = SyncRecord(
        tenant_id=tenant_id,
        entity=entity,
        entity_id=entity_id,
        qbo_id=qbo_id,
        direction=direction,
        action=action,
        status=status,
        message=message,
        checksum=checksum_value,
        run_id=run_id,
        job_id=job_id,
    )
    session.add(row)
    return row


def get_state(session: Session, tenant_id: str, entity: str, entity_id: str) -> SyncState | None:
    return session.scalars(
        select(SyncState).where(
            SyncState.tenant_id == tenant_id, SyncState.entity == entity, SyncState.entity_id == entity_id
        )
    ).first()


def save_state(
    session: Session,
    tenant_id: str,
    entity: str,
    entity_id: str,
    *,
    qbo_id: str | None,
    local: KeyFields,
    remote: KeyFields,
    remote_sync_token: str | None,
    remote_updated_at: str | None,
    payload_checksum: str | None = None,
) -> SyncState:
    """Remember what both sides looked like when they last agreed."""
    state = get_state(session, tenant_id, entity, entity_id)
    if state is None:
        state = SyncState(tenant_id=tenant_id, entity=entity, entity_id=entity_id)
        session.add(state)
    values = state_values(
        qbo_id=qbo_id,
        local=local,
        remote=remote,
        remote_sync_token=remote_sync_token,
        remote_updated_at=remote_updated_at,
        payload_checksum=payload_checksum,
    )
    for name, value in values.items():
        setattr(state, name, value)
    state.synced_at = utcnow()
    return state


def state_values(
    *,
    qbo_id: str | None,
    local: KeyFields,
    remote: KeyFields,
    remote_sync_token: str | None,
    remote_updated_at: str | None,
    payload_checksum: str | None,
) -> dict[str, Any]:
    """The SyncState columns ``save_state`` writes (for bulk writers); no payload checksum keeps the stored one."""
    values: dict[str, Any] = {
        "qbo_id": qbo_id,
        "base_values": local,
        "base_checksum": checksum(local),
        "remote_values": remote,
        "remote_checksum": checksum(remote),
        "remote_sync_token": remote_sync_token,
        "remote_updated_at": remote_updated_at,
    }
    if payload_checksum is not None:
        values["payload_checksum"] = payload_checksum
    return values


def open_conflict(
    session: Session,
    tenant_id: str,
    *,
    entity: str,
    entity_id: str,
    qbo_id: str | None,
    strategy: str,
    local: KeyFields,
    remote: KeyFields,
    base: KeyFields | None,
    remote_sync_token: str | None,
    job_id: str | None,
) -> SyncConflict:
    """One open conflict per record: a newer clash replaces the values of the one still open."""
    row = session.scalars(
        select(SyncConflict).where(
            SyncConflict.tenant_id == tenant_id,
            SyncConflict.entity == entity,
            SyncConflict.entity_id == entity_id,
            SyncConflict.status == ConflictStatus.OPEN,
        )
    ).first()
    if row is None:
        row = SyncConflict(tenant_id=tenant_id, entity=entity, entity_id=entity_id, strategy=strategy)
        session.add(row)
    row.qbo_id = qbo_id
    row.local_values = local
    row.remote_values = remote
    row.base_values = base
    row.local_checksum = checksum(local)
    row.remote_checksum = checksum(remote)
    row.remote_sync_token = remote_sync_token
    row.job_id = job_id
    session.flush()
    return row


def raise_alert(
    session: Session, tenant_id: str, kind: str, message: str, job_id: str | None = None
) -> SyncAlert:
    alert = SyncAlert(tenant_id=tenant_id, kind=kind, message=message, job_id=job_id)
    session.add(alert)
    return alert


def bump_progress(run: SyncRun, entity: str, *, done: int = 0, total: int | None = None) -> dict[str, Any]:
    """Per-entity progress on an import run (a new dict so the JSON column notices the change)."""
    progress = {k: dict(v) for k, v in (run.progress or {}).items()}
    entry = progress.setdefault(entity, {"done": 0, "total": None})
    entry["done"] = int(entry.get("done") or 0) + done
    if total is not None:
        entry["total"] = total
    run.progress = progress
    return entry


def as_aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything stored is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


__all__ = [
    "as_aware",
    "bump_progress",
    "finish_run",
    "get_state",
    "open_conflict",
    "raise_alert",
    "record_history",
    "save_state",
    "start_run",
    "state_values",
]
