"""A small shop with documents in every state, and a way to build a tool environment for an actor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.context import Actor
from domain.models import AuditLog, Customer, Estimate, Invoice, Item, ItemType, LineType, Role, Tenant
from domain.schemas import EstimateCreate, LineCreate
from domain.services.estimates import approve_estimate, create_estimate, send_estimate
from domain.services.invoices import convert_estimate_to_invoice
from tests.factories import make_actor, make_customer, make_item, make_tenant
from tools.base import ToolEnv

TODAY = date(2026, 3, 18)


@dataclass
class Shop:
    session: Session
    tenant: Tenant
    owner: Actor
    office: Actor
    technician: Actor
    jane: Customer
    bob: Customer
    labor: Item
    heater: Item

    def env(self, actor: Actor) -> ToolEnv:
        return ToolEnv(
            session=self.session,
            actor=actor,
            today=TODAY,
            timezone="America/Los_Angeles",
            thread_id="t-tools",
        )

    def estimate(self, customer: Customer | None = None, hours: str = "3.5") -> Estimate:
        lines = [
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
        data = EstimateCreate(customer_id=(customer or self.jane).id, lines=lines, txn_date=TODAY)
        return create_estimate(self.session, self.office, data, today=TODAY)

    def approved_estimate(self, customer: Customer | None = None) -> Estimate:
        est = self.estimate(customer)
        send_estimate(self.session, self.office, est.id, today=TODAY)
        return approve_estimate(self.session, self.office, est.id, signed_by="Jane Cooper", today=TODAY)

    def invoice(self, customer: Customer | None = None) -> Invoice:
        est = self.approved_estimate(customer)
        return convert_estimate_to_invoice(self.session, self.office, est.id, issue_date=TODAY)

    def audit_rows(self) -> int:
        return int(self.session.scalar(select(func.count()).where(AuditLog.tenant_id == self.tenant.id)) or 0)


@pytest.fixture()
def shop(session: Session) -> Shop:
    tenant = make_tenant(session)
    labor = make_item(
        session, tenant, name="Labor - Standard", type=ItemType.LABOR, rate="110", taxable=False
    )
    labor.unit_of_measure = "hr"
    return Shop(
        session=session,
        tenant=tenant,
        owner=make_actor(session, tenant, role=Role.OWNER, name="Owen"),
        office=make_actor(session, tenant, role=Role.OFFICE, name="Olivia"),
        technician=make_actor(session, tenant, role=Role.TECHNICIAN, name="Tim"),
        jane=make_customer(session, tenant),
        bob=make_customer(session, tenant, name="Bob's Bakery"),
        labor=labor,
        heater=make_item(session, tenant, name="Water Heater 50 gal Gas", type=ItemType.MATERIAL, rate="950"),
    )
