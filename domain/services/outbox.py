"""The sync queue: domain writes enqueue a push in the same transaction as the change that needs it; webhook
events and the CDC poller enqueue pulls. One open job per record and operation: a newer change reuses it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.db import utcnow
from domain.models.sync import SyncDirection, SyncJob, SyncJobStatus

# Waiting jobs absorb newer changes of the same record; a running job is left alone (it may be mid-push) and
# a new pending job queues behind it.
_REUSABLE = (SyncJobStatus.PENDING, SyncJobStatus.FAILED)


def _enqueue(
    session: Session,
    tenant_id: str,
    direction: SyncDirection,
    entity: str,
    entity_id: str,
    operation: str,
    payload: dict[str, Any] | None,
) -> SyncJob:
    existing = session.scalars(
        select(SyncJob).where(
            SyncJob.tenant_id == tenant_id,
            SyncJob.direction == direction,
            SyncJob.entity == entity,
            SyncJob.entity_id == entity_id,
            SyncJob.operation == operation,
            SyncJob.status.in_(_REUSABLE),
        )
    ).first()
    if existing is not None:
        now = utcnow()
        waiting_since = existing.next_attempt_at
        if waiting_since is not None and waiting_since.tzinfo is None:
            waiting_since = waiting_since.replace(tzinfo=now.tzinfo)
        # Due now, but never later than it already was: a job asked for again keeps its place in the queue.
        if existing.status == SyncJobStatus.FAILED or waiting_since is None or waiting_since > now:
            existing.next_attempt_at = now
        existing.status = SyncJobStatus.PENDING
        if payload is not None:
            existing.payload = {**(existing.payload or {}), **payload}
        return existing
    job = SyncJob(
        tenant_id=tenant_id,
        direction=direction,
        entity=entity,
        entity_id=entity_id,
        operation=operation,
        payload=payload,
    )
    session.add(job)
    session.flush()
    return job


def enqueue_sync(
    session: Session,
    tenant_id: str,
    entity: str,
    entity_id: str,
    operation: str = "upsert",
    payload: dict[str, Any] | None = None,
) -> SyncJob:
    """Queue a push of a local record (upsert, send, void, delete)."""
    return _enqueue(session, tenant_id, SyncDirection.PUSH, entity, entity_id, operation, payload)


def enqueue_pull(
    session: Session,
    tenant_id: str,
    entity: str,
    qbo_id: str,
    payload: dict[str, Any] | None = None,
    operation: str = "fetch",
) -> SyncJob:
    """Queue a fetch of a QBO entity by Id (after a webhook event, a CDC change or a conflict resolution)."""
    return _enqueue(session, tenant_id, SyncDirection.PULL, entity, qbo_id, operation, payload)


__all__ = ["enqueue_pull", "enqueue_sync"]
