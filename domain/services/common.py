"""Tenant-scoped lookups shared by every service."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from sqlalchemy import inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from domain.clock import Clock, local_today, system_clock
from domain.db import Base
from domain.errors import ConcurrentChange, NotFound
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


def lock_tenant(session: Session, tenant_id: str) -> None:
    """Serialize a tenant's counters (audit sequence, document numbers) on PostgreSQL.

    ``FOR NO KEY UPDATE``: it must not conflict with the key-share locks that inserts referencing the tenant take.
    SQLite needs nothing here: its write transactions are serial already (``BEGIN IMMEDIATE``).
    """
    session.execute(select(Tenant.id).where(Tenant.id == tenant_id).with_for_update(key_share=True))


def get_tenant(session: Session, tenant_id: str) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("Tenant", tenant_id)
    return tenant


def company_today(session: Session, tenant_id: str, clock: Clock = system_clock) -> date:
    """The tenant's calendar date: a document made at 6 pm in California is dated that day, not UTC's next."""
    return local_today(clock, get_tenant(session, tenant_id).timezone or "UTC")


def save_if_unchanged(session: Session, row: Base, *guards: str) -> None:
    """Write ``row``'s changed columns in one compare-and-set UPDATE: it matches only while each ``guards`` column
    still holds the value the row was read with, so a concurrent writer that got there first is a 409, never a
    lost update — whatever the database's locking does.
    """
    state = inspect(row)
    model = type(row)
    changes: dict[str, Any] = {}
    expected: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in guards:
            if key not in state.committed_state and key not in state.dict:
                raise ValueError(f"{model.__name__}.{key} was never read; it cannot guard a write")
            expected[key] = state.committed_state.get(key, state.dict.get(key))
        if state.attrs[key].history.added:
            changes[key] = getattr(row, key)
    for key, value in changes.items():
        set_committed_value(row, key, value)  # written below, not again by the next flush
    session.flush()
    if not changes:
        changes = {"id": row.id}  # type: ignore[attr-defined]
    result = session.execute(
        update(model)
        .where(model.id == row.id, *(getattr(model, k) == v for k, v in expected.items()))  # type: ignore[attr-defined]
        .values(**changes)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        name = getattr(row, "doc_number", None) or row.id  # type: ignore[attr-defined]
        raise ConcurrentChange(
            f"{model.__name__} {name} was changed by another request at the same time; reload it and try again",
            entity=model.__name__,
            id=row.id,  # type: ignore[attr-defined]
        )
