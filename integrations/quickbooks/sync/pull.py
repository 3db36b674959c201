"""Pulling one QBO entity after a webhook event, a CDC change or a conflict resolution.

The entity is always fetched fresh, so events arriving twice or out of order converge on QBO's current state;
a 610 means it was deleted there. Our own pushes echo back as events: a SyncToken we already hold is a no-op.
Local changes not yet pushed are weighed against QBO's with the tenant's strategy, like a stale push.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from domain.db import SyncStatus
from domain.models.catalog import Customer
from domain.models.payments import Payment
from domain.models.sales import Estimate, Invoice
from domain.models.sync import SyncJob
from domain.services.audit import record_audit
from domain.services.outbox import enqueue_pull, enqueue_sync
from domain.services.sync_checksums import Decision, checksum, decide, local_key_fields
from domain.services.sync_log import as_aware, get_state, open_conflict, record_history, save_state
from domain.services.sync_policy import Strategy
from integrations.quickbooks.api.client import QboClient
from integrations.quickbooks.api.errors import QboNotFound
from integrations.quickbooks.entity_specs import SPECS
from integrations.quickbooks.mapping.write_off_docs import is_settlement
from integrations.quickbooks.sync.claim import has_open_push, still_ours
from integrations.quickbooks.sync.collisions import check_unique_key
from integrations.quickbooks.sync.entities import (
    apply_remote,
    apply_remote_delete,
    find_local,
    last_updated,
    pull_affected_invoices,
    remote_key_fields,
    to_qbo,
)
from integrations.quickbooks.sync.push import _remote_time, payload_checksum
from integrations.quickbooks.sync.row_fields import older
from integrations.quickbooks.sync.settle import finish, sync_actor
from integrations.quickbooks.sync.write_offs import is_our_settlement


@dataclass
class Fetched:
    job_id: str
    tenant_id: str
    entity: str
    qbo_id: str
    operation: str
    remote: dict[str, Any] | None  # None: deleted in QBO
    force: bool
    deleted_id: str | None
    waits: int = 0  # how often this pull already waited for another record


async def fetch(client: QboClient, job: SyncJob) -> Fetched:
    spec = SPECS[job.entity]
    payload = job.payload or {}
    try:
        remote: dict[str, Any] | None = await client.read(spec.qbo, job.entity_id)
    except QboNotFound:
        remote = None
    return Fetched(
        job_id=job.id,
        tenant_id=job.tenant_id,
        entity=job.entity,
        qbo_id=job.entity_id,
        operation=job.operation,
        remote=remote,
        force=bool(payload.get("force")),
        deleted_id=payload.get("deleted_id"),
        waits=int(payload.get("waits", 0)),
    )


def settle_pull(session: Session, claim: str | None, got: Fetched, strategy: Strategy) -> bool:
    """Apply one fetched entity; raises ``MappingError`` when a reference must be pulled first."""
    job = still_ours(session, got.job_id, claim)
    if job is None:
        session.rollback()
        return False
    tid, entity = got.tenant_id, got.entity
    if got.remote is None:
        gone: Any = apply_remote_delete(session, tid, entity, got.qbo_id)
        _history(session, got, gone.id if gone else None, "delete", "synced", "deleted in QuickBooks")
    else:
        action, message, row_id = _upsert(session, got, got.remote, strategy)
        _history(session, got, row_id, action, "conflict" if action == "conflict" else "synced", message)
        if got.operation == "merge" and got.deleted_id and row_id:
            _merge(session, tid, entity, got.deleted_id, row_id)
    finish(job)
    session.commit()
    return True


def _upsert(
    session: Session, got: Fetched, remote: dict[str, Any], strategy: Strategy
) -> tuple[str, str | None, str | None]:
    tid, entity = got.tenant_id, got.entity
    if entity == "payment" and is_settlement(remote):
        return _settlement(session, tid, remote)
    remote_fields = remote_key_fields(entity, remote)
    token = str(remote.get("SyncToken", "0"))
    row: Any = find_local(session, tid, entity, got.qbo_id, lock=True)
    state = get_state(session, tid, entity, row.id) if row is not None else None
    if row is not None and state is not None and state.remote_sync_token == token and not got.force:
        return "noop", "already up to date", row.id  # our own write echoing back, or a duplicate event
    if row is not None and older(token, state.remote_sync_token if state else None, row.sync_token):
        # Fetched before a newer version reached us (events and fetches overlap): never step back in time.
        return "noop", f"stale fetch (SyncToken {token})", row.id
    check_unique_key(session, tid, SPECS[entity], remote, waits=got.waits)
    if row is None:
        row = apply_remote(session, tid, entity, remote)
        _remember(session, tid, entity, row, remote, remote_fields)
        pull_affected_invoices(session, tid, row)
        return "create", None, row.id
    local = local_key_fields(row)
    if state is not None:
        local_changed = state.base_checksum != checksum(local)
        remote_changed = state.remote_checksum != checksum(remote_fields)
    else:
        local_changed = has_open_push(session, tid, entity, row.id)
        remote_changed = True
    remote_at = _remote_time(remote)
    local_at = as_aware(getattr(row, "updated_at", None))
    decision = (
        Decision.PULL
        if got.force
        else decide(
            strategy,
            local_changed=local_changed,
            remote_changed=remote_changed,
            same_values=local == remote_fields,
            local_newer=bool(local_at and remote_at and local_at > remote_at),
        )
    )
    actor = sync_actor(tid)
    if decision is Decision.PULL or (decision is Decision.NOOP and not local_changed):
        row = apply_remote(session, tid, entity, remote)
        if local_changed and local != remote_fields:
            record_audit(
                session,
                actor,
                "sync.local_overwritten",
                entity,
                row.id,
                before=local,
                after=remote_fields,
                note=f"{strategy.value}: QuickBooks' version replaced ours",
            )
        _remember(session, tid, entity, row, remote, remote_fields)
        pull_affected_invoices(session, tid, row)
        return "update", None, row.id
    # Ours stays: QBO's accounting fields still land (balances are QBO's truth), the rest waits for a push
    # or for a person.
    row = apply_remote(session, tid, entity, remote, accounting_only=True)
    row.sync_token = token
    if decision is Decision.CONFLICT:
        conflict = open_conflict(
            session,
            tid,
            entity=entity,
            entity_id=row.id,
            qbo_id=got.qbo_id,
            strategy=strategy.value,
            local=local,
            remote=remote_fields,
            base=state.base_values if state else None,
            remote_sync_token=token,
            job_id=None,
        )
        row.sync_status = SyncStatus.CONFLICT
        return "conflict", f"conflict {conflict.id}", row.id
    if state is not None:
        state.remote_checksum = checksum(remote_fields)
        state.remote_values = remote_fields
        state.remote_sync_token = token
    if decision is Decision.PUSH:
        record_audit(
            session,
            actor,
            "sync.qbo_overwritten",
            entity,
            row.id,
            before=remote_fields,
            after=local,
            note=f"{strategy.value}: our version will replace QuickBooks' changes",
        )
        enqueue_sync(session, tid, entity, row.id)
        return "kept_local", "our newer version will be pushed", row.id
    return "noop", None, row.id


def _settlement(session: Session, tid: str, remote: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """A zero payment pairing a credit memo with invoices moves no money: it is not a payment here. Ours
    settles a write-off already booked; one made in QBO changes the invoices' balances, which are pulled."""
    if is_our_settlement(session, tid, str(remote["Id"])):
        return "noop", "the settlement of one of our write-offs", None
    for line in remote.get("Line") or []:
        for link in line.get("LinkedTxn") or []:
            if link.get("TxnType") == "Invoice":
                enqueue_pull(session, tid, "invoice", str(link["TxnId"]))
    return "noop", "a credit applied in QuickBooks; the invoices it closes are pulled", None


def _remember(
    session: Session, tid: str, entity: str, row: Any, remote: dict[str, Any], fields: dict[str, Any]
) -> None:
    pushed = payload_checksum(to_qbo(session, tid, entity, row)) if SPECS[entity].pushable else None
    save_state(
        session,
        tid,
        entity,
        row.id,
        qbo_id=row.qbo_id,
        local=local_key_fields(row),
        remote=fields,
        remote_sync_token=str(remote.get("SyncToken", "0")),
        remote_updated_at=last_updated(remote),
        payload_checksum=pushed,
    )


def _merge(session: Session, tid: str, entity: str, merged_qbo_id: str, survivor_id: str) -> None:
    """QBO merged two customers: documents of the merged-away one move to the survivor, which stays."""
    gone = find_local(session, tid, entity, merged_qbo_id)
    if gone is None or gone.id == survivor_id or entity != "customer":  # type: ignore[attr-defined]
        return
    for model in (Invoice, Estimate, Payment):
        session.execute(
            update(model)
            .where(model.tenant_id == tid, model.customer_id == gone.id)  # type: ignore[attr-defined]
            .values(customer_id=survivor_id)
            .execution_options(synchronize_session=False)
        )
    assert isinstance(gone, Customer)
    gone.active = False
    gone.qbo_id = None
    gone.notes = ((gone.notes or "") + f" [merged into customer {survivor_id} in QuickBooks]").strip()
    session.flush()


def _history(
    session: Session, got: Fetched, row_id: str | None, action: str, status: str, message: str | None
) -> None:
    record_history(
        session,
        got.tenant_id,
        entity=got.entity,
        entity_id=row_id,
        qbo_id=got.qbo_id,
        direction="pull",
        action=action,
        status=status,
        message=message,
        job_id=got.job_id,
    )


__all__ = ["Fetched", "fetch", "settle_pull"]
