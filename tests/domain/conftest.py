"""A small plumbing company to run domain services against."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from domain.context import Actor
from domain.models import Customer, Estimate, Invoice, Item, ItemType, LineType, Role, TaxRate, Tenant
from domain.schemas import EstimateCreate, LineCreate
from domain.services.estimates import approve_estimate, create_estimate, send_estimate
from domain.services.invoices import convert_estimate_to_invoice
from tests.factories import make_actor, make_customer, make_item, make_tax_rate, make_tenant

TODAY = date(2026, 3, 18)


@dataclass
class Shop:
    session: Session
    tenant: Tenant
    owner: Actor
    office: Actor
    technician: Actor
    customer: Customer
    labor: Item
    heater: Item
    permit: Item
    tax: TaxRate

    def lines(self, hours: str = "3.5") -> list[LineCreate]:
        return [
            LineCreate(
                type=LineType.LABOR, name="Labor - Standard", quantity=Decimal(hours), item_id=self.labor.id
            ),
            LineCreate(
                type=LineType.MATERIAL,
                name="Water Heater 50 gal Gas",
                quantity=Decimal(1),
                item_id=self.heater.id,
            ),
        ]

    def estimate(self, **kw: object) -> Estimate:
        data = EstimateCreate(customer_id=self.customer.id, lines=self.lines(), txn_date=TODAY, **kw)  # type: ignore[arg-type]
        return create_estimate(self.session, self.office, data, today=TODAY)

    def approved_estimate(self) -> Estimate:
        est = self.estimate()
        send_estimate(self.session, self.office, est.id, today=TODAY)
        return approve_estimate(self.session, self.office, est.id, signed_by="Jane Cooper", today=TODAY)

    def invoice(self) -> Invoice:
        return convert_estimate_to_invoice(
            self.session, self.office, self.approved_estimate().id, issue_date=TODAY
        )


@pytest.fixture()
def shop(session: Session) -> Shop:
    tenant = make_tenant(session)
    return Shop(
        session=session,
        tenant=tenant,
        owner=make_actor(session, tenant, role=Role.OWNER),
        office=make_actor(session, tenant, role=Role.OFFICE),
        technician=make_actor(session, tenant, role=Role.TECHNICIAN),
        customer=make_customer(session, tenant),
        labor=make_item(
            session, tenant, name="Labor - Standard", type=ItemType.LABOR, rate="110", taxable=False
        ),
        heater=make_item(session, tenant, name="Water Heater 50 gal Gas", type=ItemType.MATERIAL, rate="950"),
        permit=make_item(session, tenant, name="Permit Fee", type=ItemType.FEE, rate="150", taxable=False),
        tax=make_tax_rate(session, tenant),
    )
