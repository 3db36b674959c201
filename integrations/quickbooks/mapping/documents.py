"""QBO JSON ↔ domain for transactions: Estimate, Invoice, Payment, Bill (seed 000 §8.3, seed 001 §4.2).

Inbound, QBO's numbers are kept as QBO computed them (it is the accounting truth): totals, tax, balances.
Outbound, the payload carries what QBO lets a client write — lines, refs, dates, notes — and never totals,
which QBO recomputes. A material markup is baked into the line's UnitPrice because QBO has no markup field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from domain.models.payments import Bill, Payment
from domain.models.sales import (
    Estimate,
    EstimateStatus,
    Invoice,
    InvoiceStatus,
)
from domain.money import ZERO
from domain.services.payment_methods import UNSPECIFIED
from integrations.quickbooks.mapping.lines import (
    document_tax,
    document_totals,
    line_to_qbo,
    lines_from_qbo,
    memo,
    tax_code_ref,
)
from integrations.quickbooks.mapping.lists import (
    Fields,
    MappingError,
    Refs,
    approved_at,
    compact,
    identity_fields,
    money,
    qbo_date,
    ref,
    ref_value,
    with_identity,
)

VOID_NOTE = "Voided"

# QBO has Pending/Accepted/Closed/Rejected(/Converted); the app has a richer lifecycle.
ESTIMATE_STATUS_TO_QBO: dict[EstimateStatus, str] = {
    EstimateStatus.DRAFT: "Pending",
    EstimateStatus.SENT: "Pending",
    EstimateStatus.VIEWED: "Pending",
    EstimateStatus.APPROVED: "Accepted",
    EstimateStatus.CONVERTED: "Closed",
    EstimateStatus.REJECTED: "Rejected",
    EstimateStatus.EXPIRED: "Closed",
}


def estimate_status_from_qbo(txn_status: str | None, email_status: str | None) -> EstimateStatus:
    status = (txn_status or "Pending").lower()
    if status == "accepted":
        return EstimateStatus.APPROVED
    if status in ("closed", "converted"):
        return EstimateStatus.CONVERTED
    if status == "rejected":
        return EstimateStatus.REJECTED
    return EstimateStatus.SENT if email_status == "EmailSent" else EstimateStatus.DRAFT


@dataclass
class MappedDocument:
    """Header field values plus the lines, in order, ready to become model rows."""

    fields: Fields
    lines: list[Fields] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AppliedInvoice:
    qbo_invoice_id: str
    invoice_id: str | None
    amount: Decimal


@dataclass
class MappedPayment:
    fields: Fields
    applications: list[AppliedInvoice] = field(default_factory=list)


# ---- Estimate ------------------------------------------------------------------------------------------------


def estimate_from_qbo(obj: dict[str, Any], refs: Refs) -> MappedDocument:
    lines, subtotal, discount = lines_from_qbo(obj.get("Line") or [], refs)
    fields: Fields = {
        **identity_fields(obj),
        "doc_number": obj.get("DocNumber"),
        "customer_id": refs.require_local("customer", ref_value(obj, "CustomerRef")),
        "status": estimate_status_from_qbo(obj.get("TxnStatus"), obj.get("EmailStatus")),
        "txn_date": qbo_date(obj.get("TxnDate")),
        "valid_until": qbo_date(obj.get("ExpirationDate")),
        "customer_notes": (obj.get("CustomerMemo") or {}).get("value"),
        "internal_notes": obj.get("PrivateNote"),
        "approved_by": obj.get("AcceptedBy"),
        "approved_at": approved_at(obj.get("AcceptedDate")),
        **document_tax(obj, refs),
        **document_totals(obj, lines, subtotal, discount),
    }
    return MappedDocument(fields, lines)


def estimate_to_qbo(row: Estimate, refs: Refs) -> dict[str, Any]:
    return with_identity(
        compact(
            {
                "DocNumber": row.doc_number,
                "CustomerRef": ref(refs.require_qbo("customer", row.customer_id)),
                "TxnDate": row.txn_date,
                "ExpirationDate": row.valid_until,
                "TxnStatus": ESTIMATE_STATUS_TO_QBO[EstimateStatus(row.status)],
                "Line": [line_to_qbo(line, refs) for line in row.lines],
                "TxnTaxDetail": tax_code_ref(row, refs),
                "CustomerMemo": memo(row.customer_notes),
                "PrivateNote": row.internal_notes,
                "AcceptedBy": row.approved_by,
                "AcceptedDate": row.approved_at.date() if row.approved_at else None,
            }
        ),
        row,
    )


# ---- Invoice -------------------------------------------------------------------------------------------------


def invoice_status(total: Decimal, balance: Decimal, voided: bool) -> InvoiceStatus:
    """The same rule as the domain's ``refresh_status``, from QBO's TotalAmt and Balance."""
    if voided:
        return InvoiceStatus.VOID
    if balance <= 0:
        return InvoiceStatus.PAID
    if balance < total:
        return InvoiceStatus.PARTIAL
    return InvoiceStatus.OPEN


def invoice_from_qbo(obj: dict[str, Any], refs: Refs) -> MappedDocument:
    lines, subtotal, discount = lines_from_qbo(obj.get("Line") or [], refs)
    totals = document_totals(obj, lines, subtotal, discount)
    total: Decimal = totals["total"]
    balance = money(obj.get("Balance")) or ZERO
    note = obj.get("PrivateNote")
    voided = bool(note and str(note).startswith(VOID_NOTE) and total == 0)
    estimate_qbo = next(
        (str(lt["TxnId"]) for lt in obj.get("LinkedTxn") or [] if lt.get("TxnType") == "Estimate"), None
    )
    fields: Fields = {
        **identity_fields(obj),
        "doc_number": obj.get("DocNumber"),
        "customer_id": refs.require_local("customer", ref_value(obj, "CustomerRef")),
        "estimate_id": refs.local("estimate", estimate_qbo),
        "issue_date": qbo_date(obj.get("TxnDate")),
        "due_date": qbo_date(obj.get("DueDate")),
        "term_id": refs.local("term", ref_value(obj, "SalesTermRef")),
        "customer_notes": (obj.get("CustomerMemo") or {}).get("value"),
        "internal_notes": note,
        # QBO is the accounting truth: the balance is QBO's, what was paid is the difference.
        "balance_due": balance,
        "amount_paid": ZERO if voided else total - balance,
        "status": invoice_status(total, balance, voided),
        **document_tax(obj, refs),
        **totals,
    }
    return MappedDocument(fields, lines)


def invoice_to_qbo(row: Invoice, refs: Refs) -> dict[str, Any]:
    estimate_qbo = refs.qbo("estimate", row.estimate_id)
    return with_identity(
        compact(
            {
                "DocNumber": row.doc_number,
                "CustomerRef": ref(refs.require_qbo("customer", row.customer_id)),
                "TxnDate": row.issue_date,
                "DueDate": row.due_date,
                "SalesTermRef": ref(refs.qbo("term", row.term_id)),
                "Line": [line_to_qbo(line, refs) for line in row.lines],
                "TxnTaxDetail": tax_code_ref(row, refs),
                "CustomerMemo": memo(row.customer_notes),
                "PrivateNote": row.internal_notes,
                "LinkedTxn": [{"TxnId": estimate_qbo, "TxnType": "Estimate"}] if estimate_qbo else None,
            }
        ),
        row,
    )


# ---- Payment -------------------------------------------------------------------------------------------------


def payment_from_qbo(obj: dict[str, Any], refs: Refs) -> MappedPayment:
    applications: list[AppliedInvoice] = []
    for line in obj.get("Line") or []:
        amount = money(line.get("Amount")) or ZERO
        for linked in line.get("LinkedTxn") or []:
            if linked.get("TxnType") == "Invoice":
                qbo_invoice = str(linked["TxnId"])
                applications.append(AppliedInvoice(qbo_invoice, refs.local("invoice", qbo_invoice), amount))
    note = obj.get("PrivateNote")
    total = money(obj.get("TotalAmt")) or ZERO
    method = refs.payment_methods.get(ref_value(obj, "PaymentMethodRef") or "")
    fields: Fields = {
        **identity_fields(obj),
        "customer_id": refs.require_local("customer", ref_value(obj, "CustomerRef")),
        "amount": total,
        "unapplied_amount": money(obj.get("UnappliedAmt")),
        "currency": ref_value(obj, "CurrencyRef") or "USD",
        "payment_date": qbo_date(obj.get("TxnDate")),
        "payment_method": method or UNSPECIFIED,
        "reference_number": obj.get("PaymentRefNum"),
        "memo": note,
        "voided": bool(note and str(note).startswith(VOID_NOTE) and total == 0),
    }
    return MappedPayment(fields, applications)


def _payment_method_id(row: Payment, refs: Refs) -> str | None:
    """The company's PaymentMethod for the payment's method; one its list lacks stops the push, never dropped."""
    if not row.payment_method or row.payment_method == UNSPECIFIED or not refs.payment_methods:
        return None
    found = refs.payment_method_id(row.payment_method)
    if found is None:
        raise MappingError(
            f"QuickBooks has no payment method '{row.payment_method}'; add it there or change the payment's method",
            kind="payment_method",
            id=row.payment_method,
        )
    return found


def payment_to_qbo(row: Payment, refs: Refs) -> dict[str, Any]:
    lines = [
        {
            "Amount": app.amount,
            "LinkedTxn": [{"TxnId": refs.require_qbo("invoice", app.invoice_id), "TxnType": "Invoice"}],
        }
        for app in row.applications
    ]
    return with_identity(
        compact(
            {
                "CustomerRef": ref(refs.require_qbo("customer", row.customer_id)),
                "TotalAmt": row.amount,
                "TxnDate": row.payment_date,
                "PaymentMethodRef": ref(_payment_method_id(row, refs)),
                "PaymentRefNum": row.reference_number,
                "PrivateNote": row.memo,
                "Line": lines,
            }
        ),
        row,
    )


# ---- Bill ----------------------------------------------------------------------------------------------------


def bill_from_qbo(obj: dict[str, Any], refs: Refs) -> Fields:
    return {
        **identity_fields(obj),
        "vendor_id": refs.require_local("vendor", ref_value(obj, "VendorRef")),
        "doc_number": obj.get("DocNumber"),
        "txn_date": qbo_date(obj.get("TxnDate")),
        "due_date": qbo_date(obj.get("DueDate")),
        "total": money(obj.get("TotalAmt")),
        "balance": money(obj.get("Balance")),
        "memo": obj.get("PrivateNote"),
    }


def bill_to_qbo(row: Bill, refs: Refs, *, expense_account_qbo_id: str) -> dict[str, Any]:
    """The app keeps a bill's total only, so it goes out as one account-based expense line."""
    line = {
        "DetailType": "AccountBasedExpenseLineDetail",
        "Amount": row.total,
        "AccountBasedExpenseLineDetail": {"AccountRef": {"value": expense_account_qbo_id}},
    }
    return with_identity(
        compact(
            {
                "VendorRef": ref(refs.require_qbo("vendor", row.vendor_id)),
                "DocNumber": row.doc_number,
                "TxnDate": row.txn_date,
                "DueDate": row.due_date,
                "PrivateNote": row.memo,
                "Line": [line],
            }
        ),
        row,
    )


__all__ = [
    "ESTIMATE_STATUS_TO_QBO",
    "AppliedInvoice",
    "MappedDocument",
    "MappedPayment",
    "bill_from_qbo",
    "bill_to_qbo",
    "estimate_from_qbo",
    "estimate_status_from_qbo",
    "estimate_to_qbo",
    "invoice_from_qbo",
    "invoice_status",
    "invoice_to_qbo",
    "line_to_qbo",
    "lines_from_qbo",
    "payment_from_qbo",
    "payment_to_qbo",
]
