"""QboIntent → QBO query text, plus what QBO's query language cannot say, applied after the fetch.

The semantics are DESIGN §3.1 and match domain.queries exactly: TxnDate ranges inclusive, open = Balance > 0,
paid = Balance = 0, overdue = open and DueDate < today, partial = 0 < Balance < TotalAmt, amount bounds and sums
on Balance for open/overdue/partial and TotalAmt otherwise, active-only name lists, newest first, always paged.
QBO has no OR, no column comparisons and no "today", so ``overdue`` and ``partial`` are narrowed to Balance > 0
in the query and finished by :func:`apply_post_filters`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from domain.estimate_stages import TXN_STATUSES
from domain.intent import MAX_PAGE_SIZE, AggregateValue, IntentStatus, Operation, QboIntent
from domain.money import cents, to_decimal
from domain.rankings import rank_rows

ENTITY_BY_OPERATION: dict[Operation, str] = {
    Operation.LIST_INVOICES: "Invoice",
    Operation.GET_INVOICE: "Invoice",
    Operation.LIST_ESTIMATES: "Estimate",
    Operation.GET_ESTIMATE: "Estimate",
    Operation.LIST_PAYMENTS: "Payment",
    Operation.LIST_BILLS: "Bill",
    Operation.LIST_CUSTOMERS: "Customer",
    Operation.GET_CUSTOMER: "Customer",
    Operation.LIST_ITEMS: "Item",
}
ORDER_BY: dict[str, str] = {
    "Invoice": "TxnDate DESC",
    "Estimate": "TxnDate DESC",
    "Payment": "TxnDate DESC",
    "Bill": "TxnDate DESC",
    "Customer": "DisplayName",
    "Item": "Name",
}
_BALANCE_ENTITIES = frozenset({"Invoice", "Bill"})
POST_FILTERS = frozenset({IntentStatus.OVERDUE, IntentStatus.PARTIAL})


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    """What to send to QBO and what to do with the answer.

    ``select`` has no paging (for a client that pages itself); ``text`` is the one query to run and show.
    When ``page_after_filter`` is true the rows QBO returns are a bounded scan window (post filters or a
    sum/count must see every match), and :func:`finish_rows` filters, aggregates and pages them. When
    ``pull_all`` is true (grouping, sorting, top-N) the caller pages ``select`` to the end first.
    """

    entity: str
    select: str
    text: str
    post_filters: tuple[IntentStatus, ...]
    aggregate_field: str | None
    start_position: int
    max_results: int
    page_after_filter: bool
    pull_all: bool = False


def _order_by(intent: QboIntent, entity: str) -> str:
    """QBO's ORDERBY for a sorted list; groups and days overdue are ordered locally, after the pull."""
    sort = intent.sort
    if sort is None or intent.group_by is not None or sort.field in {"count", "daysOverdue"}:
        return ORDER_BY[entity]
    column = {"date": "TxnDate", "balance": "Balance", "amount": intent.amount_field}[sort.field]
    return f"{column} {sort.direction.upper()}"


def quote(value: str) -> str:
    """A QBO string literal: backslash-escaped quotes (``'O\\'Brien'``), never doubled ones."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _amount(value: Decimal) -> str:
    return quote(format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f"))


def _where(intent: QboIntent, entity: str, customer_id: str | None, vendor_id: str | None) -> list[str]:
    f = intent.filters
    clauses: list[str] = []
    if entity in {"Customer", "Item"}:
        clauses.append("Active = true")
        if entity == "Customer" and f.customer_name:
            clauses.append(
                f"Id = {quote(customer_id)}" if customer_id else f"DisplayName = {quote(f.customer_name)}"
            )
        return clauses
    if f.customer_name:
        if customer_id is None:
            raise ValueError("resolve customerName to a QBO customer id before compiling")
        clauses.append(f"CustomerRef = {quote(customer_id)}")
    if f.vendor_name:
        if vendor_id is None:
            raise ValueError("resolve vendorName to a QBO vendor id before compiling")
        clauses.append(f"VendorRef = {quote(vendor_id)}")
    if f.doc_number:
        clauses.append(f"DocNumber = {quote(f.doc_number)}")
    if f.date_from:
        clauses.append(f"TxnDate >= {quote(f.date_from.isoformat())}")
    if f.date_to:
        clauses.append(f"TxnDate <= {quote(f.date_to.isoformat())}")
    if f.status is not None:
        if entity in _BALANCE_ENTITIES:
            clauses.append("Balance = '0'" if f.status is IntentStatus.PAID else "Balance > '0'")
        elif entity == "Estimate":
            labels = TXN_STATUSES[f.status]
            if len(labels) == 1:
                clauses.append(f"TxnStatus = {quote(labels[0])}")
            else:
                clauses.append(f"TxnStatus IN ({', '.join(quote(label) for label in labels)})")
    field = intent.amount_field
    if f.min_amount is not None:
        clauses.append(f"{field} >= {_amount(f.min_amount)}")
    if f.max_amount is not None:
        clauses.append(f"{field} <= {_amount(f.max_amount)}")
    return clauses


def compile_intent(
    intent: QboIntent,
    *,
    customer_id: str | None = None,
    vendor_id: str | None = None,
    today: date,
) -> CompiledQuery:
    """The QBO query for *intent*; names must already be resolved to ids (domain.names)."""
    del today  # the query itself never needs it (QBO has no "today"); post filters take it explicitly
    entity = ENTITY_BY_OPERATION[intent.operation]
    clauses = _where(intent, entity, customer_id, vendor_id)
    select = f"SELECT * FROM {entity}"
    if clauses:
        select += " WHERE " + " AND ".join(clauses)
    select += f" ORDERBY {_order_by(intent, entity)}"
    post = tuple(s for s in (intent.filters.status,) if s in POST_FILTERS and entity in _BALANCE_ENTITIES)
    page_after = bool(post) or intent.aggregate is not None or intent.ranked
    if page_after:
        start, size = 1, MAX_PAGE_SIZE  # the whole (bounded) window: filter and aggregate before paging
    else:
        start, size = intent.pagination.start_position, intent.pagination.page_size
    return CompiledQuery(
        entity=entity,
        select=select,
        text=f"{select} STARTPOSITION {start} MAXRESULTS {size}",
        post_filters=post,
        aggregate_field=intent.amount_field if intent.aggregate == "sum" else None,
        start_position=start,
        max_results=size,
        page_after_filter=page_after,
        pull_all=intent.ranked,
    )


def _decimal(row: dict[str, Any], key: str) -> Decimal:
    value = row.get(key)
    return to_decimal(value) if value is not None else Decimal(0)


def _is_overdue(row: dict[str, Any], today: date) -> bool:
    due = row.get("DueDate")
    if not due or _decimal(row, "Balance") <= 0:
        return False
    due_date = due if isinstance(due, date) else date.fromisoformat(str(due)[:10])
    return due_date < today


def _is_partial(row: dict[str, Any]) -> bool:
    balance = _decimal(row, "Balance")
    return Decimal(0) < balance < _decimal(row, "TotalAmt")


def apply_post_filters(
    rows: Sequence[dict[str, Any]], compiled: CompiledQuery, today: date
) -> list[dict[str, Any]]:
    """Keep the rows that also pass what the query could not say (overdue, partial)."""
    kept = list(rows)
    for status in compiled.post_filters:
        if status is IntentStatus.OVERDUE:
            kept = [r for r in kept if _is_overdue(r, today)]
        elif status is IntentStatus.PARTIAL:
            kept = [r for r in kept if _is_partial(r)]
    return kept


def aggregate_rows(rows: Sequence[dict[str, Any]], intent: QboIntent) -> AggregateValue | None:
    """sum of Balance (open/overdue/partial) or TotalAmt, or a count of records — in Decimal."""
    if intent.aggregate is None:
        return None
    if intent.aggregate == "count":
        return AggregateValue("count", Decimal(len(rows)))
    field = intent.amount_field
    return AggregateValue("sum", cents(sum((_decimal(r, field) for r in rows), Decimal(0))))


def page_rows(rows: Sequence[dict[str, Any]], intent: QboIntent) -> list[dict[str, Any]]:
    offset = intent.pagination.offset
    return list(rows[offset : offset + intent.pagination.page_size])


def finish_rows(
    rows: Sequence[dict[str, Any]], compiled: CompiledQuery, intent: QboIntent, today: date
) -> tuple[list[dict[str, Any]], AggregateValue | None]:
    """Rows as QBO returned them → (the requested page, the aggregate over every match)."""
    matched = apply_post_filters(rows, compiled, today)
    aggregate = aggregate_rows(matched, intent)
    if intent.ranked:
        matched = rank_rows(matched, intent, today)
    if compiled.page_after_filter:
        return page_rows(matched, intent), aggregate
    return matched, aggregate
