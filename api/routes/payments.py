"""Payments: record money received, apply credit, unapply, void."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from api.deps import DestructiveDep, PaymentsDep, ReaderDep, SessionDep
from api.pagination import CursorQuery, LimitQuery, Page, paginate
from api.schemas.sales import InvoiceVoidIn, PaymentPublic
from domain.models import Payment
from domain.schemas import PaymentApplicationIn, PaymentCreate
from domain.services import payments as svc

router = APIRouter(prefix="/api/payments", tags=["payments"])


class PaymentApplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    applications: list[PaymentApplicationIn] = Field(min_length=1, max_length=100)


class PaymentUnapplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    invoice_id: str | None = Field(default=None, max_length=36)


@router.get("", response_model=Page[PaymentPublic])
def list_payments(
    actor: ReaderDep,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
    customer_id: Annotated[str | None, Query(max_length=36)] = None,
) -> Page[PaymentPublic]:
    query = select(Payment).where(Payment.tenant_id == actor.tenant_id)
    if customer_id:
        query = query.where(Payment.customer_id == customer_id)
    rows, next_cursor = paginate(session, query, Payment, cursor=cursor, limit=limit)
    return Page(items=[PaymentPublic.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("", status_code=201)
def record_payment(data: PaymentCreate, actor: PaymentsDep, session: SessionDep) -> PaymentPublic:
    return PaymentPublic.model_validate(svc.record_payment(session, actor, data))


@router.get("/{payment_id}")
def get_payment(payment_id: str, actor: ReaderDep, session: SessionDep) -> PaymentPublic:
    return PaymentPublic.model_validate(svc.get_payment(session, actor.tenant_id, payment_id))


@router.post("/{payment_id}/apply")
def apply_credit(
    payment_id: str, data: PaymentApplyIn, actor: PaymentsDep, session: SessionDep
) -> PaymentPublic:
    return PaymentPublic.model_validate(svc.apply_credit(session, actor, payment_id, data.applications))


@router.post("/{payment_id}/unapply")
def unapply(
    payment_id: str, actor: PaymentsDep, session: SessionDep, data: PaymentUnapplyIn | None = None
) -> PaymentPublic:
    invoice_id = data.invoice_id if data else None
    return PaymentPublic.model_validate(
        svc.unapply_payment(session, actor, payment_id, invoice_id=invoice_id)
    )


@router.post("/{payment_id}/void")
def void(
    payment_id: str, actor: DestructiveDep, session: SessionDep, data: InvoiceVoidIn | None = None
) -> PaymentPublic:
    return PaymentPublic.model_validate(
        svc.void_payment(session, actor, payment_id, reason=data.reason if data else "")
    )
