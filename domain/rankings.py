"""Group, sort and cut to top-N the rows of a QboIntent — the part of a question QBO's query language cannot say.

Both sources use this one function on rows in QBO field names, after a complete pull of the matches, so the local
store and live QuickBooks rank alike. A group row is ``{"CustomerRef"|"VendorRef": {value, name}, "Count",
"Amount", "Balance", "DaysOverdue"}``: Amount adds the field amount bounds and sums use (DESIGN §3.1), Balance the
open balance (invoices, bills), DaysOverdue the oldest overdue day count in the group.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from domain.intent import Operation, QboIntent
from domain.money import cents, to_decimal

ZERO = Decimal("0")
_BALANCE_OPERATIONS = frozenset({Operation.LIST_INVOICES, Operation.LIST_BILLS})


def _decimal(row: dict[str, Any], key: str) -> Decimal:
    value = row.get(key)
    return to_decimal(value) if value is not None else ZERO


def _day(value: Any) -> date | None:
    if not value:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def days_overdue(row: dict[str, Any], today: date) -> int:
    """Days past DueDate of a record with a balance; 0 when it is not overdue."""
    due = _day(row.get("DueDate"))
    if due is None or _decimal(row, "Balance") <= ZERO or due >= today:
        return 0
    return (today - due).days


def party_key(intent: QboIntent) -> str:
    return "VendorRef" if intent.operation is Operation.LIST_BILLS else "CustomerRef"


def _party(row: dict[str, Any], key: str) -> dict[str, str]:
    ref = row.get(key) or {}
    return {"value": str(ref.get("value") or ""), "name": str(ref.get("name") or "")}


def group_rows(rows: Sequence[dict[str, Any]], intent: QboIntent, today: date) -> list[dict[str, Any]]:
    """One row per customer (vendor for bills) with its count and totals, in first-seen order."""
    key = party_key(intent)
    field = intent.amount_field
    with_balance = intent.operation in _BALANCE_OPERATIONS
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        ref = _party(row, key)
        group = groups.setdefault(ref["value"], {key: ref, "Count": 0, "Amount": ZERO})
        group["Count"] += 1
        group["Amount"] += _decimal(row, field)
        if with_balance:
            group["Balance"] = group.get("Balance", ZERO) + _decimal(row, "Balance")
            group["DaysOverdue"] = max(group.get("DaysOverdue", 0), days_overdue(row, today))
    for group in groups.values():
        group["Amount"] = cents(group["Amount"])
        if with_balance:
            group["Balance"] = cents(group["Balance"])
    return list(groups.values())


def _sort_value(intent: QboIntent, today: date, grouped: bool) -> Callable[[dict[str, Any]], Any]:
    sort = intent.sort
    field = sort.field if sort is not None else ("amount" if grouped else "date")
    if field == "date":
        return lambda r: str(r.get("TxnDate") or "")
    if field == "count":
        return lambda r: int(r.get("Count") or 0)
    if field == "daysOverdue":
        if grouped:
            return lambda r: int(r.get("DaysOverdue") or 0)
        return lambda r: days_overdue(r, today)
    if field == "balance":
        return lambda r: _decimal(r, "Balance")
    amount = "Amount" if grouped else intent.amount_field
    return lambda r: _decimal(r, amount)


def _tie_key(row: dict[str, Any], key: str, grouped: bool) -> tuple[str, ...]:
    # Ties break the same way whichever source the rows came from: by name, then by number.
    if grouped:
        ref = row.get(key) or {}
        return (str(ref.get("name") or "").lower(), str(ref.get("value") or ""))
    return (str(row.get("DocNumber") or ""), str(row.get("Id") or ""))


def rank_rows(rows: Sequence[dict[str, Any]], intent: QboIntent, today: date) -> list[dict[str, Any]]:
    """Every match → grouped (if asked), sorted (default: biggest group first, else newest first), top-N."""
    grouped = intent.group_by is not None
    out = group_rows(rows, intent, today) if grouped else list(rows)
    key = party_key(intent)
    descending = intent.sort is None or intent.sort.direction == "desc"
    out.sort(key=lambda r: _tie_key(r, key, grouped))
    out.sort(key=_sort_value(intent, today, grouped), reverse=descending)
    if intent.limit is not None:
        out = out[: intent.limit]
    return out
