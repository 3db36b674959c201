"""A/R aging: open invoice balances in buckets of days past due (current, 1–30, 31–60, 61–90, 91+), per customer
and in total, as of a date. One rule for the local answer and for the sandbox's AgedReceivables report.

Days past due count from DueDate (TxnDate when an invoice has none) to the report date; a balance not yet due
is current. Only open balances count: paid and voided invoices are left out by the caller.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from domain.money import cents

ZERO = Decimal("0")
BUCKETS = ("current", "1-30", "31-60", "61-90", "91+")
# QBO's column titles for the same buckets (AgedReceivables summary) and section titles (detail report).
QBO_COLUMNS = ("Current", "1 - 30", "31 - 60", "61 - 90", "91 and over")
QBO_SECTIONS = (
    "Current",
    "1 - 30 days past due",
    "31 - 60 days past due",
    "61 - 90 days past due",
    "91 or more days past due",
)


def bucket_of(days_past_due: int) -> int:
    """Index into BUCKETS."""
    if days_past_due <= 0:
        return 0
    if days_past_due <= 30:
        return 1
    if days_past_due <= 60:
        return 2
    if days_past_due <= 90:
        return 3
    return 4


@dataclass(frozen=True, slots=True)
class OpenItem:
    """One open invoice as the aging sees it."""

    customer_id: str
    customer_name: str
    doc_number: str | None
    txn_date: date
    due_date: date | None
    total: Decimal
    balance: Decimal

    def days_past_due(self, as_of: date) -> int:
        return (as_of - (self.due_date or self.txn_date)).days


@dataclass(slots=True)
class AgingRow:
    customer_id: str
    customer_name: str
    buckets: list[Decimal] = field(default_factory=lambda: [ZERO] * len(BUCKETS))

    @property
    def total(self) -> Decimal:
        return cents(sum(self.buckets, ZERO))

    def to_json(self) -> dict[str, object]:
        return {
            "customer": self.customer_name,
            "customerId": self.customer_id,
            **{name: str(cents(v)) for name, v in zip(BUCKETS, self.buckets, strict=True)},
            "total": str(self.total),
        }


@dataclass(frozen=True, slots=True)
class AgingReport:
    as_of: date
    rows: list[AgingRow]
    totals: AgingRow

    def to_json(self) -> dict[str, object]:
        return {
            "asOf": self.as_of.isoformat(),
            "buckets": list(BUCKETS),
            "rows": [r.to_json() for r in self.rows],
            "total": self.totals.to_json(),
        }


def age_items(items: Iterable[OpenItem], as_of: date) -> AgingReport:
    """Bucket every open balance; customers in name order (as QBO lists them), the grand total last."""
    rows: dict[str, AgingRow] = {}
    totals = AgingRow("", "TOTAL")
    for item in items:
        if item.balance <= ZERO or item.txn_date > as_of:
            continue
        row = rows.setdefault(item.customer_id, AgingRow(item.customer_id, item.customer_name))
        index = bucket_of(item.days_past_due(as_of))
        row.buckets[index] += item.balance
        totals.buckets[index] += item.balance
    ordered = sorted(rows.values(), key=lambda r: (r.customer_name.lower(), r.customer_id))
    return AgingReport(as_of, ordered, totals)
