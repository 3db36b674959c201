"""Profit and loss from the local store (accrual): income from invoice item lines by the item's income account,
costs from bills. The local store keeps bill totals, not bill lines, so costs come as one figure."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.models import Account, Bill, Invoice, InvoiceLine, InvoiceStatus, Item, LineType
from domain.money import cents

ZERO = Decimal("0")


@dataclass(frozen=True, slots=True)
class LocalProfitAndLoss:
    date_from: date
    date_to: date
    income: dict[str, Decimal]
    costs: Decimal

    @property
    def total_income(self) -> Decimal:
        return cents(sum(self.income.values(), ZERO))

    @property
    def net_income(self) -> Decimal:
        return cents(self.total_income - self.costs)


def pnl_locally(session: Session, tenant_id: str, date_from: date, date_to: date) -> LocalProfitAndLoss:
    accounts = {
        key: a.name
        for a in session.scalars(select(Account).where(Account.tenant_id == tenant_id))
        for key in (a.qbo_id, a.id)
        if key
    }
    lines = session.execute(
        select(InvoiceLine.line_subtotal, Item.income_account_ref)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .outerjoin(Item, Item.id == InvoiceLine.item_id)
        .where(
            Invoice.tenant_id == tenant_id,
            Invoice.status.not_in([InvoiceStatus.DRAFT, InvoiceStatus.VOID]),
            Invoice.issue_date >= date_from,
            Invoice.issue_date <= date_to,
            # QBO books item lines to income; discount and text lines are not item sales.
            InvoiceLine.type.not_in([LineType.DISCOUNT, LineType.TEXT]),
        )
    ).all()
    income: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for amount, account_ref in lines:
        income[accounts.get(account_ref or "", "Sales")] += amount
    costs = session.scalar(
        select(func.coalesce(func.sum(Bill.total), 0)).where(
            Bill.tenant_id == tenant_id, Bill.txn_date >= date_from, Bill.txn_date <= date_to
        )
    )
    return LocalProfitAndLoss(date_from, date_to, dict(income), cents(Decimal(costs or 0)))
