"""The append-only, hash-chained audit log.

Each row's ``hash`` is SHA-256 over its own canonical content plus the previous row's hash (per tenant), so
editing, deleting or reordering any row breaks :func:`verify_chain` from that row on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.context import Actor
from domain.db import utcnow
from domain.errors import ValidationFailed
from domain.models.audit import AuditLog
from domain.services.common import lock_tenant
from domain.services.paging import PageRequest, Window, decode_cursor, encode_cursor
from domain.services.snapshots import jsonable

GENESIS = "0" * 64


def _canonical_time(value: datetime) -> str:
    # SQLite hands back naive datetimes, PostgreSQL aware ones: hash the UTC wall time either way.
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def compute_hash(row: AuditLog) -> str:
    content = {
        "tenant_id": row.tenant_id,
        "seq": row.seq,
        "at": _canonical_time(row.at),
        "actor": row.actor,
        "action": row.action,
        "entity": row.entity,
        "entity_id": row.entity_id,
        "before": row.before,
        "after": row.after,
        "detail": row.detail,
        "note": row.note,
        "prev_hash": row.prev_hash,
    }
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def record_audit(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: str | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
    note: str | None = None,
) -> AuditLog:
    """Append one audit row for ``actor``'s tenant.

    The tenant is locked so concurrent writers take sequence numbers one at a time; the unique (tenant, seq)
    constraint is the backstop.
    """
    lock_tenant(session, actor.tenant_id)
    last = session.execute(
        select(AuditLog.seq, AuditLog.hash)
        .where(AuditLog.tenant_id == actor.tenant_id)
        .order_by(AuditLog.seq.desc())
        .limit(1)
    ).first()
    row = AuditLog(
        tenant_id=actor.tenant_id,
        seq=(last.seq + 1) if last else 1,
        at=utcnow(),
        actor=actor.label,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        detail=jsonable(detail) if detail is not None else None,
        note=note,
        prev_hash=last.hash if last else GENESIS,
    )
    row.hash = compute_hash(row)
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    rows: int
    broken_at_seq: int | None = None
    reason: str | None = None


def verify_chain(session: Session, tenant_id: str) -> ChainReport:
    """Walk a tenant's log in order and recompute every hash."""
    expected_prev = GENESIS
    expected_seq = 1
    count = 0
    rows = session.scalars(select(AuditLog).where(AuditLog.tenant_id == tenant_id).order_by(AuditLog.seq))
    for row in rows:
        count += 1
        if row.seq != expected_seq:
            return ChainReport(
                False, count, row.seq, f"sequence gap: expected {expected_seq}, found {row.seq}"
            )
        if row.prev_hash != expected_prev:
            return ChainReport(False, count, row.seq, "previous-hash link does not match")
        if compute_hash(row) != row.hash:
            return ChainReport(False, count, row.seq, "row content does not match its hash")
        expected_prev = row.hash
        expected_seq += 1
    return ChainReport(True, count)


def list_audit(
    session: Session,
    tenant_id: str,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    after_seq: int = 0,
    limit: int = 100,
) -> list[AuditLog]:
    query = select(AuditLog).where(AuditLog.tenant_id == tenant_id, AuditLog.seq > after_seq)
    if entity:
        query = query.where(AuditLog.entity == entity)
    if entity_id:
        query = query.where(AuditLog.entity_id == entity_id)
    return list(session.scalars(query.order_by(AuditLog.seq).limit(min(max(limit, 1), 1000))))


def audit_page(
    session: Session,
    tenant_id: str,
    page: PageRequest,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
) -> Window[AuditLog]:
    """Oldest first (the order of the chain); the cursor is the last sequence number seen."""
    cursor, limit = page.cursor, page.limit
    after = 0
    if cursor:
        (after,) = decode_cursor(cursor, 1)
        if not isinstance(after, int) or after < 0:
            raise ValidationFailed("The cursor is not valid")
    rows = list_audit(
        session, tenant_id, entity=entity, entity_id=entity_id, after_seq=after, limit=limit + 1
    )
    next_cursor = encode_cursor(rows[limit - 1].seq) if len(rows) > limit else None
    return Window(rows[:limit], next_cursor)


def audit_count(session: Session, tenant_id: str) -> int:
    return int(session.scalar(select(func.count()).where(AuditLog.tenant_id == tenant_id)) or 0)
