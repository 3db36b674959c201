"""Key fields of synced records, their checksums, and the three-way decision a conflict strategy makes.

A record's key fields are what decide whether two versions differ in a way that matters to the books:
amounts, dates, status and lines (seed 003 §5). Each side is compared with its own state at the last sync,
so a change on one side is a plain push or pull and only a change on both is a conflict.
"""

from __future__ import annotations

import enum
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.db import Base
from domain.models.catalog import Customer, Item
from domain.models.payments import Payment
from domain.models.sales import Estimate, EstimateStatus, Invoice, InvoiceStatus, LineType
from domain.services.sync_policy import Strategy

KeyFields = dict[str, Any]

# The platform's estimate lifecycle folded onto QBO's TxnStatus vocabulary.
ESTIMATE_TO_QBO_STATUS = {
    EstimateStatus.DRAFT: "Pending",
    EstimateStatus.SENT: "Pending",
    EstimateStatus.VIEWED: "Pending",
    EstimateStatus.EXPIRED: "Pending",
    EstimateStatus.APPROVED: "Accepted",
    EstimateStatus.REJECTED: "Rejected",
    EstimateStatus.CONVERTED: "Closed",
}


def money(value: Decimal | float | int | str | None) -> str | None:
    """Cents as a string: 12.5, '12.50' and Decimal('12.500') all read '12.50'."""
    if value is None:
        return None
    return str(Decimal(str(value)).quantize(Decimal("0.01")))


def qty(value: Decimal | float | int | str | None) -> str | None:
    if value is None:
        return None
    normal = Decimal(str(value)).normalize()
    return format(normal, "f")


def day(value: date | datetime | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:10]


def checksum(values: KeyFields) -> str:
    encoded = json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def _lines(lines: list[Any]) -> list[list[str | None]]:
    rows = [
        [qty(line.quantity), money(line.line_subtotal)]
        for line in lines
        if line.type not in (LineType.TEXT, LineType.DISCOUNT)
    ]
    return sorted(rows, key=lambda r: (r[1] or "", r[0] or ""))


def local_key_fields(record: Base) -> KeyFields:
    """The key fields of a local record, in the vocabulary its QBO twin's fields are read into."""
    if isinstance(record, Customer):
        return {
            "name": record.display_name,
            "email": record.email or None,
            "phone": record.phone or None,
            "active": bool(record.active),
        }
    if isinstance(record, Item):
        return {"name": record.name, "rate": money(record.rate), "active": bool(record.active)}
    if isinstance(record, Invoice):
        return {
            "date": day(record.issue_date),
            "due": day(record.due_date),
            "total": money(record.total),
            "voided": record.status is InvoiceStatus.VOID,
            "lines": _lines(list(record.lines)),
        }
    if isinstance(record, Estimate):
        return {
            "date": day(record.txn_date),
            "total": money(record.total),
            "status": ESTIMATE_TO_QBO_STATUS.get(EstimateStatus(record.status), "Pending"),
            "lines": _lines(list(record.lines)),
        }
    if isinstance(record, Payment):
        return {
            "date": day(record.payment_date),
            "amount": money(record.amount),
            "voided": bool(record.voided),
            "applied": sorted(money(a.amount) or "" for a in record.applications),
        }
    # Anything else (write-offs, lists mastered in QBO) is compared on its identity only.
    return {"id": getattr(record, "id", None)}


class Decision(enum.StrEnum):
    PUSH = "push"  # send ours to QBO (with QBO's latest SyncToken)
    PULL = "pull"  # take QBO's version here
    NOOP = "noop"  # both sides already agree
    CONFLICT = "conflict"  # keep both and ask a person


def decide(
    strategy: Strategy,
    *,
    local_changed: bool,
    remote_changed: bool,
    same_values: bool,
    local_newer: bool,
) -> Decision:
    """Three-way merge on key fields: only a change on both sides consults the strategy."""
    if same_values:
        return Decision.NOOP
    if not remote_changed:
        return Decision.PUSH
    if not local_changed:
        return Decision.PULL
    if strategy is Strategy.PLATFORM_WINS:
        return Decision.PUSH
    if strategy is Strategy.QBO_WINS:
        return Decision.PULL
    if strategy is Strategy.MANUAL:
        return Decision.CONFLICT
    return Decision.PUSH if local_newer else Decision.PULL


__all__ = [
    "ESTIMATE_TO_QBO_STATUS",
    "Decision",
    "KeyFields",
    "checksum",
    "day",
    "decide",
    "local_key_fields",
    "money",
    "qty",
]
