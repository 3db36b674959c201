"""What people do with the sync: see its health, retry or dismiss failures, resolve conflicts, read alerts.

Changes need MANAGE_INTEGRATION; reading needs READ_BOOKS (checked here as well as at the API).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from domain.context import Actor
from domain.db import SyncStatus, utcnow
from domain.errors import InvalidTransition, NotFound, ValidationFailed
from domain.models.connection import ConnectionStatus, QboConnection
from domain.models.sync import (
    ConflictStatus,
    MappingReview,
    SyncAlert,
    SyncConflict,
    SyncJob,
    SyncJobStatus,
    SyncRecord,
    SyncRun,
)
from domain.permissions import Permission, require
from domain.services.audit import record_audit
from domain.services.outbox import enqueue_pull, enqueue_sync
from domain.services.sync_log import as_aware

ERROR_STATUSES = (SyncJobStatus.FAILED, SyncJobStatus.DEAD)
# A sync is stale when nothing succeeded for this long although work is waiting.
STALE_AFTER = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class SyncHealth:
    health: str  # green | yellow | red
    reasons: list[str]
    last_sync_at: datetime | None
    pending: int
    retrying: int
    dead: int
    open_conflicts: int
    open_reviews: int
    connection_status: str | None
    refresh_token_days_left: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "health": self.health,
            "reasons": self.reasons,
            "last_sync_at": self.last_sync_at.isoformat() if self.last_sync_at else None,
            "pending": self.pending,
            "retrying": self.retrying,
            "dead": self.dead,
            "open_conflicts": self.open_conflicts,
            "open_reviews": self.open_reviews,
            "connection_status": self.connection_status,
            "refresh_token_days_left": self.refresh_token_days_left,
        }


def _count(session: Session, query: Any) -> int:
    return int(session.scalar(query) or 0)


def sync_health(session: Session, actor: Actor, *, now: datetime | None = None) -> SyncHealth:
    """Green: all well. Yellow: retries, conflicts or unmapped codes waiting. Red: dead jobs, a connection
    that needs a new consent, or a stale sync."""
    require(actor, Permission.READ_BOOKS)
    now = now or utcnow()
    tid = actor.tenant_id

    def jobs(*statuses: SyncJobStatus) -> int:
        return _count(
            session, select(func.count()).where(SyncJob.tenant_id == tid, SyncJob.status.in_(statuses))
        )

    pending = jobs(SyncJobStatus.PENDING, SyncJobStatus.RUNNING)
    retrying = _count(
        session,
        select(func.count()).where(
            SyncJob.tenant_id == tid,
            SyncJob.status == SyncJobStatus.FAILED,
            # Held for an account mapping: counted with the review queue, not as a failure.
            or_(SyncJob.error_kind.is_(None), SyncJob.error_kind != "unmapped"),
        ),
    )
    dead = jobs(SyncJobStatus.DEAD)
    conflicts = _count(
        session,
        select(func.count()).where(SyncConflict.tenant_id == tid, SyncConflict.status == ConflictStatus.OPEN),
    )
    reviews = _count(
        session, select(func.count()).where(MappingReview.tenant_id == tid, MappingReview.status == "open")
    )
    last_sync = as_aware(
        session.scalar(
            select(func.max(SyncRecord.at)).where(SyncRecord.tenant_id == tid, SyncRecord.status == "synced")
        )
    )
    connection = session.scalars(select(QboConnection).where(QboConnection.tenant_id == tid)).first()
    days_left: int | None = None
    conn_status: str | None = None
    if connection is not None:
        conn_status = ConnectionStatus(connection.status).value
        ends = [as_aware(d) for d in (connection.refresh_expires_at, connection.refresh_hard_expires_at) if d]
        if ends and connection.status == ConnectionStatus.CONNECTED:
            days_left = max(0, (min(e for e in ends if e is not None) - now).days)
    red: list[str] = []
    yellow: list[str] = []
    if dead:
        red.append(f"{dead} change(s) failed every retry")
    if connection is not None and connection.status != ConnectionStatus.CONNECTED:
        red.append("QuickBooks connection needs to be re-authorised")
    oldest_due = as_aware(
        session.scalar(
            select(func.min(SyncJob.next_attempt_at)).where(
                SyncJob.tenant_id == tid, SyncJob.status == SyncJobStatus.PENDING
            )
        )
    )
    if oldest_due is not None and now - oldest_due > STALE_AFTER:
        red.append("sync is stale: changes have waited over an hour")
    if retrying:
        yellow.append(f"{retrying} change(s) waiting to be retried")
    if conflicts:
        yellow.append(f"{conflicts} conflict(s) to review")
    if reviews:
        yellow.append(f"{reviews} record(s) held for unmapped accounts")
    if days_left is not None and days_left < 14:
        yellow.append(f"QuickBooks consent expires in {days_left} day(s)")
    health = "red" if red else "yellow" if yellow else "green"
    return SyncHealth(
        health=health,
        reasons=red + yellow,
        last_sync_at=last_sync,
        pending=pending,
        retrying=retrying,
        dead=dead,
        open_conflicts=conflicts,
        open_reviews=reviews,
        connection_status=conn_status,
        refresh_token_days_left=days_left,
    )


def push_now(session: Session, actor: Actor, models: Mapping[str, Any]) -> int:
    """Send the waiting pushes now and queue each never-synced record of ``models`` (entity -> model); how many."""
    require(actor, Permission.MANAGE_INTEGRATION)
    queued: int = session.execute(
        update(SyncJob)
        .where(
            SyncJob.tenant_id == actor.tenant_id,
            SyncJob.direction == "push",
            SyncJob.status.in_((SyncJobStatus.PENDING, SyncJobStatus.FAILED)),
            SyncJob.error_kind.is_distinct_from("unmapped"),
        )
        .values(next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    for entity, model in models.items():
        never = select(model.id).where(
            model.tenant_id == actor.tenant_id, model.qbo_id.is_(None), model.sync_status == SyncStatus.NEVER
        )
        for local_id in session.scalars(never.limit(5000)):
            enqueue_sync(session, actor.tenant_id, entity, local_id)
            queued += 1
    return queued


def list_errors(
    session: Session, actor: Actor, *, limit: int = 100, entity: str | None = None
) -> list[SyncJob]:
    require(actor, Permission.READ_BOOKS)
    query = select(SyncJob).where(SyncJob.tenant_id == actor.tenant_id, SyncJob.status.in_(ERROR_STATUSES))
    if entity:
        query = query.where(SyncJob.entity == entity)
    return list(session.scalars(query.order_by(SyncJob.updated_at.desc()).limit(min(max(limit, 1), 1000))))


def list_runs(session: Session, actor: Actor, *, limit: int = 50, offset: int = 0) -> list[SyncRun]:
    require(actor, Permission.READ_BOOKS)
    query = select(SyncRun).where(SyncRun.tenant_id == actor.tenant_id).order_by(SyncRun.started_at.desc())
    return list(session.scalars(query.offset(max(offset, 0)).limit(min(max(limit, 1), 500))))


def record_history_of(
    session: Session, actor: Actor, entity: str, entity_id: str, *, limit: int = 100
) -> list[SyncRecord]:
    require(actor, Permission.READ_BOOKS)
    query = select(SyncRecord).where(
        SyncRecord.tenant_id == actor.tenant_id,
        SyncRecord.entity == entity,
        SyncRecord.entity_id == entity_id,
    )
    return list(session.scalars(query.order_by(SyncRecord.at.desc()).limit(min(max(limit, 1), 1000))))


def _job(session: Session, actor: Actor, job_id: str) -> SyncJob:
    job = session.scalars(
        select(SyncJob).where(SyncJob.id == job_id, SyncJob.tenant_id == actor.tenant_id).with_for_update()
    ).first()
    if job is None:
        raise NotFound("SyncJob", job_id)
    return job


def retry_job(session: Session, actor: Actor, job_id: str) -> SyncJob:
    """Put a failed, dead or dismissed job back in the queue with a fresh retry budget."""
    require(actor, Permission.MANAGE_INTEGRATION)
    job = _job(session, actor, job_id)
    if job.status not in (*ERROR_STATUSES, SyncJobStatus.DISMISSED):
        raise InvalidTransition(
            "SyncJob", job.id, job.status.value, "pending", "only failed jobs are retried"
        )
    job.status = SyncJobStatus.PENDING
    job.attempts = 0
    job.next_attempt_at = utcnow()
    job.locked_by = None
    _acknowledge_alerts(session, actor.tenant_id, job.id)
    record_audit(session, actor, "sync.job.retried", "sync_job", job.id, detail={"entity": job.entity})
    session.flush()
    return job


def retry_all(session: Session, actor: Actor) -> int:
    require(actor, Permission.MANAGE_INTEGRATION)
    ids = list(
        session.scalars(
            select(SyncJob.id).where(SyncJob.tenant_id == actor.tenant_id, SyncJob.status.in_(ERROR_STATUSES))
        )
    )
    for job_id in ids:
        retry_job(session, actor, job_id)
    return len(ids)


def dismiss_job(session: Session, actor: Actor, job_id: str) -> SyncJob:
    require(actor, Permission.MANAGE_INTEGRATION)
    job = _job(session, actor, job_id)
    if job.status not in ERROR_STATUSES:
        raise InvalidTransition(
            "SyncJob", job.id, job.status.value, "dismissed", "only failed jobs are dismissed"
        )
    job.status = SyncJobStatus.DISMISSED
    job.finished_at = utcnow()
    _acknowledge_alerts(session, actor.tenant_id, job.id)
    record_audit(session, actor, "sync.job.dismissed", "sync_job", job.id, detail={"error": job.last_error})
    session.flush()
    return job


def _acknowledge_alerts(session: Session, tenant_id: str, job_id: str) -> None:
    for alert in session.scalars(
        select(SyncAlert).where(
            SyncAlert.tenant_id == tenant_id, SyncAlert.job_id == job_id, SyncAlert.acknowledged_at.is_(None)
        )
    ):
        alert.acknowledged_at = utcnow()


def list_alerts(session: Session, actor: Actor) -> list[SyncAlert]:
    require(actor, Permission.READ_BOOKS)
    query = select(SyncAlert).where(
        SyncAlert.tenant_id == actor.tenant_id, SyncAlert.acknowledged_at.is_(None)
    )
    return list(session.scalars(query.order_by(SyncAlert.created_at.desc()).limit(200)))


def list_conflicts(session: Session, actor: Actor, *, status: str = "open") -> list[SyncConflict]:
    require(actor, Permission.READ_BOOKS)
    query = select(SyncConflict).where(
        SyncConflict.tenant_id == actor.tenant_id, SyncConflict.status == ConflictStatus(status)
    )
    return list(session.scalars(query.order_by(SyncConflict.created_at.desc()).limit(500)))


def resolve_conflict(session: Session, actor: Actor, conflict_id: str, chosen: str) -> SyncConflict:
    """``chosen`` = ``platform`` (push ours over QBO's) or ``qbo`` (take QBO's here); the worker does it."""
    require(actor, Permission.MANAGE_INTEGRATION)
    if chosen not in ("platform", "qbo"):
        raise ValidationFailed("chosen_value must be 'platform' or 'qbo'", chosen=chosen)
    conflict = session.scalars(
        select(SyncConflict)
        .where(SyncConflict.id == conflict_id, SyncConflict.tenant_id == actor.tenant_id)
        .with_for_update()
    ).first()
    if conflict is None:
        raise NotFound("SyncConflict", conflict_id)
    if conflict.status != ConflictStatus.OPEN:
        raise InvalidTransition("SyncConflict", conflict.id, conflict.status.value, "resolved")
    conflict.status = ConflictStatus.RESOLVED
    conflict.resolution = chosen
    conflict.resolved_by = actor.label
    conflict.resolved_at = utcnow()
    if chosen == "platform":
        enqueue_sync(session, actor.tenant_id, conflict.entity, conflict.entity_id, "upsert", {"force": True})
    else:
        enqueue_pull(session, actor.tenant_id, conflict.entity, conflict.qbo_id or "", {"force": True})
    # The blocked job is finished: the resolution's own job carries the change.
    if conflict.job_id:
        job = session.get(SyncJob, conflict.job_id)
        if job is not None and job.status == SyncJobStatus.CONFLICT:
            job.status = SyncJobStatus.DONE
            job.finished_at = utcnow()
    record_audit(
        session,
        actor,
        "sync.conflict.resolved",
        conflict.entity,
        conflict.entity_id,
        before=conflict.local_values if chosen == "qbo" else conflict.remote_values,
        after=conflict.remote_values if chosen == "qbo" else conflict.local_values,
        detail={"chosen": chosen, "conflict_id": conflict.id},
    )
    session.flush()
    return conflict


__all__ = [
    "SyncHealth",
    "dismiss_job",
    "list_alerts",
    "list_conflicts",
    "list_errors",
    "list_runs",
    "record_history_of",
    "resolve_conflict",
    "retry_all",
    "retry_job",
    "sync_health",
]
