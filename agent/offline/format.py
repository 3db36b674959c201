"""Small wording helpers the offline answers share: money as money, plurals, and what a query looked at."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

_KINDS = {
    "LIST_INVOICES": "invoices",
    "GET_INVOICE": "invoices",
    "LIST_ESTIMATES": "estimates",
    "GET_ESTIMATE": "estimates",
    "LIST_PAYMENTS": "payments",
    "LIST_BILLS": "bills",
    "LIST_CUSTOMERS": "active customers",
    "GET_CUSTOMER": "customers",
    "LIST_ITEMS": "active items",
}


def money(value: Any) -> str:
    if value is None:
        return "$0.00"
    try:
        amount = Decimal(str(value).replace("$", "").replace(",", ""))
    except InvalidOperation:
        return str(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def describe_filters(intent: dict[str, Any]) -> str:
    """The period and filters a query used, in words: "open invoices, all dates, customer Bob's Bakery"."""
    f = intent.get("filters") or {}
    kind = _KINDS.get(intent.get("operation", ""), "records")
    parts = [f"{f['status']} {kind}" if f.get("status") else kind]
    if kind in {"active customers", "active items", "customers"}:
        pass
    elif f.get("dateFrom") and f.get("dateTo"):
        parts.append(f"dated {f['dateFrom']} to {f['dateTo']}")
    elif f.get("dateFrom"):
        parts.append(f"dated from {f['dateFrom']}")
    elif f.get("dateTo"):
        parts.append(f"dated up to {f['dateTo']}")
    else:
        parts.append("all dates")
    if f.get("customerName"):
        parts.append(f"customer {f['customerName']}")
    if f.get("vendorName"):
        parts.append(f"vendor {f['vendorName']}")
    if f.get("docNumber"):
        parts.append(f"number {f['docNumber']}")
    low, high = f.get("minAmount"), f.get("maxAmount")
    if low is not None and high is not None:
        parts.append(f"amounts {money(low)} to {money(high)}")
    elif low is not None:
        parts.append(f"amounts {money(low)} or more")
    elif high is not None:
        parts.append(f"amounts up to {money(high)}")
    if intent.get("groupBy"):
        parts.append(f"grouped by {intent['groupBy']}")
    if intent.get("limit"):
        parts.append(f"top {intent['limit']}")
    return ", ".join(parts)
