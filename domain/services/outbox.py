"""Enqueue a push to QuickBooks in the same transaction as the domain change that needs it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.db import utcnow
from domain.models.sync import SyncJob, SyncJobStatus


def enqueue_sync(
    session: Session,
    tenant_id: str,
    entity: str,
    entity_id: str,
    operation: str = "upsert",
    payload: dict[str, Any] | None = None,
) -> SyncJob:
    """Add a pending job; a still-pending job for the same record and operation is reused, not duplicated."""
    existing = session.scalars(
        select(SyncJob).where(
            SyncJob.tenant_id == tenant_id,
            SyncJob.entity == entity,
            SyncJob.entity_id == entity_id,
            SyncJob.operation == operation,
            SyncJob.status == SyncJobStatus.PENDING,
        )
    ).first()
    if existing is not None:
        existing.next_attempt_at = utcnow()
        if payload is not None:
            existing.payload = payload
        return existing
    job = SyncJob(
        tenant_id=tenant_id, entity=entity, entity_id=entity_id, operation=operation, payload=payload
    )
    session.add(job)
    session.flush()
    return job
