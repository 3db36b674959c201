"""Payments: record money received, apply credit, unapply, void."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import DestructiveDep, PaymentsDep, ReaderDep, SessionDep
from api.pagination import CustomerQuery, ListingDep, Page
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
def list_payments(listing: ListingDep, customer_id: CustomerQuery = None) -> Page[PaymentPublic]:
    return listing.newest(PaymentPublic, Payment, customer_id=customer_id)


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
