"""The audit log (owners and admins) and a check of its hash chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import AuditDep, SessionDep
from api.pagination import CursorQuery, LimitQuery, Page, decode_cursor, encode_cursor
from api.schemas.audit import AuditChainPublic, AuditEntryPublic
from domain.errors import ValidationFailed
from domain.services.audit import list_audit, verify_chain

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("", response_model=Page[AuditEntryPublic])
def audit_log(
    actor: AuditDep,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
    entity: Annotated[str | None, Query(max_length=50)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[AuditEntryPublic]:
    """Oldest first (the order of the chain); the cursor is the last sequence number seen."""
    after = 0
    if cursor:
        (after,) = decode_cursor(cursor, 1)
        if not isinstance(after, int) or after < 0:
            raise ValidationFailed("The cursor is not valid")
    rows = list_audit(
        session, actor.tenant_id, entity=entity, entity_id=entity_id, after_seq=after, limit=limit + 1
    )
    next_cursor = encode_cursor(rows[limit - 1].seq) if len(rows) > limit else None
    return Page(items=[AuditEntryPublic.model_validate(r) for r in rows[:limit]], next_cursor=next_cursor)


@router.get("/verify")
def verify(actor: AuditDep, session: SessionDep) -> AuditChainPublic:
    report = verify_chain(session, actor.tenant_id)
    return AuditChainPublic(
        ok=report.ok, rows=report.rows, broken_at_seq=report.broken_at_seq, reason=report.reason
    )
