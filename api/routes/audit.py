"""The audit log (owners and admins) and a check of its hash chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import AuditDep, SessionDep
from api.pagination import Page, page_of, page_params
from api.schemas.audit import AuditChainPublic, AuditEntryPublic
from domain.services.audit import audit_page, verify_chain
from domain.services.paging import PageRequest

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("", response_model=Page[AuditEntryPublic])
def audit_log(
    actor: AuditDep,
    session: SessionDep,
    page: Annotated[PageRequest, page_params(100)],
    entity: Annotated[str | None, Query(max_length=50)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[AuditEntryPublic]:
    """Oldest first (the order of the chain); the cursor is the last sequence number seen."""
    return page_of(
        AuditEntryPublic, audit_page(session, actor.tenant_id, page, entity=entity, entity_id=entity_id)
    )


@router.get("/verify")
def verify(actor: AuditDep, session: SessionDep) -> AuditChainPublic:
    report = verify_chain(session, actor.tenant_id)
    return AuditChainPublic(
        ok=report.ok, rows=report.rows, broken_at_seq=report.broken_at_seq, reason=report.reason
    )
