"""QBO JSON ↔ domain for transactions: Estimate, Invoice, Payment, Bill (seed 000 §8.3, seed 001 §4.2).

Inbound, QBO's numbers are kept as QBO computed them (it is the accounting truth): totals, tax, balances.
Outbound, the payload carries what QBO lets a client write — lines, refs, dates, notes — and never totals,
which QBO recomputes. A material markup is baked into the line's UnitPrice because QBO has no markup field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from domain.models.catalog import ItemType
from domain.models.payments import Bill, Payment
from domain.models.sales import (
    Estimate,
    EstimateLine,
    EstimateStatus,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineType,
)
from domain.money import ZERO, cents
from integrations.quickbooks.mapping import (
    NON_TAXABLE_CODE,
    TAXABLE_CODE,
    Fields,
    Refs,
    approved_at,
    compact,
    dec,
    identity_fields,
    money,
    qbo_date,
    ref,
    ref_value,
    with_identity,
)

VOID_NOTE = "Voided"
UNIT_PRICE_PLACES = Decimal("0.00001")  # QBO numbers are "10.5" format

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
_ITEM_TO_LINE = {
    ItemType.LABOR: LineType.LABOR,
    ItemType.MATERIAL: LineType.MATERIAL,
    ItemType.DISCOUNT: LineType.DISCOUNT,
    ItemType.FEE: LineType.FEE,
    ItemType.OTHER: LineType.OTHER,
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


# ---- lines -----------------------------------------------------------------------------------------------------


def lines_from_qbo(
    raw_lines: list[dict[str, Any]], refs: Refs
) -> tuple[list[Fields], Decimal | None, Decimal]:
    """(line fields, QBO's subtotal line amount if any, discount total)."""
    lines: list[Fields] = []
    subtotal: Decimal | None = None
    discount = ZERO
    for raw in raw_lines:
        kind = raw.get("DetailType")
        amount = money(raw.get("Amount")) or ZERO
        if kind == "SubTotalLineDetail":
            subtotal = amount
            continue
        position = len(lines) + 1
        description = raw.get("Description")
        if kind == "SalesItemLineDetail":
            detail = raw.get("SalesItemLineDetail") or {}
            qbo_item = ref_value(detail, "ItemRef")
            item_id = refs.local("item", qbo_item)
            quantity = dec(detail.get("Qty"))
            unit_price = dec(detail.get("UnitPrice"))
            if quantity is None:
                quantity = Decimal("1")
            if unit_price is None:
                unit_price = amount / quantity if quantity else amount
            item_type = refs.item_types.get(item_id or "", ItemType.OTHER)
            name = (
                (detail.get("ItemRef") or {}).get("name") or refs.item_names.get(item_id or "") or description
            )
            lines.append(
                {
                    "position": position,
                    "item_id": item_id,
                    "type": _ITEM_TO_LINE[item_type],
                    "name": str(name or "Item"),
                    "description": description,
                    "quantity": quantity,
                    "unit_price": cents(unit_price),
                    "markup_percent": ZERO,
                    "markup_amount": ZERO,
                    "line_subtotal": amount,
                    "taxable": ref_value(detail, "TaxCodeRef") not in (None, NON_TAXABLE_CODE),
                }
            )
        elif kind == "DiscountLineDetail":
            discount += amount
            lines.append(
                _fixed_line(position, LineType.DISCOUNT, description or "Discount", description, amount)
            )
        elif kind == "DescriptionOnly":
            lines.append(_fixed_line(position, LineType.TEXT, description or "", description, ZERO))
        # Group lines and other kinds have no counterpart in the app and are left to QBO.
    return lines, subtotal, discount


def _fixed_line(position: int, kind: LineType, name: str, description: str | None, amount: Decimal) -> Fields:
    is_discount = kind is LineType.DISCOUNT
    return {
        "position": position,
        "item_id": None,
        "type": kind,
        "name": name,
        "description": description,
        "quantity": Decimal("1") if is_discount else ZERO,
        "unit_price": amount,
        "markup_percent": ZERO,
        "markup_amount": ZERO,
        "line_subtotal": -amount if is_discount else ZERO,
        "taxable": False,
    }


def line_to_qbo(line: EstimateLine | InvoiceLine, refs: Refs) -> dict[str, Any]:
    kind = LineType(line.type)
    if kind is LineType.TEXT:
        return {"DetailType": "DescriptionOnly", "Description": line.description or line.name, "Amount": ZERO}
    if kind is LineType.DISCOUNT:
        return compact(
            {
                "DetailType": "DiscountLineDetail",
                "Amount": abs(line.line_subtotal),
                "Description": line.description,
                "DiscountLineDetail": {"PercentBased": False},
            }
        )
    amount = line.line_subtotal
    quantity = line.quantity
    unit_price: Decimal | None = line.unit_price
    if line.markup_amount:
        # QBO checks Amount == Qty × UnitPrice; fold the markup into the price and keep it only if that holds.
        unit_price = (
            (amount / quantity).quantize(UNIT_PRICE_PLACES, rounding=ROUND_HALF_UP) if quantity else None
        )
        if unit_price is not None and cents(quantity * unit_price) != amount:
            unit_price = None
    qbo_item = refs.qbo("item", line.item_id)
    detail = compact(
        {
            "ItemRef": ref(qbo_item, line.name) if qbo_item else None,
            "Qty": quantity,
            "UnitPrice": unit_price,
            "TaxCodeRef": {"value": TAXABLE_CODE if line.taxable else NON_TAXABLE_CODE},
        }
    )
    return compact(
        {
            "DetailType": "SalesItemLineDetail",
            "Amount": amount,
            "Description": line.description or (None if qbo_item else line.name),
            "SalesItemLineDetail": detail,
        }
    )


def _tax_detail(obj: dict[str, Any], refs: Refs) -> Fields:
    detail = obj.get("TxnTaxDetail") or {}
    code = ref_value(detail, "TxnTaxCodeRef")
    percent = next(
        (
            dec((tl.get("TaxLineDetail") or {}).get("TaxPercent"))
            for tl in detail.get("TaxLine") or []
            if (tl.get("TaxLineDetail") or {}).get("TaxPercent") is not None
        ),
        None,
    )
    tax_rate_id = refs.local("tax_code", code)
    if percent is None and tax_rate_id:
        percent = refs.tax_rate_percents.get(tax_rate_id)
    return {
        "tax_rate_id": tax_rate_id,
        "tax_rate_percent": percent if percent is not None else Decimal("0"),
        "tax_total": money(detail.get("TotalTax")),
    }


def _totals(obj: dict[str, Any], lines: list[Fields], subtotal: Decimal | None, discount: Decimal) -> Fields:
    if subtotal is None:
        subtotal = sum((ln["line_subtotal"] for ln in lines if ln["line_subtotal"] > 0), ZERO)
    return {
        "subtotal": subtotal,
        "discount_total": discount,
        "total": money(obj.get("TotalAmt")),
        "currency": ref_value(obj, "CurrencyRef") or "USD",
    }


def _tax_ref(row: Estimate | Invoice, refs: Refs) -> dict[str, Any] | None:
    code = refs.qbo("tax_code", row.tax_rate_id)
    return {"TxnTaxCodeRef": {"value": code}} if code else None


def _memo(text: str | None) -> dict[str, str] | None:
    return {"value": text} if text else None


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
        **_tax_detail(obj, refs),
        **_totals(obj, lines, subtotal, discount),
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
                "TxnTaxDetail": _tax_ref(row, refs),
                "CustomerMemo": _memo(row.customer_notes),
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
    totals = _totals(obj, lines, subtotal, discount)
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
        **_tax_detail(obj, refs),
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
                "TxnTaxDetail": _tax_ref(row, refs),
                "CustomerMemo": _memo(row.customer_notes),
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
        "payment_method": method or "other",
        "reference_number": obj.get("PaymentRefNum"),
        "memo": note,
        "voided": bool(note and str(note).startswith(VOID_NOTE) and total == 0),
    }
    return MappedPayment(fields, applications)


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
                "PaymentMethodRef": ref(refs.payment_method_id(row.payment_method)),
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
