"""Two payments racing for the same invoice on PostgreSQL: the invoice is never over-applied."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from domain.context import Actor
from domain.errors import AppError
from domain.models import Invoice, InvoiceStatus, ItemType, LineType, Role, Tenant
from domain.schemas import InvoiceCreate, LineCreate, PaymentApplicationIn, PaymentCreate
from domain.services.invoices import create_invoice
from domain.services.payments import record_payment
from tests.factories import make_actor, make_customer, make_item, make_tenant

pytestmark = pytest.mark.postgres


@pytest.fixture()
def pg_sessionmaker(engine, request) -> sessionmaker[Session]:  # type: ignore[no-untyped-def]
    if engine.dialect.name != "postgresql":
        pytest.skip("row-lock race is a PostgreSQL property; SQLite serialises all writers")
    return sessionmaker(engine, expire_on_commit=False)


def test_racing_payments_never_over_apply(pg_sessionmaker: sessionmaker[Session]) -> None:
    with pg_sessionmaker.begin() as s:
        tenant = make_tenant(s, name="Race Co")
        owner = make_actor(s, tenant, role=Role.OWNER)
        customer = make_customer(s, tenant, name="Bob's Bakery")
        fee = make_item(s, tenant, name="Service Call", type=ItemType.FEE, rate="1000", taxable=False)
        invoice = create_invoice(
            s,
            owner,
            InvoiceCreate(
                customer_id=customer.id,
                lines=[LineCreate(type=LineType.FEE, name="Call", quantity=Decimal(1), item_id=fee.id)],
            ),
            today=date(2026, 3, 18),
        )
        ids = (tenant.id, owner, customer.id, invoice.id)
    tenant_id, actor, customer_id, invoice_id = ids
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def pay() -> None:
        barrier.wait()
        try:
            with pg_sessionmaker.begin() as s:
                record_payment(
                    s,
                    actor,
                    PaymentCreate(
                        customer_id=customer_id,
                        amount=Decimal("600"),
                        payment_date=date(2026, 3, 18),
                        applications=[PaymentApplicationIn(invoice_id=invoice_id, amount=Decimal("600"))],
                    ),
                )
            outcomes.append("paid")
        except AppError as exc:
            outcomes.append(type(exc).__name__)
        except Exception as exc:
            outcomes.append(f"unexpected {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=pay) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(outcomes) == 4, outcomes
    assert outcomes.count("paid") == 1, outcomes
    assert set(outcomes) <= {"paid", "Conflict", "InvalidTransition"}, outcomes
    with pg_sessionmaker() as s:
        inv = s.scalars(select(Invoice).where(Invoice.id == invoice_id)).one()
        assert (inv.amount_paid, inv.balance_due, inv.status) == (
            Decimal("600.00"),
            Decimal("400.00"),
            InvoiceStatus.PARTIAL,
        )
    with pg_sessionmaker.begin() as s:
        s.execute(delete(Tenant).where(Tenant.id == tenant_id))
    assert isinstance(actor, Actor)
