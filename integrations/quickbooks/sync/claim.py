"""Taking due jobs off the queue so that no job is ever worked by two workers at once.

PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` picks rows no other worker is claiming, and the same
transaction marks them running. SQLite has no row locks: the candidates are claimed by one UPDATE whose WHERE
re-checks that each is still claimable (SQLite runs one writer at a time), and the claim is read back by the
claim's token, so of two racing workers exactly one holds each job.

Each claim carries a fresh token; only the holder of the token may renew or settle the job (``still_ours``).
A worker renews the claims it is still working (``renew_claims``), so a job that runs longer than the lease is
not taken over; one whose worker stops renewing is, and the late finisher's token no longer matches.

At most one job per record is claimed at a time, and a record that already has a running job is skipped:
the pushes of one record stay in order and never race each other.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Exists, and_, or_, select, update
from sqlalchemy.orm import Session, aliased

from domain.models.sync import SyncDirection, SyncJob, SyncJobStatus

_WAITING = (SyncJobStatus.PENDING, SyncJobStatus.FAILED)


def _claimable(now: datetime, lease: timedelta) -> ColumnElement[bool]:
    stale = now - lease
    return or_(
        and_(SyncJob.status.in_(_WAITING), SyncJob.next_attempt_at <= now),
        # A running job whose worker died (killed, crashed) comes back once its lease has run out.
        and_(SyncJob.status == SyncJobStatus.RUNNING, SyncJob.locked_at < stale),
    )


def _busy_record(now: datetime, lease: timedelta) -> Exists:
    other = aliased(SyncJob)
    return (
        select(other.id)
        .where(
            other.tenant_id == SyncJob.tenant_id,
            other.entity == SyncJob.entity,
            other.entity_id == SyncJob.entity_id,
            other.direction == SyncJob.direction,
            other.status == SyncJobStatus.RUNNING,
            other.locked_at >= now - lease,
            other.id != SyncJob.id,
        )
        .exists()
    )


def claim_jobs(
    session: Session,
    worker_id: str,
    *,
    now: datetime,
    lease: timedelta,
    limit: int,
    tenant_ids: Collection[str] | None = None,
) -> list[SyncJob]:
    """Claim up to ``limit`` due jobs for ``worker_id`` and commit the claim; returns them, detached-safe.

    ``tenant_ids`` restricts the claim to those tenants' jobs (None: any tenant's). The jobs of one claim share
    its token (``SyncJob.claim_token``): with the job's id it names this claim and no other.
    """
    token = uuid.uuid4().hex
    postgres = session.get_bind().dialect.name == "postgresql"
    query = (
        select(SyncJob)
        .where(_claimable(now, lease), ~_busy_record(now, lease))
        .order_by(SyncJob.next_attempt_at, SyncJob.created_at)
        .limit(limit * 3)
    )
    if tenant_ids is not None:
        query = query.where(SyncJob.tenant_id.in_(tuple(tenant_ids)))
    if postgres:
        query = query.with_for_update(skip_locked=True, of=SyncJob)
    candidates = list(session.scalars(query))
    seen: set[tuple[str, str, str, str]] = set()
    claimed: list[SyncJob] = []
    for job in candidates:
        key = (job.tenant_id, job.direction.value, job.entity, job.entity_id)
        if key in seen or len(claimed) >= limit:
            continue
        seen.add(key)
        if postgres:
            job.status = SyncJobStatus.RUNNING
            job.locked_by = worker_id
            job.locked_at = now
            job.claim_token = token
            job.attempts += 1
            claimed.append(job)
            continue
        claimed.append(job)
    if not postgres and claimed:
        # One conditional UPDATE claims every candidate still claimable; the rows it changed carry our mark.
        ids = [job.id for job in claimed]
        session.execute(
            update(SyncJob)
            .where(SyncJob.id.in_(ids), _claimable(now, lease))
            .values(
                status=SyncJobStatus.RUNNING,
                locked_by=worker_id,
                locked_at=now,
                claim_token=token,
                attempts=SyncJob.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        claimed = list(
            session.scalars(
                select(SyncJob)
                .where(SyncJob.id.in_(ids), SyncJob.claim_token == token)
                .execution_options(populate_existing=True)
            )
        )
    session.commit()
    return claimed


def due_tenants(
    session: Session, *, now: datetime, lease: timedelta, tenant_ids: Collection[str] | None = None
) -> set[str]:
    """The tenants with at least one job claimable now (read only)."""
    query = select(SyncJob.tenant_id).where(_claimable(now, lease)).distinct()
    if tenant_ids is not None:
        query = query.where(SyncJob.tenant_id.in_(tuple(tenant_ids)))
    return set(session.scalars(query))


def has_open_push(
    session: Session,
    tenant_id: str,
    entity: str,
    local_id: str,
    *,
    operation: str | None = None,
    exclude: str | None = None,
) -> bool:
    """Whether a local change of this record is still waiting to reach QBO (queued, running or retrying)."""
    query = select(SyncJob.id).where(
        SyncJob.tenant_id == tenant_id,
        SyncJob.entity == entity,
        SyncJob.entity_id == local_id,
        SyncJob.direction == SyncDirection.PUSH,
        SyncJob.status.in_((SyncJobStatus.PENDING, SyncJobStatus.RUNNING, SyncJobStatus.FAILED)),
    )
    if operation is not None:
        query = query.where(SyncJob.operation == operation)
    if exclude is not None:
        query = query.where(SyncJob.id != exclude)
    return session.scalar(query.limit(1)) is not None


def still_ours(session: Session, job_id: str, claim: str | None) -> SyncJob | None:
    """The job, locked, if the claim ``claim`` (its token) still holds it: a lease can run out and the job be
    claimed again, by another worker or by this one, and then only the newer claim may settle it."""
    if claim is None:
        return None
    query = select(SyncJob).where(SyncJob.id == job_id).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    job = session.scalars(query).first()
    if job is None or job.claim_token != claim or job.status != SyncJobStatus.RUNNING:
        return None
    return job


def renew_claims(session: Session, claims: Collection[str], now: datetime) -> int:
    """Extend the lease of every job still running under one of ``claims``; how many were renewed (committed).

    One UPDATE, fenced on the tokens: a job another claim took over meanwhile is not renewed back."""
    if not claims:
        return 0
    running = and_(SyncJob.claim_token.in_(list(claims)), SyncJob.status == SyncJobStatus.RUNNING)
    if session.get_bind().dialect.name == "postgresql":
        # A job being settled right now is locked by its settle, and about to be done: skip it rather than
        # wait for (or deadlock with) that transaction.
        running = SyncJob.id.in_(select(SyncJob.id).where(running).with_for_update(skip_locked=True))
    result = session.execute(
        update(SyncJob).where(running).values(locked_at=now).execution_options(synchronize_session=False)
    )
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def release_orphans(
    session: Session, tenant_ids: Collection[str], owner: str, lease: timedelta, now: datetime
) -> int:
    """Make the running jobs of ``tenant_ids`` that other workers hold claimable at once (committed).

    Called by a worker that just took those tenants' realm over: only a realm's lease holder talks to it, so a
    job another worker still holds there belongs to a previous owner (dead, or cut off), and waiting out its job
    lease would leave the company idle for minutes. Should that worker still finish it, its claim token no
    longer matches once the job is claimed again, so its result is dropped; QBO's requestids and the twin
    check keep the repeated push from writing twice."""
    if not tenant_ids:
        return 0
    result = session.execute(
        update(SyncJob)
        .where(
            SyncJob.tenant_id.in_(list(tenant_ids)),
            SyncJob.status == SyncJobStatus.RUNNING,
            SyncJob.locked_by != owner,
        )
        .values(locked_at=now - lease - timedelta(seconds=1))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


__all__ = [
    "claim_jobs",
    "due_tenants",
    "has_open_push",
    "release_orphans",
    "renew_claims",
    "still_ours",
]
