"""Recording payments and applying them to invoices.

A payment is applied across one or more of the customer's invoices; each application is capped by that
invoice's open balance (the invoice row is locked first, so two payments racing for one invoice cannot
over-apply it). Whatever is not applied stays on the payment as unapplied credit.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.context import Actor
from domain.errors import Conflict, InvalidTransition, ValidationFailed
from domain.models.catalog import Customer
from domain.models.payments import Payment, PaymentApplication
from domain.models.sales import Invoice, InvoiceStatus
from domain.money import ZERO
from domain.permissions import Permission, require
from domain.schemas import PaymentApplicationIn, PaymentCreate
from domain.services.audit import record_audit
from domain.services.common import get_scoped, save_if_unchanged
from domain.services.invoices import BALANCE_GUARDS, refresh_status, void_reason
from domain.services.outbox import enqueue_sync
from domain.services.payment_methods import resolve_payment_method
from domain.services.snapshots import snapshot

PAYABLE = (InvoiceStatus.OPEN, InvoiceStatus.PARTIAL)
# What a change to a payment's money must find unchanged since it read the payment.
PAYMENT_GUARDS = ("voided", "unapplied_amount")


def payment_snapshot(payment: Payment) -> dict[str, object]:
    data = snapshot(payment)
    data["applications"] = [
        {"invoice_id": a.invoice_id, "amount": str(a.amount)} for a in payment.applications
    ]
    return data


def _lock_invoice(session: Session, actor: Actor, payment: Payment, invoice_id: str) -> Invoice:
    invoice = get_scoped(session, Invoice, actor.tenant_id, invoice_id, lock=True)
    if invoice.customer_id != payment.customer_id:
        raise ValidationFailed(
            f"invoice {invoice.doc_number} belongs to another customer", invoice_id=invoice.id
        )
    if invoice.status not in PAYABLE:
        raise InvalidTransition(
            "Invoice",
            invoice.doc_number or invoice.id,
            invoice.status.value,
            "paid",
            "it has no open balance",
        )
    return invoice


def _apply(session: Session, payment: Payment, invoice: Invoice, amount: Decimal) -> None:
    if amount > invoice.balance_due:
        raise Conflict(
            f"cannot apply {amount} to invoice {invoice.doc_number}: only {invoice.balance_due} is open",
            invoice_id=invoice.id,
            balance=str(invoice.balance_due),
        )
    if amount > payment.unapplied_amount:
        raise ValidationFailed(
            f"only {payment.unapplied_amount} of the payment is left to apply", payment_id=payment.id
        )
    # One guarded row dirty at a time: each compare-and-set must not flush the other one unguarded.
    invoice.amount_paid = invoice.amount_paid + amount
    refresh_status(invoice)
    save_if_unchanged(session, invoice, *BALANCE_GUARDS)
    existing = next((a for a in payment.applications if a.invoice_id == invoice.id), None)
    if existing is not None:
        existing.amount = existing.amount + amount
    else:
        payment.applications.append(
            PaymentApplication(tenant_id=payment.tenant_id, invoice_id=invoice.id, amount=amount)
        )
    payment.unapplied_amount = payment.unapplied_amount - amount
    save_if_unchanged(session, payment, *PAYMENT_GUARDS)


def _oldest_open_invoices(session: Session, actor: Actor, customer_id: str) -> list[str]:
    return list(
        session.scalars(
            select(Invoice.id)
            .where(
                Invoice.tenant_id == actor.tenant_id,
                Invoice.customer_id == customer_id,
                Invoice.status.in_(PAYABLE),
            )
            .order_by(Invoice.due_date, Invoice.issue_date, Invoice.doc_number)
        )
    )


def record_payment(session: Session, actor: Actor, data: PaymentCreate) -> Payment:
    """Record money received and apply it as asked (or oldest-first with ``auto_apply``)."""
    require(actor, Permission.RECORD_PAYMENT)
    customer = get_scoped(session, Customer, actor.tenant_id, data.customer_id)
    explicit_total = sum((a.amount for a in data.applications), ZERO)
    if explicit_total > data.amount:
        raise ValidationFailed(
            f"applications add up to {explicit_total}, more than the payment of {data.amount}"
        )
    if len({a.invoice_id for a in data.applications}) != len(data.applications):
        raise ValidationFailed("each invoice may appear once in a payment's applications")
    payment = Payment(
        tenant_id=actor.tenant_id,
        customer_id=customer.id,
        amount=data.amount,
        unapplied_amount=data.amount,
        payment_date=data.payment_date,
        payment_method=resolve_payment_method(session, actor.tenant_id, data.payment_method),
        reference_number=data.reference_number,
        memo=data.memo,
    )
    session.add(payment)
    session.flush()
    touched = _apply_requests(session, actor, payment, data.applications)
    if data.auto_apply and not data.applications:
        for invoice_id in _oldest_open_invoices(session, actor, customer.id):
            if payment.unapplied_amount == 0:
                break
            invoice = _lock_invoice(session, actor, payment, invoice_id)
            _apply(session, payment, invoice, min(invoice.balance_due, payment.unapplied_amount))
            touched.append(invoice)
    record_audit(session, actor, "payment.recorded", "payment", payment.id, after=payment_snapshot(payment))
    for invoice in touched:
        record_audit(
            session,
            actor,
            "invoice.payment_applied",
            "invoice",
            invoice.id,
            after={
                "amount_paid": str(invoice.amount_paid),
                "balance_due": str(invoice.balance_due),
                "status": invoice.status.value,
            },
            detail={"payment_id": payment.id},
        )
    enqueue_sync(session, actor.tenant_id, "payment", payment.id)
    return payment


def _apply_requests(
    session: Session, actor: Actor, payment: Payment, requests: Sequence[PaymentApplicationIn]
) -> list[Invoice]:
    # Lock in a stable order so two payments touching the same invoices cannot deadlock.
    touched = []
    for request in sorted(requests, key=lambda r: r.invoice_id):
        invoice = _lock_invoice(session, actor, payment, request.invoice_id)
        _apply(session, payment, invoice, request.amount)
        touched.append(invoice)
    return touched


def apply_credit(
    session: Session, actor: Actor, payment_id: str, applications: Sequence[PaymentApplicationIn]
) -> Payment:
    """Apply a payment's unapplied credit to further invoices."""
    require(actor, Permission.RECORD_PAYMENT)
    payment = get_scoped(session, Payment, actor.tenant_id, payment_id, lock=True)
    if payment.voided:
        raise InvalidTransition("Payment", payment.id, "void", "applied", "it is void")
    before = payment_snapshot(payment)
    _apply_requests(session, actor, payment, applications)
    record_audit(
        session,
        actor,
        "payment.applied",
        "payment",
        payment.id,
        before=before,
        after=payment_snapshot(payment),
    )
    enqueue_sync(session, actor.tenant_id, "payment", payment.id)
    return payment


def unapply_payment(
    session: Session, actor: Actor, payment_id: str, *, invoice_id: str | None = None
) -> Payment:
    """Take a payment off one invoice (or all): balances come back exactly as before, the money becomes credit."""
    require(actor, Permission.RECORD_PAYMENT)
    payment = get_scoped(session, Payment, actor.tenant_id, payment_id, lock=True)
    before = payment_snapshot(payment)
    targets = [a for a in payment.applications if invoice_id is None or a.invoice_id == invoice_id]
    if invoice_id is not None and not targets:
        raise ValidationFailed(f"payment is not applied to invoice {invoice_id}", invoice_id=invoice_id)
    for application in sorted(targets, key=lambda a: a.invoice_id):
        invoice = get_scoped(session, Invoice, actor.tenant_id, application.invoice_id, lock=True)
        invoice.amount_paid = invoice.amount_paid - application.amount
        refresh_status(invoice)
        save_if_unchanged(session, invoice, *BALANCE_GUARDS)
    # The payment changes once, after the invoices, so its compare-and-set sees the value it was read with.
    payment.unapplied_amount = payment.unapplied_amount + sum((a.amount for a in targets), ZERO)
    for application in targets:
        payment.applications.remove(application)
    save_if_unchanged(session, payment, *PAYMENT_GUARDS)
    record_audit(
        session,
        actor,
        "payment.unapplied",
        "payment",
        payment.id,
        before=before,
        after=payment_snapshot(payment),
    )
    enqueue_sync(session, actor.tenant_id, "payment", payment.id)
    return payment


def void_payment(session: Session, actor: Actor, payment_id: str, *, reason: str = "") -> Payment:
    require(actor, Permission.DESTRUCTIVE)
    payment = get_scoped(session, Payment, actor.tenant_id, payment_id, lock=True)
    if payment.voided:
        raise InvalidTransition("Payment", payment.id, "void", "void", "it is already void")
    unapply_payment(session, actor, payment_id)
    before = payment_snapshot(payment)
    payment.voided = True
    payment.void_reason = void_reason(reason)
    payment.unapplied_amount = ZERO
    save_if_unchanged(session, payment, *PAYMENT_GUARDS)
    record_audit(
        session,
        actor,
        "payment.voided",
        "payment",
        payment.id,
        before=before,
        after=payment_snapshot(payment),
        detail={"reason": payment.void_reason},
    )
    enqueue_sync(session, actor.tenant_id, "payment", payment.id, "void")
    return payment


def get_payment(session: Session, tenant_id: str, payment_id: str) -> Payment:
    return get_scoped(session, Payment, tenant_id, payment_id)


def payments_for_invoice(session: Session, tenant_id: str, invoice_id: str) -> list[PaymentApplication]:
    get_scoped(session, Invoice, tenant_id, invoice_id)
    return list(
        session.scalars(
            select(PaymentApplication).where(
                PaymentApplication.tenant_id == tenant_id, PaymentApplication.invoice_id == invoice_id
            )
        )
    )


def payments_of_invoice(session: Session, tenant_id: str, invoice_id: str) -> list[Payment]:
    """The payments applied to one of the tenant's invoices, by payment date (NotFound for another's invoice)."""
    invoice = get_scoped(session, Invoice, tenant_id, invoice_id)
    payments = session.scalars(
        select(Payment)
        .join(PaymentApplication, PaymentApplication.payment_id == Payment.id)
        .where(Payment.tenant_id == tenant_id, PaymentApplication.invoice_id == invoice.id)
        .order_by(Payment.payment_date)
    ).unique()
    return list(payments)
