"""Invoices: created directly or converted from an approved estimate; sent, voided, written off.

Status is always derived from the numbers (:func:`refresh_status`): open, partial, paid, written_off, void.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.context import Actor
from domain.db import utcnow
from domain.errors import Conflict, InvalidTransition, ValidationFailed
from domain.models.catalog import Customer, Term
from domain.models.payments import WriteOff
from domain.models.sales import Estimate, EstimateStatus, Invoice, InvoiceLine, InvoiceStatus
from domain.money import ZERO
from domain.permissions import Permission, require
from domain.schemas import InvoiceCreate, WriteOffCreate
from domain.services.audit import record_audit
from domain.services.common import company_today, find_by_doc_number, get_scoped, save_if_unchanged
from domain.services.estimates import mark_converted
from domain.services.lines import line_columns, price_requested_lines
from domain.services.numbering import next_doc_number
from domain.services.outbox import enqueue_sync
from domain.services.snapshots import snapshot

DEFAULT_DUE_DAYS = 30
# What a change to an invoice's money must find unchanged since it read the invoice.
BALANCE_GUARDS = ("status", "amount_paid", "written_off")


def refresh_status(invoice: Invoice) -> None:
    """Recompute balance and status from total, payments and write-offs. Never lets the balance go negative."""
    if invoice.status is InvoiceStatus.VOID:
        invoice.balance_due = ZERO
        return
    balance = invoice.total - invoice.amount_paid - invoice.written_off
    if balance < 0:
        raise Conflict(
            f"invoice {invoice.doc_number} would be over-applied (balance {balance})", invoice_id=invoice.id
        )
    invoice.balance_due = balance
    if balance == 0 and invoice.written_off > 0:
        invoice.status = InvoiceStatus.WRITTEN_OFF
    elif balance == 0:
        invoice.status = InvoiceStatus.PAID
    elif invoice.amount_paid > 0 or invoice.written_off > 0:
        invoice.status = InvoiceStatus.PARTIAL
    else:
        invoice.status = InvoiceStatus.OPEN


def invoice_snapshot(invoice: Invoice) -> dict[str, object]:
    data = snapshot(invoice)
    data["lines"] = [snapshot(line) for line in invoice.lines]
    return data


def _due_date(
    session: Session, tenant_id: str, customer: Customer, term_id: str | None, issue: date
) -> tuple[str | None, date]:
    term_ref = term_id or customer.term_id
    if term_ref:
        term = get_scoped(session, Term, tenant_id, term_ref)
        return term.id, issue + timedelta(days=term.due_days)
    return None, issue + timedelta(days=DEFAULT_DUE_DAYS)


def create_invoice(
    session: Session, actor: Actor, data: InvoiceCreate, *, today: date | None = None
) -> Invoice:
    require(actor, Permission.SEND_DOCUMENTS)
    customer = get_scoped(session, Customer, actor.tenant_id, data.customer_id)
    if not customer.active:
        # QuickBooks refuses documents for an inactive customer (fault 2500); refuse before anything is saved.
        raise ValidationFailed(f"customer '{customer.display_name}' is inactive", customer_id=customer.id)
    issue = data.issue_date or today or company_today(session, actor.tenant_id)
    term_id, due = _due_date(session, actor.tenant_id, customer, data.term_id, issue)
    if data.due_date is not None:
        if data.due_date < issue:
            raise ValidationFailed("the due date cannot be before the issue date")
        due = data.due_date
    priced = price_requested_lines(session, actor, customer, data.lines, tax_rate_id=data.tax_rate_id)
    invoice = Invoice(
        tenant_id=actor.tenant_id,
        doc_number=next_doc_number(session, Invoice, actor.tenant_id),
        customer_id=customer.id,
        issue_date=issue,
        due_date=due,
        term_id=term_id,
        customer_notes=data.customer_notes,
        subtotal=priced.totals.subtotal,
        discount_total=priced.totals.discount_total,
        tax_total=priced.totals.tax_total,
        total=priced.totals.total,
        tax_rate_id=priced.tax_rate_id,
        tax_rate_percent=priced.tax_rate_percent,
    )
    for position, line in enumerate(priced.lines, start=1):
        invoice.lines.append(
            InvoiceLine(
                tenant_id=actor.tenant_id,
                position=position,
                **line_columns(line),
            )
        )
    refresh_status(invoice)
    session.add(invoice)
    session.flush()
    record_audit(session, actor, "invoice.created", "invoice", invoice.id, after=invoice_snapshot(invoice))
    enqueue_sync(session, actor.tenant_id, "invoice", invoice.id)
    return invoice


def convert_estimate_to_invoice(
    session: Session,
    actor: Actor,
    estimate_id: str,
    *,
    issue_date: date | None = None,
    term_id: str | None = None,
) -> Invoice:
    """Copy an approved estimate's locked lines into a new invoice and mark the estimate converted."""
    require(actor, Permission.CONVERT_ESTIMATE)
    estimate = get_scoped(session, Estimate, actor.tenant_id, estimate_id, lock=True)
    if estimate.status != EstimateStatus.APPROVED:
        raise InvalidTransition(
            "Estimate",
            estimate.doc_number or estimate.id,
            estimate.status.value,
            "converted",
            "only an approved estimate can become an invoice",
        )
    customer = get_scoped(session, Customer, actor.tenant_id, estimate.customer_id)
    issue = issue_date or company_today(session, actor.tenant_id)
    term_ref, due = _due_date(session, actor.tenant_id, customer, term_id, issue)
    invoice = Invoice(
        tenant_id=actor.tenant_id,
        doc_number=next_doc_number(session, Invoice, actor.tenant_id),
        estimate_id=estimate.id,
        customer_id=estimate.customer_id,
        issue_date=issue,
        due_date=due,
        term_id=term_ref,
        customer_notes=estimate.customer_notes,
        subtotal=estimate.subtotal,
        discount_total=estimate.discount_total,
        tax_total=estimate.tax_total,
        total=estimate.total,
        tax_rate_id=estimate.tax_rate_id,
        tax_rate_percent=estimate.tax_rate_percent,
        currency=estimate.currency,
    )
    for line in estimate.lines:
        invoice.lines.append(
            InvoiceLine(
                tenant_id=actor.tenant_id,
                position=line.position,
                estimate_line_id=line.id,
                **line_columns(line),
            )
        )
    refresh_status(invoice)
    session.add(invoice)
    session.flush()
    record_audit(
        session,
        actor,
        "invoice.created",
        "invoice",
        invoice.id,
        after=invoice_snapshot(invoice),
        detail={"from_estimate": estimate.doc_number},
    )
    mark_converted(session, actor, estimate, invoice.id)
    enqueue_sync(session, actor.tenant_id, "invoice", invoice.id)
    return invoice


def send_invoice(session: Session, actor: Actor, invoice_id: str) -> Invoice:
    require(actor, Permission.SEND_DOCUMENTS)
    invoice = get_scoped(session, Invoice, actor.tenant_id, invoice_id, lock=True)
    if invoice.status is InvoiceStatus.VOID:
        raise InvalidTransition("Invoice", invoice.doc_number or invoice.id, "void", "sent", "it is void")
    invoice.sent_at = utcnow()
    save_if_unchanged(session, invoice, "status")
    record_audit(
        session, actor, "invoice.sent", "invoice", invoice.id, detail={"status": invoice.status.value}
    )
    enqueue_sync(session, actor.tenant_id, "invoice", invoice.id, "send")
    return invoice


def void_reason(text: str) -> str | None:
    """A void's reason as kept: trimmed, bounded; none given is None, never an empty string."""
    return " ".join(text.split())[:2000] or None


def void_invoice(session: Session, actor: Actor, invoice_id: str, *, reason: str = "") -> Invoice:
    """Void: refused while payments are applied (unapply them first); the balance becomes zero."""
    require(actor, Permission.DESTRUCTIVE)
    invoice = get_scoped(session, Invoice, actor.tenant_id, invoice_id, lock=True)
    if invoice.status is InvoiceStatus.VOID:
        raise InvalidTransition(
            "Invoice", invoice.doc_number or invoice.id, "void", "void", "it is already void"
        )
    if invoice.amount_paid > 0:
        raise Conflict(
            f"invoice {invoice.doc_number} has {invoice.amount_paid} in payments applied; unapply them before voiding",
            invoice_id=invoice.id,
        )
    before = snapshot(invoice)
    invoice.status = InvoiceStatus.VOID
    invoice.voided_at = utcnow()
    invoice.void_reason = void_reason(reason)
    refresh_status(invoice)
    save_if_unchanged(session, invoice, *BALANCE_GUARDS)
    record_audit(
        session,
        actor,
        "invoice.voided",
        "invoice",
        invoice.id,
        before=before,
        after=snapshot(invoice),
        detail={"reason": invoice.void_reason},
    )
    enqueue_sync(session, actor.tenant_id, "invoice", invoice.id, "void")
    return invoice


def settled_write_offs(session: Session, invoice_id: str) -> Decimal:
    """The part of an invoice's write-offs QuickBooks already holds, as a credit memo applied to it."""
    total = session.scalar(
        select(func.coalesce(func.sum(WriteOff.amount), 0)).where(
            WriteOff.invoice_id == invoice_id, WriteOff.settlement_qbo_id.is_not(None)
        )
    )
    return Decimal(str(total or 0))


def net_of_write_offs(session: Session, invoice: Invoice) -> None:
    """After ``amount_paid`` was taken from QuickBooks: QBO counts an applied write-off credit as paid and
    knows nothing of one not pushed yet; here both are write-offs. Paid is QBO's paid less the settled
    credits, and the balance follows from total, paid and written off, so a write-off never comes undone
    and is never counted twice."""
    if not invoice.written_off or invoice.status is InvoiceStatus.VOID:
        return
    paid = max(ZERO, invoice.amount_paid - settled_write_offs(session, invoice.id))
    invoice.amount_paid = min(paid, max(ZERO, invoice.total - invoice.written_off))
    refresh_status(invoice)


def write_off_invoice(session: Session, actor: Actor, invoice_id: str, data: WriteOffCreate) -> WriteOff:
    """Write off part or all of the remaining balance, with a reason."""
    require(actor, Permission.DESTRUCTIVE)
    invoice = get_scoped(session, Invoice, actor.tenant_id, invoice_id, lock=True)
    if invoice.status in (InvoiceStatus.VOID, InvoiceStatus.PAID, InvoiceStatus.WRITTEN_OFF):
        raise InvalidTransition(
            "Invoice",
            invoice.doc_number or invoice.id,
            invoice.status.value,
            "written_off",
            "nothing is owed",
        )
    amount = data.amount if data.amount is not None else invoice.balance_due
    if amount > invoice.balance_due:
        raise ValidationFailed(
            f"cannot write off {amount}: invoice {invoice.doc_number} only has {invoice.balance_due} open",
            invoice_id=invoice.id,
        )
    before = snapshot(invoice)
    write_off = WriteOff(
        tenant_id=actor.tenant_id,
        invoice_id=invoice.id,
        amount=amount,
        reason=data.reason,
        written_off_on=data.on or company_today(session, actor.tenant_id),
        user_id=actor.user_id,
    )
    session.add(write_off)
    invoice.written_off = invoice.written_off + amount
    refresh_status(invoice)
    save_if_unchanged(session, invoice, *BALANCE_GUARDS)
    record_audit(
        session,
        actor,
        "invoice.written_off",
        "invoice",
        invoice.id,
        before=before,
        after=snapshot(invoice),
        detail={"amount": str(amount), "reason": data.reason},
    )
    enqueue_sync(session, actor.tenant_id, "write_off", write_off.id)
    return write_off


def get_invoice(session: Session, tenant_id: str, invoice_id: str) -> Invoice:
    return get_scoped(session, Invoice, tenant_id, invoice_id)


def get_invoice_by_number(session: Session, tenant_id: str, doc_number: str) -> Invoice:
    return find_by_doc_number(session, Invoice, tenant_id, doc_number)
