"""Finding the records a tool's arguments name, and formatting what a preview shows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.drafting import CatalogEntry
from domain.models import Customer, Estimate, Invoice, Item, ItemType
from domain.money import cents, to_decimal
from domain.names import resolve_name
from domain.queries import name_candidates
from domain.services.common import get_scoped
from domain.services.estimates import get_estimate_by_number
from domain.services.invoices import get_invoice_by_number


def money(value: Decimal | str | int) -> str:
    amount = cents(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def find_customer(session: Session, tenant_id: str, name: str) -> Customer:
    """The one active customer ``name`` means (fuzzy), or AmbiguousName / UnknownName."""
    chosen = resolve_name(name, name_candidates(session, tenant_id, Customer), kind="customer")
    return get_scoped(session, Customer, tenant_id, chosen.id)


def find_invoice(session: Session, tenant_id: str, doc_number: str) -> Invoice:
    return get_invoice_by_number(session, tenant_id, doc_number.strip().lstrip("#"))


def find_estimate(session: Session, tenant_id: str, doc_number: str) -> Estimate:
    return get_estimate_by_number(session, tenant_id, doc_number.strip().lstrip("#"))


def customer_name(session: Session, tenant_id: str, customer_id: str) -> str:
    return get_scoped(session, Customer, tenant_id, customer_id).display_name


# The system prompt lists at most this many items: enough for a trade's price list, bounded for a large one.
PROMPT_CATALOG_LIMIT = 80


def prompt_catalog(session: Session, tenant_id: str, limit: int = PROMPT_CATALOG_LIMIT) -> list[CatalogEntry]:
    """The active items the system prompt lists, by name: only the columns it shows, read on every turn."""
    rows = session.execute(
        select(Item.id, Item.name, Item.type, Item.rate, Item.unit_of_measure)
        .where(Item.tenant_id == tenant_id, Item.active.is_(True))
        .order_by(Item.name)
        .limit(limit)
    )
    return [
        CatalogEntry(
            id=r.id, name=r.name, type=ItemType(r.type), rate=to_decimal(r.rate), unit=r.unit_of_measure
        )
        for r in rows
    ]


def catalog(session: Session, tenant_id: str) -> list[CatalogEntry]:
    items = session.scalars(select(Item).where(Item.tenant_id == tenant_id).order_by(Item.name))
    return [CatalogEntry.from_item(i) for i in items]


def invoice_summary(session: Session, invoice: Invoice) -> dict[str, Any]:
    return {
        "DocNumber": invoice.doc_number,
        "Customer": customer_name(session, invoice.tenant_id, invoice.customer_id),
        "Status": str(invoice.status),
        "TotalAmt": money(invoice.total),
        "Balance": money(invoice.balance_due),
        "DueDate": invoice.due_date.isoformat() if invoice.due_date else None,
    }


def recipient(session: Session, tenant_id: str, customer_id: str) -> dict[str, str | None]:
    """Where a sent document goes: the customer's email, or a warning when there is none."""
    customer = session.get(Customer, customer_id)
    email = customer.email if customer is not None and customer.tenant_id == tenant_id else None
    if email:
        return {"to": email}
    return {"to": None, "warning": "The customer has no email on file; add one before sending."}


def sent_to(summary: dict[str, Any], to: dict[str, str | None]) -> str:
    """ "Jane Cooper <jane@example.com>" for a card's description."""
    return f"{summary['Customer']} <{to['to']}>" if to["to"] else f"{summary['Customer']} (no email on file)"


def estimate_summary(session: Session, estimate: Estimate) -> dict[str, Any]:
    return {
        "DocNumber": estimate.doc_number,
        "Customer": customer_name(session, estimate.tenant_id, estimate.customer_id),
        "Status": str(estimate.status),
        "TotalAmt": money(estimate.total),
    }
