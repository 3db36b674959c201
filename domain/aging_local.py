"""A/R aging and customer balances from the local store, with the same rule as QBO's reports (domain.aging)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.aging import AgingReport, OpenItem, age_items
from domain.models import Customer, Invoice, InvoiceStatus


def open_items(session: Session, tenant_id: str, *, customer_id: str | None = None) -> list[OpenItem]:
    """Every invoice with a balance (drafts and voids are not in the books), oldest first."""
    stmt = (
        select(Invoice, Customer)
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(
            Invoice.tenant_id == tenant_id,
            Invoice.status.not_in([InvoiceStatus.DRAFT, InvoiceStatus.VOID]),
            Invoice.balance_due > 0,
        )
        .order_by(Invoice.issue_date, Invoice.doc_number, Invoice.id)
    )
    if customer_id:
        stmt = stmt.where(Invoice.customer_id == customer_id)
    return [
        OpenItem(
            customer_id=c.qbo_id or c.id,
            customer_name=c.display_name,
            doc_number=inv.doc_number,
            txn_date=inv.issue_date,
            due_date=inv.due_date,
            total=inv.total,
            balance=inv.balance_due,
        )
        for inv, c in session.execute(stmt).all()
    ]


def aging_locally(
    session: Session, tenant_id: str, as_of: date, *, customer_id: str | None = None
) -> AgingReport:
    return age_items(open_items(session, tenant_id, customer_id=customer_id), as_of)
