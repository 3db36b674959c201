"""Tenant-scoped lookups shared by every service."""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.clock import Clock, local_today, system_clock
from domain.db import Base
from domain.errors import NotFound
from domain.models.tenancy import Tenant

T = TypeVar("T", bound=Base)


def get_scoped(session: Session, model: type[T], tenant_id: str, row_id: str, *, lock: bool = False) -> T:
    """Load one row of the tenant or raise NotFound — another tenant's id is indistinguishable from a missing one."""
    query = select(model).where(model.id == row_id, model.tenant_id == tenant_id)  # type: ignore[attr-defined]
    if lock:
        # populate_existing: a row already in the session must be refreshed with the locked, current values.
        query = query.with_for_update().execution_options(populate_existing=True)
    row = session.scalars(query).first()
    if row is None:
        raise NotFound(model.__name__, row_id)
    return row


def find_by_doc_number(session: Session, model: type[T], tenant_id: str, doc_number: str) -> T:
    row = session.scalars(
        select(model).where(model.tenant_id == tenant_id, model.doc_number == doc_number)  # type: ignore[attr-defined]
    ).first()
    if row is None:
        raise NotFound(model.__name__, doc_number, f"{model.__name__} number {doc_number} was not found")
    return row


def get_tenant(session: Session, tenant_id: str) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("Tenant", tenant_id)
    return tenant


def company_today(session: Session, tenant_id: str, clock: Clock = system_clock) -> date:
    """The tenant's calendar date: a document made at 6 pm in California is dated that day, not UTC's next."""
    return local_today(clock, get_tenant(session, tenant_id).timezone or "UTC")
