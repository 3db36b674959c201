"""Invoices: create, send, void, write off; and the payments applied to one."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import DestructiveDep, ReaderDep, SenderDep, SessionDep, SettingsDep
from api.links import public_url
from api.pagination import CustomerQuery, ListingDep, Page
from api.schemas.sales import InvoicePublic, InvoiceSummary, InvoiceVoidIn, PaymentPublic, WriteOffPublic
from domain.models import Invoice, InvoiceStatus
from domain.schemas import InvoiceCreate, WriteOffCreate
from domain.services import invoices as svc
from domain.services.payments import payments_of_invoice

router = APIRouter(prefix="/api/invoices", tags=["invoices"])


@router.get("", response_model=Page[InvoiceSummary])
def list_invoices(
    listing: ListingDep, status: InvoiceStatus | None = None, customer_id: CustomerQuery = None
) -> Page[InvoiceSummary]:
    return listing.newest(InvoiceSummary, Invoice, status=status, customer_id=customer_id)


@router.post("", status_code=201)
def create_invoice(data: InvoiceCreate, actor: SenderDep, session: SessionDep) -> InvoicePublic:
    return InvoicePublic.model_validate(svc.create_invoice(session, actor, data))


@router.get("/{invoice_id}")
def get_invoice(invoice_id: str, actor: ReaderDep, session: SessionDep) -> InvoicePublic:
    return InvoicePublic.model_validate(svc.get_invoice(session, actor.tenant_id, invoice_id))


@router.post("/{invoice_id}/send")
def send_invoice(
    invoice_id: str, actor: SenderDep, session: SessionDep, settings: SettingsDep
) -> InvoicePublic:
    invoice = svc.send_invoice(session, actor, invoice_id)
    body = InvoicePublic.model_validate(invoice)
    body.public_url = public_url(settings, tenant_id=actor.tenant_id, kind="invoice", document_id=invoice.id)
    return body


@router.post("/{invoice_id}/void")
def void_invoice(
    invoice_id: str, actor: DestructiveDep, session: SessionDep, data: InvoiceVoidIn | None = None
) -> InvoicePublic:
    reason = data.reason if data else ""
    return InvoicePublic.model_validate(svc.void_invoice(session, actor, invoice_id, reason=reason))


@router.post("/{invoice_id}/write-off", status_code=201)
def write_off(
    invoice_id: str, data: WriteOffCreate, actor: DestructiveDep, session: SessionDep
) -> WriteOffPublic:
    return WriteOffPublic.model_validate(svc.write_off_invoice(session, actor, invoice_id, data))


@router.get("/{invoice_id}/payments")
def invoice_payments(invoice_id: str, actor: ReaderDep, session: SessionDep) -> list[PaymentPublic]:
    return [
        PaymentPublic.model_validate(p) for p in payments_of_invoice(session, actor.tenant_id, invoice_id)
    ]
