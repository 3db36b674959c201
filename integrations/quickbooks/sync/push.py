"""Pushing one local change to QBO: prepare (database), send (HTTP), settle (database, one transaction).

Creates carry a ``requestid`` derived from the job (and the payload's checksum), so a job retried after a crash
between QBO's success and our commit gets QBO's original answer back instead of a second entity; QBO's unique
names and document numbers are the second line (a duplicate fault adopts the existing twin). Updates carry the
latest SyncToken; a stale token (5010) is answered by re-reading the entity and letting the tenant's conflict
strategy decide on the key-field checksums.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dateutil import parser as dateparser
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.db import Base, SyncStatus, utcnow
from domain.models.catalog import Item
from domain.models.sales import Invoice, InvoiceStatus
from domain.models.sync import SyncJob, SyncJobStatus, SyncState
from domain.services.outbox import enqueue_sync
from domain.services.sync_checksums import Decision, KeyFields, checksum, decide, local_key_fields
from domain.services.sync_log import as_aware, get_state
from domain.services.sync_mappings import account_for_item, hold_for_review
from domain.services.sync_policy import Strategy
from integrations.quickbooks.api.client import QboClient
from integrations.quickbooks.api.errors import QboDuplicate, QboNotFound, QboStaleObject
from integrations.quickbooks.api.query import quote
from integrations.quickbooks.entity_specs import SPECS, EntitySpec
from integrations.quickbooks.mapping.lists import MappingError
from integrations.quickbooks.sync.claim import has_open_push
from integrations.quickbooks.sync.entities import dependencies, remote_key_fields, to_qbo
from integrations.quickbooks.sync.failures import DependencyNotReady, HeldForMapping

MAX_STALE_ROUNDS = 3
MAX_PRIVATE_NOTE = 4000  # QBO's limit on PrivateNote
VOIDED_MARK = "Voided"  # what QBO puts first in a voided record's PrivateNote


@dataclass
class Prepared:
    """Everything the HTTP phase needs, read in one short transaction."""

    job_id: str
    claim: str | None  # the claim token the job was prepared under; only it may settle the job
    tenant_id: str
    entity: str
    local_id: str
    operation: str
    attempt: int
    generation: int
    strategy: Strategy
    qbo_id: str | None = None
    sync_token: str | None = None
    payload: dict[str, Any] | None = None
    local: KeyFields = field(default_factory=dict)
    local_changed: bool = True
    base_remote_checksum: str | None = None
    local_updated_at: datetime | None = None
    email: str | None = None
    force: bool = False
    payload_checksum: str | None = None
    skip: str | None = None  # why there is nothing to send
    void_note: str | None = None  # the PrivateNote that carries a void's reason into QBO

    @property
    def spec(self) -> EntitySpec:
        return SPECS[self.entity]

    def create_request_id(self) -> str:
        digest = checksum(self.payload or {})
        return str(
            uuid.uuid5(uuid.NAMESPACE_URL, f"qbo-sync:{self.job_id}:create:{self.generation}:{digest}")
        )

    def request_id(self, kind: str, round_: int = 0) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"qbo-sync:{self.job_id}:{kind}:{self.attempt}:{round_}"))


@dataclass
class Outcome:
    """What QBO ended up holding, and how we got there."""

    action: str  # create | update | void | send | delete | twin | pull | noop | conflict | skip
    remote: dict[str, Any] | None = None
    overwrote_remote: KeyFields | None = None  # remote values our push replaced (last-write-wins audit)
    message: str | None = None


def prepare(
    session: Session, job: SyncJob, strategy: Strategy, *, states: Mapping[str, SyncState] | None = None
) -> Prepared:
    """``states``: the sync states of a whole batch read at once (by local id); without it, read here."""
    payload = job.payload or {}
    prep = Prepared(
        job_id=job.id,
        claim=job.claim_token,
        tenant_id=job.tenant_id,
        entity=job.entity,
        local_id=job.entity_id,
        operation=job.operation,
        attempt=job.attempts,
        generation=int(payload.get("gen", 0)),
        strategy=strategy,
        email=payload.get("email"),
        force=bool(payload.get("force")),
    )
    spec = SPECS.get(job.entity)
    if spec is None:
        prep.skip = f"{job.entity} records have no QuickBooks counterpart the sync writes; recorded here only"
        return prep
    if not spec.pushable:
        prep.skip = f"{job.entity} records are mastered in QuickBooks and not pushed from here"
        return prep
    row = session.get(spec.model, job.entity_id)
    if row is None or row.tenant_id != job.tenant_id:  # type: ignore[attr-defined]
        prep.skip = f"{job.entity} {job.entity_id} no longer exists here"
        return prep
    prep.qbo_id = row.qbo_id  # type: ignore[attr-defined]
    prep.sync_token = row.sync_token  # type: ignore[attr-defined]
    prep.local_updated_at = as_aware(getattr(row, "updated_at", None))
    prep.local = local_key_fields(row)
    if states is not None:
        state = states.get(job.entity_id)
    else:
        state = get_state(session, job.tenant_id, job.entity, job.entity_id)
    if state is not None:
        prep.local_changed = state.base_checksum != checksum(prep.local)
        prep.base_remote_checksum = state.remote_checksum
    if job.operation == "void":
        prep.void_note = void_note(row)
    if job.operation != "upsert":
        if prep.qbo_id is None:
            if has_open_push(
                session, job.tenant_id, job.entity, job.entity_id, operation="upsert", exclude=job.id
            ):
                raise DependencyNotReady(f"{job.entity} {job.entity_id} is not in QuickBooks yet")
            prep.skip = f"{job.entity} was never in QuickBooks; nothing to {job.operation} there"
        return prep
    if isinstance(row, Invoice) and row.status == InvoiceStatus.VOID and prep.qbo_id:
        prep.skip = "a voided invoice is not updated in QuickBooks"
        return prep
    check_dependencies(session, job, row)
    prep.payload = to_qbo(session, job.tenant_id, job.entity, row)
    if isinstance(row, Item):
        _item_accounts(session, job, row, prep.payload)
    prep.payload_checksum = payload_checksum(prep.payload)
    if (
        prep.qbo_id
        and state is not None
        and state.payload_checksum == prep.payload_checksum
        and not prep.force
    ):
        # QBO already holds exactly this version (a pull took it, or an earlier push sent it).
        prep.skip = "already up to date in QuickBooks"
    return prep


def void_note(row: Any) -> str | None:
    """QBO keeps no void reason of its own; the record's PrivateNote carries it (QBO prepends "Voided")."""
    reason = getattr(row, "void_reason", None)
    if not reason:
        return None
    kept = getattr(row, "internal_notes", None) if isinstance(row, Invoice) else getattr(row, "memo", None)
    return "\n".join(filter(None, [kept, f"Void reason: {reason}"]))[:MAX_PRIVATE_NOTE]


def payload_checksum(payload: dict[str, Any]) -> str:
    return checksum({k: v for k, v in payload.items() if k not in ("Id", "SyncToken", "sparse")})


def check_dependencies(session: Session, job: SyncJob, row: Base) -> None:
    """A record another one points at must reach QBO first; make sure it is queued, then wait for it."""
    waiting: list[str] = []
    for entity, local_id in dependencies(row):
        dep = session.get(SPECS[entity].model, local_id)
        if dep is None or dep.qbo_id is not None:  # type: ignore[attr-defined]
            continue
        dead = session.scalars(
            select(SyncJob).where(
                SyncJob.tenant_id == job.tenant_id,
                SyncJob.entity == entity,
                SyncJob.entity_id == local_id,
                SyncJob.direction == "push",
                SyncJob.status == SyncJobStatus.DEAD,
            )
        ).first()
        if dead is not None:
            raise MappingError(
                f"{entity} {local_id} could not be synced ({dead.last_error})", kind=entity, id=local_id
            )
        if isinstance(dep, Item) and account_for_item(session, job.tenant_id, dep) is None:
            hold_for_review(
                session,
                job.tenant_id,
                entity=job.entity,
                entity_id=job.entity_id,
                profile="revenue",
                item=dep,
                job_id=job.id,
            )
            session.commit()
            raise HeldForMapping(f"item '{dep.name}' has no income account mapping yet")
        enqueue_sync(session, job.tenant_id, entity, local_id)
        waiting.append(f"{entity} {local_id}")
    if waiting:
        session.commit()
        raise DependencyNotReady(f"waiting for {', '.join(waiting)} to reach QuickBooks first")


def item_accounts(session: Session, tenant_id: str, row: Item) -> dict[str, Any] | None:
    """The income (and expense) account refs an item's push carries; None without an income mapping."""
    income = account_for_item(session, tenant_id, row, "revenue")
    if income is None:
        return None
    refs: dict[str, Any] = {"IncomeAccountRef": {"value": income}}
    expense = account_for_item(session, tenant_id, row, "expense")
    if expense is not None:
        refs["ExpenseAccountRef"] = {"value": expense}
    return refs


def _item_accounts(session: Session, job: SyncJob, row: Item, payload: dict[str, Any]) -> None:
    """Items book to the income account their mapping names; without one they wait for review."""
    accounts = item_accounts(session, job.tenant_id, row)
    if accounts is None:
        hold_for_review(
            session,
            job.tenant_id,
            entity="item",
            entity_id=row.id,
            profile="revenue",
            item=row,
            job_id=job.id,
        )
        session.commit()
        raise HeldForMapping(
            f"item '{row.name}' (cost code {row.cost_code or 'none'}) has no income account mapping yet"
        )
    payload.update(accounts)


async def _find_twin(client: QboClient, spec: EntitySpec, payload: dict[str, Any]) -> dict[str, Any] | None:
    if spec.natural_key is None or not payload.get(spec.natural_key[1]):
        return None
    field_name = spec.natural_key[1]
    where = f"{field_name} = {quote(str(payload[field_name]))}"
    if spec.qbo in ("Customer", "Item", "Vendor"):
        where += " AND Active IN (true, false)"
    result = await client.query(f"SELECT * FROM {spec.qbo} WHERE {where}")
    rows = result.get(spec.qbo) or []
    return rows[0] if rows else None


def _remote_time(obj: dict[str, Any]) -> datetime | None:
    value = (obj.get("MetaData") or {}).get("LastUpdatedTime")
    if not value:
        return None
    parsed = dateparser.isoparse(str(value))
    return as_aware(parsed)


def resolve_stale(prep: Prepared, remote: dict[str, Any]) -> tuple[Decision, KeyFields]:
    """Three-way decision after QBO said our SyncToken was stale."""
    remote_fields = remote_key_fields(prep.entity, remote)
    if prep.base_remote_checksum is not None:
        remote_changed = checksum(remote_fields) != prep.base_remote_checksum
    else:
        remote_changed = str(remote.get("SyncToken")) != str(prep.sync_token)
    if prep.force:
        return Decision.PUSH, remote_fields
    remote_at = _remote_time(remote)
    local_newer = bool(prep.local_updated_at and (remote_at is None or prep.local_updated_at >= remote_at))
    decision = decide(
        prep.strategy,
        local_changed=prep.local_changed,
        remote_changed=remote_changed,
        same_values=remote_fields == prep.local,
        local_newer=local_newer,
    )
    return decision, remote_fields


async def send(client: QboClient, prep: Prepared) -> Outcome:
    """The HTTP phase; raises typed QBO errors for the worker to classify."""
    spec = prep.spec
    if prep.skip:
        return Outcome("skip", message=prep.skip)
    if prep.operation == "send":
        assert prep.qbo_id is not None
        obj = await client.send(spec.qbo, prep.qbo_id, prep.email, request_id=prep.request_id("send"))
        return Outcome("send", obj)
    if prep.operation in ("void", "delete"):
        return await _void_or_delete(client, prep)
    assert prep.payload is not None
    if prep.qbo_id is None:
        return await _create(client, prep)
    return await _update(client, prep, prep.sync_token or "0")


async def _create(client: QboClient, prep: Prepared) -> Outcome:
    spec = prep.spec
    payload = {k: v for k, v in (prep.payload or {}).items() if k not in ("Id", "SyncToken")}
    try:
        obj = await client.create(spec.qbo, payload, request_id=prep.create_request_id())
        return Outcome("create", obj)
    except QboDuplicate as exc:
        return await twin_outcome(client, prep, exc)


async def twin_outcome(client: QboClient, prep: Prepared, duplicate: QboDuplicate) -> Outcome:
    """QBO refused a create as a duplicate: the record it already holds by that name or number, or the error."""
    spec = prep.spec
    twin = await _find_twin(client, spec, prep.payload or {})
    if twin is None:
        raise duplicate
    # QBO already holds a record by this name or number (our earlier attempt, or someone typed it in). Nothing
    # is written to it yet: the settle step links it unless another record here is linked to it already, and
    # our version then follows as an ordinary update.
    return Outcome("twin", twin, message=f"{spec.qbo} {twin['Id']} already in QuickBooks")


async def _update(client: QboClient, prep: Prepared, token: str) -> Outcome:
    spec = prep.spec
    assert prep.qbo_id is not None
    overwrote: KeyFields | None = None
    for round_ in range(MAX_STALE_ROUNDS):
        body = {**(prep.payload or {}), "Id": prep.qbo_id, "SyncToken": token}
        try:
            obj = await client.update(spec.qbo, body, request_id=prep.request_id("update", round_))
            return Outcome("update", obj, overwrote_remote=overwrote)
        except QboStaleObject:
            remote = await client.read(spec.qbo, prep.qbo_id)
        except QboNotFound:
            return Outcome("conflict", {"Id": prep.qbo_id, "deleted": True}, message="deleted in QuickBooks")
        decision, remote_fields = resolve_stale(prep, remote)
        if decision is Decision.PULL:
            return Outcome("pull", remote)
        if decision is Decision.NOOP:
            return Outcome("noop", remote)
        if decision is Decision.CONFLICT:
            return Outcome("conflict", remote)
        token = str(remote.get("SyncToken", token))
        if prep.base_remote_checksum is None or checksum(remote_fields) != prep.base_remote_checksum:
            overwrote = remote_fields
    raise QboStaleObject(f"{spec.qbo} {prep.qbo_id} kept changing in QuickBooks while we wrote it")


async def _void_or_delete(client: QboClient, prep: Prepared) -> Outcome:
    spec = prep.spec
    assert prep.qbo_id is not None
    token = prep.sync_token or "0"
    call = client.void if prep.operation == "void" else client.delete
    if prep.void_note and prep.attempt > 1:
        # A retry: the first try's void may have landed with its answer lost, and a voided record refuses
        # the note's update. What QBO already holds voided is done.
        remote = await client.read(spec.qbo, prep.qbo_id)
        if str(remote.get("PrivateNote") or "").startswith(VOIDED_MARK):
            return Outcome("void", remote)
        token = str(remote.get("SyncToken", token))
    for round_ in range(MAX_STALE_ROUNDS):
        try:
            if prep.void_note:
                # The reason lands first, on the still active record: a voided one may refuse edits.
                noted = await client.sparse_update(
                    spec.qbo,
                    prep.qbo_id,
                    token,
                    {"PrivateNote": prep.void_note},
                    request_id=prep.request_id("void-note", round_),
                )
                token = str(noted.get("SyncToken", token))
            obj = await call(spec.qbo, prep.qbo_id, token, request_id=prep.request_id(prep.operation, round_))
            return Outcome(prep.operation, obj)
        except QboStaleObject:
            # Voiding or deleting wins over whatever changed meanwhile: it is what the user asked for.
            remote = await client.read(spec.qbo, prep.qbo_id)
            token = str(remote.get("SyncToken", token))
        except QboNotFound:
            return Outcome("skip", message=f"already gone from QuickBooks; nothing to {prep.operation}")
    raise QboStaleObject(f"{spec.qbo} {prep.qbo_id} kept changing in QuickBooks while we wrote it")


def mark_pushed(row: Any, remote: dict[str, Any]) -> None:
    row.qbo_id = str(remote["Id"])
    row.sync_token = str(remote.get("SyncToken", "0"))
    row.sync_status = SyncStatus.SYNCED
    row.last_synced_at = utcnow()
    if isinstance(row, Invoice) and remote.get("DocNumber") and not row.doc_number:
        row.doc_number = str(remote["DocNumber"])


__all__ = [
    "MAX_STALE_ROUNDS",
    "Outcome",
    "Prepared",
    "check_dependencies",
    "item_accounts",
    "mark_pushed",
    "payload_checksum",
    "prepare",
    "resolve_stale",
    "send",
    "twin_outcome",
]
