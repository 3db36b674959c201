"""Recording what a push did, in the same transaction that marks its job done: QBO id and SyncToken on the
record, the agreed base, the history row, audit rows for overwritten values, conflicts and dead letters."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from domain.context import Actor
from domain.db import SyncStatus, utcnow
from domain.models.sync import SyncJob, SyncJobStatus
from domain.services.audit import record_audit
from domain.services.outbox import enqueue_sync
from domain.services.sync_checksums import local_key_fields
from domain.services.sync_log import get_state, open_conflict, raise_alert, record_history, save_state
from domain.services.sync_policy import SyncPolicy
from integrations.quickbooks.entity_specs import SPECS
from integrations.quickbooks.sync.claim import still_ours
from integrations.quickbooks.sync.entities import (
    apply_remote,
    find_local,
    last_updated,
    pull_affected_invoices,
    remote_key_fields,
    to_qbo,
)
from integrations.quickbooks.sync.failures import Failure, NameCollision
from integrations.quickbooks.sync.push import Outcome, Prepared, mark_pushed, payload_checksum

# A job waiting for another record gives up after this many looks; one held for a mapping waits for it.
MAX_DEPENDENCY_WAITS = 200
HELD = timedelta(days=3650)


def sync_actor(tenant_id: str) -> Actor:
    return Actor.system(tenant_id, "QuickBooks sync")


def finish(job: SyncJob, status: SyncJobStatus = SyncJobStatus.DONE) -> None:
    job.status = status
    job.finished_at = utcnow()
    job.last_error = None if status is SyncJobStatus.DONE else job.last_error
    job.error_kind = None if status is SyncJobStatus.DONE else job.error_kind
    job.locked_by = None


def settle_push(
    session: Session, claim: str | None, prep: Prepared, outcome: Outcome, *, commit: bool = True
) -> bool:
    """Commit the result of one push under the claim ``claim``; False when the job was claimed again meanwhile.

    ``commit=False`` leaves the commit to the caller (a batch settles its items inside one transaction).
    """
    job = still_ours(session, prep.job_id, claim)
    if job is None:
        if commit:
            session.rollback()
        return False
    tid = prep.tenant_id
    if outcome.action == "skip":
        record_history(
            session,
            tid,
            entity=prep.entity,
            entity_id=prep.local_id,
            qbo_id=prep.qbo_id,
            direction="push",
            action=prep.operation,
            status="skipped",
            message=outcome.message,
            job_id=job.id,
        )
        finish(job)
        _end(session, commit)
        return True
    spec = SPECS[prep.entity]
    row: Any = session.get(spec.model, prep.local_id, with_for_update=_pg(session))
    remote = outcome.remote or {}
    actor = sync_actor(tid)
    if outcome.action == "conflict":
        state = get_state(session, tid, prep.entity, prep.local_id)
        remote_fields = {"deleted": True} if remote.get("deleted") else remote_key_fields(prep.entity, remote)
        conflict = open_conflict(
            session,
            tid,
            entity=prep.entity,
            entity_id=prep.local_id,
            qbo_id=prep.qbo_id,
            strategy=prep.strategy.value,
            local=prep.local,
            remote=remote_fields,
            base=state.base_values if state else None,
            remote_sync_token=_token(remote),
            job_id=job.id,
        )
        row.sync_status = SyncStatus.CONFLICT
        record_history(
            session,
            tid,
            entity=prep.entity,
            entity_id=prep.local_id,
            qbo_id=prep.qbo_id,
            direction="push",
            action="conflict",
            status="conflict",
            message=f"conflict {conflict.id}: {outcome.message or 'both changed'}",
            job_id=job.id,
        )
        finish(job, SyncJobStatus.CONFLICT)
        _end(session, commit)
        return True
    if outcome.action == "twin":
        _adopt(session, job, prep, row, remote)
        _end(session, commit)
        return True
    if outcome.action == "pull":
        before = local_key_fields(row)
        row = apply_remote(session, tid, prep.entity, remote)
        record_audit(
            session,
            actor,
            "sync.local_overwritten",
            prep.entity,
            prep.local_id,
            before=before,
            after=remote_key_fields(prep.entity, remote),
            note=f"{prep.strategy.value}: QuickBooks' newer version replaced ours",
        )
        action = "pull"
    else:
        if outcome.action == "delete":
            row.qbo_id, row.sync_token, row.sync_status = None, None, SyncStatus.SYNCED
        else:
            mark_pushed(row, remote)
        if outcome.overwrote_remote is not None:
            record_audit(
                session,
                actor,
                "sync.qbo_overwritten",
                prep.entity,
                prep.local_id,
                before=outcome.overwrote_remote,
                after=prep.local,
                note=f"{prep.strategy.value}: our version replaced QuickBooks' changes",
            )
        action = outcome.action
        pull_affected_invoices(session, tid, row)
    local_now = local_key_fields(row) if outcome.action in ("pull", "send", "void") else prep.local
    pushed = prep.payload_checksum
    if outcome.action == "pull":
        pushed = payload_checksum(to_qbo(session, tid, prep.entity, row))
    if outcome.action != "delete":
        save_state(
            session,
            tid,
            prep.entity,
            prep.local_id,
            qbo_id=row.qbo_id,
            local=local_now,
            remote=remote_key_fields(prep.entity, remote),
            remote_sync_token=_token(remote),
            remote_updated_at=last_updated(remote),
            payload_checksum=pushed if action != "send" else None,
        )
    record_history(
        session,
        tid,
        entity=prep.entity,
        entity_id=prep.local_id,
        qbo_id=row.qbo_id,
        direction="push",
        action=action,
        status="synced",
        job_id=job.id,
    )
    finish(job)
    _end(session, commit)
    return True


def _adopt(session: Session, job: SyncJob, prep: Prepared, row: Any, twin: dict[str, Any]) -> None:
    """Link the record QBO already holds under our name or number, unless it is another record's twin."""
    spec = SPECS[prep.entity]
    twin_id = str(twin["Id"])
    holder = find_local(session, prep.tenant_id, prep.entity, twin_id)
    if holder is not None and holder.id != prep.local_id:  # type: ignore[attr-defined]
        field = spec.natural_key[1] if spec.natural_key else "name"
        raise NameCollision(
            f"QuickBooks already has {spec.qbo} {twin_id} with the {field} '{twin.get(field)}', and it belongs to "
            f"a different {prep.entity} here (id {holder.id}). Rename one of the two, then retry this job",  # type: ignore[attr-defined]
            entity=prep.entity,
            local_id=prep.local_id,
            qbo_id=twin_id,
        )
    mark_pushed(row, twin)
    record_history(
        session,
        prep.tenant_id,
        entity=prep.entity,
        entity_id=prep.local_id,
        qbo_id=twin_id,
        direction="push",
        action="adopt",
        status="synced",
        message="linked to the record QuickBooks already had; our version follows as an update",
        job_id=job.id,
    )
    finish(job)
    enqueue_sync(session, prep.tenant_id, prep.entity, prep.local_id)


def settle_failure(
    session: Session,
    claim: str | None,
    job_id: str,
    failure: Failure,
    policy: SyncPolicy,
    now: datetime,
    *,
    dependency_delay: timedelta = timedelta(seconds=5),
) -> SyncJobStatus | None:
    """Schedule a retry, or dead-letter the job with an alert; returns the job's new status."""
    job = still_ours(session, job_id, claim)
    if job is None:
        session.rollback()
        return None
    job.last_error = failure.message
    job.error_kind = failure.kind
    job.locked_by = None
    payload = dict(job.payload or {})
    if failure.kind == "dependency":
        # Waiting for a related record is not a failed attempt: it does not use up the retry budget.
        waits = int(payload.get("waits", 0)) + 1
        job.payload = {**payload, "waits": waits}
        job.attempts = max(0, job.attempts - 1)
        if waits <= MAX_DEPENDENCY_WAITS:
            job.status = SyncJobStatus.FAILED
            job.next_attempt_at = now + dependency_delay
            session.commit()
            return job.status
        failure = Failure(
            "dependency", False, f"{failure.message}; it never arrived: check that record's error"
        )
        job.last_error = failure.message
    if failure.kind == "unmapped":
        # Not an error to retry: the job waits in the review queue until a mapping releases it.
        job.status = SyncJobStatus.FAILED
        job.attempts = max(0, job.attempts - 1)
        job.next_attempt_at = now + HELD
    elif failure.transient and not policy.retry.exhausted(job.attempts):
        job.status = SyncJobStatus.FAILED
        job.next_attempt_at = now + policy.retry.delay(job.attempts)
    else:
        job.status = SyncJobStatus.DEAD
        job.finished_at = now
        why = "failed every retry" if failure.transient else "cannot succeed as it is"
        raise_alert(
            session,
            job.tenant_id,
            "dead_letter",
            f"Sync of {job.entity} {job.entity_id} ({job.operation}) {why}: {failure.message}",
            job.id,
        )
        _mark_record_error(session, job)
    record_history(
        session,
        job.tenant_id,
        entity=job.entity,
        entity_id=job.entity_id,
        direction=job.direction.value,
        action=job.operation,
        status="error",
        message=failure.message,
        job_id=job.id,
    )
    session.commit()
    return job.status


def _mark_record_error(session: Session, job: SyncJob) -> None:
    spec = SPECS.get(job.entity)
    if spec is None or job.direction.value != "push":
        return
    row: Any = session.get(spec.model, job.entity_id)
    if row is not None and hasattr(row, "sync_status"):
        row.sync_status = SyncStatus.ERROR


def _end(session: Session, commit: bool) -> None:
    if commit:
        session.commit()
    else:
        session.flush()


def _token(remote: dict[str, Any]) -> str | None:
    value = remote.get("SyncToken")
    return str(value) if value is not None else None


def _pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


__all__ = ["HELD", "finish", "settle_failure", "settle_push", "sync_actor"]
