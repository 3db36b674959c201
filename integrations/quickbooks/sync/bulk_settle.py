"""Settling a whole round of batch results in one short transaction, with a few bulk statements.

A QBO batch answers up to 30 pushes at once; settling each with ``settle_push`` costs half a dozen ORM round
trips per item, which bounded a large push more than QBO did. Here the plain outcomes of a batch (a record
created or updated in QBO, or nothing to send) settle together: one fenced ``UPDATE … RETURNING`` marks the
jobs done (only the ones their claim still holds: a job claimed again meanwhile belongs to the newer claim),
then one bulk UPDATE links the records, one select and one insert/update write their sync states, and one
insert writes the history. The rest (conflicts, twins, invoices, which may take QBO's document number) settle
one by one with ``settle_push`` in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from domain.db import SyncStatus, new_id
from domain.models.sync import SyncJob, SyncJobStatus, SyncRecord, SyncState
from domain.services.sync_log import state_values
from integrations.quickbooks.entity_specs import SPECS
from integrations.quickbooks.sync.entities import last_updated, remote_key_fields
from integrations.quickbooks.sync.push import Outcome, Prepared
from integrations.quickbooks.sync.settle import settle_push

# Outcomes whose settling is the same for every item: link, state, history, job done.
_PLAIN = ("create", "update", "skip")
# An invoice pushed without a number takes QBO's (``mark_pushed``): it needs its row, so it settles one by one.
_ROW_NEEDED = frozenset({"invoice"})

Settled = tuple[Prepared, Outcome]


def plain(prep: Prepared, outcome: Outcome) -> bool:
    """Whether this result settles in bulk."""
    if outcome.action == "skip":
        return True
    return (
        outcome.action in _PLAIN
        and outcome.overwrote_remote is None
        and outcome.remote is not None
        and prep.entity not in _ROW_NEEDED
    )


def settle_round(session: Session, results: list[Settled], now: datetime) -> list[str]:
    """Settle ``results`` in the session's transaction (the caller commits); returns the job ids settled.

    A result whose job its claim no longer holds is left alone, as ``settle_push`` leaves it."""
    bulk = [(prep, outcome) for prep, outcome in results if plain(prep, outcome)]
    settled = _finish_jobs(session, bulk, now)
    kept = [(prep, outcome) for prep, outcome in bulk if prep.job_id in settled]
    _link_records(session, [(p, o) for p, o in kept if o.action != "skip"], now)
    _save_states(session, [(p, o) for p, o in kept if o.action != "skip"], now)
    _record_history(session, kept, now)
    done = list(settled)
    for prep, outcome in results:
        if not plain(prep, outcome) and settle_push(session, prep.claim, prep, outcome, commit=False):
            done.append(prep.job_id)
    return done


def _finish_jobs(session: Session, bulk: list[Settled], now: datetime) -> set[str]:
    by_claim: dict[str | None, list[str]] = defaultdict(list)
    for prep, _outcome in bulk:
        by_claim[prep.claim].append(prep.job_id)
    settled: set[str] = set()
    for claim, ids in by_claim.items():
        if claim is None:
            continue
        # The check and the write in one statement: correct on SQLite's single writer and PostgreSQL's rows alike.
        statement = (
            update(SyncJob)
            .where(SyncJob.id.in_(ids), SyncJob.claim_token == claim, SyncJob.status == SyncJobStatus.RUNNING)
            .values(
                status=SyncJobStatus.DONE,
                finished_at=now,
                last_error=None,
                error_kind=None,
                locked_by=None,
            )
            .returning(SyncJob.id)
            .execution_options(synchronize_session=False)
        )
        settled.update(session.scalars(statement))
    return settled


def _link_records(session: Session, kept: list[Settled], now: datetime) -> None:
    by_entity: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for prep, outcome in kept:
        remote = outcome.remote or {}
        by_entity[prep.entity].append(
            {
                "id": prep.local_id,
                "qbo_id": str(remote["Id"]),
                "sync_token": str(remote.get("SyncToken", "0")),
                "sync_status": SyncStatus.SYNCED,
                "last_synced_at": now,
            }
        )
    for entity, rows in by_entity.items():
        session.execute(update(SPECS[entity].model), rows)


def _save_states(session: Session, kept: list[Settled], now: datetime) -> None:
    if not kept:
        return
    tenant_id = kept[0][0].tenant_id
    by_entity: dict[str, list[Settled]] = defaultdict(list)
    for prep, outcome in kept:
        by_entity[prep.entity].append((prep, outcome))
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for entity, items in by_entity.items():
        query = select(SyncState.entity_id, SyncState.id).where(
            SyncState.tenant_id == tenant_id,
            SyncState.entity == entity,
            SyncState.entity_id.in_([prep.local_id for prep, _ in items]),
        )
        stored = {entity_id: state_id for entity_id, state_id in session.execute(query)}
        for prep, outcome in items:
            remote = outcome.remote or {}
            token = remote.get("SyncToken")
            values = state_values(
                qbo_id=str(remote["Id"]),
                local=prep.local,
                remote=remote_key_fields(entity, remote),
                remote_sync_token=str(token) if token is not None else None,
                remote_updated_at=last_updated(remote),
                payload_checksum=prep.payload_checksum,
            ) | {"synced_at": now}
            state_id = stored.get(prep.local_id)
            if state_id is None:
                key = {
                    "id": new_id(),
                    "tenant_id": prep.tenant_id,
                    "entity": entity,
                    "entity_id": prep.local_id,
                }
                inserts.append(key | values)
            else:
                updates.append({"id": state_id} | values)
    # Every row of one statement must name the same columns; a state without a payload checksum keeps its own.
    for rows in _same_columns(inserts):
        session.execute(insert(SyncState), rows)
    for rows in _same_columns(updates):
        session.execute(update(SyncState), rows)


def _record_history(session: Session, kept: list[Settled], now: datetime) -> None:
    rows = []
    for prep, outcome in kept:
        remote = outcome.remote or {}
        skipped = outcome.action == "skip"
        rows.append(
            {
                "id": new_id(),
                "tenant_id": prep.tenant_id,
                "entity": prep.entity,
                "entity_id": prep.local_id,
                "qbo_id": prep.qbo_id if skipped else str(remote["Id"]),
                "direction": "push",
                "action": prep.operation if skipped else outcome.action,
                "status": "skipped" if skipped else "synced",
                "message": outcome.message if skipped else None,
                "checksum": None,
                "run_id": None,
                "job_id": prep.job_id,
                "at": now,
            }
        )
    if rows:
        session.execute(insert(SyncRecord), rows)


def _same_columns(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(sorted(row))].append(row)
    return list(groups.values())


__all__ = ["plain", "settle_round"]
