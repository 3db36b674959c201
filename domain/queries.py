"""Run a QboIntent against the local store with exactly the semantics the QBO compiler gives it.

DESIGN §3.1: dates on the transaction date, inclusive; statuses from balances (invoices, bills) or the estimate
lifecycle; amount bounds and sums on Balance for open/overdue/partial, TotalAmt otherwise; names resolved to ids
by fuzzy match (unknown or ambiguous → an error, never an empty answer); active customers and items only;
newest first and paged. Rows come back in QBO field names so the answer layer treats both sources alike.
Drafts and voided documents are left out: they are not in the books QBO holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from domain.estimate_stages import STAGES, TXN_STATUS_LABEL
from domain.intent import AggregateValue, IntentStatus, Operation, QboIntent
from domain.models import (
    Bill,
    Customer,
    Estimate,
    EstimateStatus,
    Invoice,
    InvoiceStatus,
    Item,
    Payment,
    Vendor,
)
from domain.money import cents
from domain.names import NameCandidate, resolve_name
from domain.rankings import rank_rows

ZERO = Decimal("0")


@dataclass(frozen=True, slots=True)
class LocalResult:
    rows: list[dict[str, Any]]
    aggregate: AggregateValue | None
    total_matches: int


def _ref_id(row: Customer | Vendor | Invoice | Estimate | Payment | Bill | Item) -> str:
    return row.qbo_id or row.id


def name_candidates(
    session: Session, tenant_id: str, model: type[Customer] | type[Vendor]
) -> list[NameCandidate]:
    """Every customer's (or vendor's) names, to resolve what a person typed against.

    Only the four columns a match needs are read: a question names a customer on most turns, and loading whole
    rows (addresses are JSON) for every customer of a large company would cost more than the question itself.
    """
    rows = session.execute(
        select(model.id, model.display_name, model.company_name, model.active).where(
            model.tenant_id == tenant_id
        )
    )
    return [
        NameCandidate(
            id=row.id,
            name=row.display_name,
            aliases=(row.company_name,) if row.company_name and row.company_name != row.display_name else (),
            active=bool(row.active),
        )
        for row in rows
    ]


# ------------------------------------------------------------------ per-entity conditions


def _balance_status(
    status: IntentStatus,
    balance: InstrumentedAttribute[Decimal],
    total: InstrumentedAttribute[Decimal],
    due: InstrumentedAttribute[date | None],
    today: date,
) -> ColumnElement[bool]:
    if status is IntentStatus.PAID:
        return balance == ZERO
    if status is IntentStatus.OPEN:
        return balance > ZERO
    if status is IntentStatus.OVERDUE:
        return and_(balance > ZERO, due.is_not(None), due < today)
    if status is IntentStatus.PARTIAL:
        return and_(balance > ZERO, balance < total)
    return false()


def _amount_bounds(intent: QboIntent, column: InstrumentedAttribute[Decimal]) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if intent.filters.min_amount is not None:
        out.append(column >= intent.filters.min_amount)
    if intent.filters.max_amount is not None:
        out.append(column <= intent.filters.max_amount)
    return out


def _date_bounds(intent: QboIntent, column: InstrumentedAttribute[date]) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if intent.filters.date_from is not None:
        out.append(column >= intent.filters.date_from)
    if intent.filters.date_to is not None:
        out.append(column <= intent.filters.date_to)
    return out


@dataclass(frozen=True, slots=True)
class _Plan:
    """A statement for the matching rows, how to order them, the amount column and how to render a row."""

    statement: Select[Any, Any]
    amount: InstrumentedAttribute[Decimal] | None


def _invoice_plan(tenant_id: str, intent: QboIntent, customer_id: str | None, today: date) -> _Plan:
    f = intent.filters
    conds: list[ColumnElement[bool]] = [
        Invoice.tenant_id == tenant_id,
        Invoice.status.not_in([InvoiceStatus.DRAFT, InvoiceStatus.VOID]),
        *_date_bounds(intent, Invoice.issue_date),
    ]
    if customer_id:
        conds.append(Invoice.customer_id == customer_id)
    if f.doc_number:
        conds.append(Invoice.doc_number == f.doc_number)
    if f.status is not None:
        conds.append(_balance_status(f.status, Invoice.balance_due, Invoice.total, Invoice.due_date, today))
    amount = Invoice.balance_due if intent.amount_field == "Balance" else Invoice.total
    conds += _amount_bounds(intent, amount)
    stmt = (
        select(Invoice, Customer)
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(*conds)
        .order_by(Invoice.issue_date.desc(), Invoice.doc_number.desc(), Invoice.id)
    )
    return _Plan(stmt, amount)


def _estimate_plan(tenant_id: str, intent: QboIntent, customer_id: str | None, today: date) -> _Plan:
    f = intent.filters
    conds: list[ColumnElement[bool]] = [
        Estimate.tenant_id == tenant_id,
        *_date_bounds(intent, Estimate.txn_date),
    ]
    if customer_id:
        conds.append(Estimate.customer_id == customer_id)
    if f.doc_number:
        conds.append(Estimate.doc_number == f.doc_number)
    if f.status is not None:
        conds.append(Estimate.status.in_(STAGES[f.status]))
    conds += _amount_bounds(intent, Estimate.total)
    stmt = (
        select(Estimate, Customer)
        .join(Customer, Customer.id == Estimate.customer_id)
        .where(*conds)
        .order_by(Estimate.txn_date.desc(), Estimate.doc_number.desc(), Estimate.id)
    )
    return _Plan(stmt, Estimate.total)


def _payment_plan(tenant_id: str, intent: QboIntent, customer_id: str | None, today: date) -> _Plan:
    conds: list[ColumnElement[bool]] = [
        Payment.tenant_id == tenant_id,
        Payment.voided.is_(False),
        *_date_bounds(intent, Payment.payment_date),
        *_amount_bounds(intent, Payment.amount),
    ]
    if customer_id:
        conds.append(Payment.customer_id == customer_id)
    stmt = (
        select(Payment, Customer)
        .join(Customer, Customer.id == Payment.customer_id)
        .where(*conds)
        .order_by(Payment.payment_date.desc(), Payment.created_at.desc(), Payment.id)
    )
    return _Plan(stmt, Payment.amount)


def _bill_plan(tenant_id: str, intent: QboIntent, vendor_id: str | None, today: date) -> _Plan:
    f = intent.filters
    conds: list[ColumnElement[bool]] = [Bill.tenant_id == tenant_id, *_date_bounds(intent, Bill.txn_date)]
    if vendor_id:
        conds.append(Bill.vendor_id == vendor_id)
    if f.doc_number:
        conds.append(Bill.doc_number == f.doc_number)
    if f.status is not None:
        conds.append(_balance_status(f.status, Bill.balance, Bill.total, Bill.due_date, today))
    amount = Bill.balance if intent.amount_field == "Balance" else Bill.total
    conds += _amount_bounds(intent, amount)
    stmt = (
        select(Bill, Vendor)
        .join(Vendor, Vendor.id == Bill.vendor_id)
        .where(*conds)
        .order_by(Bill.txn_date.desc(), Bill.doc_number.desc(), Bill.id)
    )
    return _Plan(stmt, amount)


# ------------------------------------------------------------------ rows in QBO shape


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _party_ref(party: Customer | Vendor) -> dict[str, str]:
    return {"value": _ref_id(party), "name": party.display_name}


def _row(record: Any, party: Any) -> dict[str, Any]:
    if isinstance(record, Invoice):
        return {
            "Id": _ref_id(record),
            "DocNumber": record.doc_number,
            "TxnDate": _iso(record.issue_date),
            "DueDate": _iso(record.due_date),
            "TotalAmt": record.total,
            "Balance": record.balance_due,
            "CustomerRef": _party_ref(party),
        }
    if isinstance(record, Estimate):
        return {
            "Id": _ref_id(record),
            "DocNumber": record.doc_number,
            "TxnDate": _iso(record.txn_date),
            "ExpirationDate": _iso(record.valid_until),
            "TxnStatus": TXN_STATUS_LABEL.get(EstimateStatus(record.status), "Pending"),
            "TotalAmt": record.total,
            "CustomerRef": _party_ref(party),
        }
    if isinstance(record, Payment):
        return {
            "Id": _ref_id(record),
            "TxnDate": _iso(record.payment_date),
            "TotalAmt": record.amount,
            "UnappliedAmt": record.unapplied_amount,
            "PaymentRefNum": record.reference_number,
            "CustomerRef": _party_ref(party),
        }
    if isinstance(record, Bill):
        return {
            "Id": _ref_id(record),
            "DocNumber": record.doc_number,
            "TxnDate": _iso(record.txn_date),
            "DueDate": _iso(record.due_date),
            "TotalAmt": record.total,
            "Balance": record.balance,
            "VendorRef": _party_ref(party),
        }
    raise TypeError(
        f"no QBO shape for {type(record).__name__}"
    )  # pragma: no cover - plans only yield the above


def _customer_row(c: Customer) -> dict[str, Any]:
    return {
        "Id": _ref_id(c),
        "DisplayName": c.display_name,
        "CompanyName": c.company_name,
        "GivenName": c.first_name,
        "FamilyName": c.last_name,
        "PrimaryEmailAddr": {"Address": c.email} if c.email else None,
        "PrimaryPhone": {"FreeFormNumber": c.phone} if c.phone else None,
        "Active": c.active,
    }


def _item_row(i: Item) -> dict[str, Any]:
    return {
        "Id": _ref_id(i),
        "Name": i.name,
        "Description": i.description,
        "Type": i.type,
        "UnitPrice": i.rate,
        "Taxable": i.taxable,
        "Active": i.active,
    }


# ------------------------------------------------------------------ entry point


def _aggregate(intent: QboIntent, amounts: Sequence[Decimal], count: int) -> AggregateValue | None:
    if intent.aggregate == "count":
        return AggregateValue("count", Decimal(count))
    if intent.aggregate == "sum":
        return AggregateValue("sum", cents(sum(amounts, ZERO)))
    return None


def run_intent_locally(
    session: Session,
    tenant_id: str,
    intent: QboIntent,
    *,
    today: date,
    customer_id: str | None = None,
    vendor_id: str | None = None,
) -> LocalResult:
    """Rows of the requested page (QBO field names), the aggregate over every match, and how many matched.

    The customer and vendor the intent names are resolved here unless the caller already did (their local ids).
    """
    f = intent.filters
    op = intent.operation
    page = intent.pagination
    if f.customer_name and customer_id is None:
        customer_id = resolve_name(
            f.customer_name, name_candidates(session, tenant_id, Customer), kind="customer"
        ).id
    if f.vendor_name and vendor_id is None:
        vendor_id = resolve_name(f.vendor_name, name_candidates(session, tenant_id, Vendor), kind="vendor").id

    if op in {Operation.LIST_CUSTOMERS, Operation.GET_CUSTOMER}:
        cstmt = select(Customer).where(Customer.tenant_id == tenant_id, Customer.active.is_(True))
        if customer_id:
            cstmt = cstmt.where(Customer.id == customer_id)
        customers = session.scalars(cstmt.order_by(Customer.display_name, Customer.id)).all()
        crows = [_customer_row(c) for c in customers]
        return LocalResult(
            crows[page.offset : page.offset + page.page_size], _aggregate(intent, [], len(crows)), len(crows)
        )
    if op is Operation.LIST_ITEMS:
        items = session.scalars(
            select(Item)
            .where(Item.tenant_id == tenant_id, Item.active.is_(True))
            .order_by(Item.name, Item.id)
        ).all()
        irows = [_item_row(i) for i in items]
        return LocalResult(
            irows[page.offset : page.offset + page.page_size], _aggregate(intent, [], len(irows)), len(irows)
        )

    if op in {Operation.LIST_INVOICES, Operation.GET_INVOICE}:
        plan = _invoice_plan(tenant_id, intent, customer_id, today)
    elif op in {Operation.LIST_ESTIMATES, Operation.GET_ESTIMATE}:
        plan = _estimate_plan(tenant_id, intent, customer_id, today)
    elif op is Operation.LIST_PAYMENTS:
        plan = _payment_plan(tenant_id, intent, customer_id, today)
    else:
        plan = _bill_plan(tenant_id, intent, vendor_id, today)

    # The aggregate covers every match; only the page is materialised as rows.
    amounts: list[Decimal] = []
    if plan.amount is not None:
        amounts = list(session.scalars(plan.statement.with_only_columns(plan.amount).order_by(None)).all())
    count = len(amounts)
    aggregate = _aggregate(intent, amounts, count)
    if intent.ranked:
        # Grouping and ranking need every match; the page is cut from the ranked list.
        ranked = rank_rows(
            [_row(record, party) for record, party in session.execute(plan.statement)], intent, today
        )
        return LocalResult(ranked[page.offset : page.offset + page.page_size], aggregate, len(ranked))
    paged = session.execute(plan.statement.offset(page.offset).limit(page.page_size)).all()
    rows = [_row(record, party) for record, party in paged]
    return LocalResult(rows, aggregate, count)
