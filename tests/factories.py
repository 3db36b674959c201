"""Keyword-only factories for domain rows. Each flushes so ids exist; none commits."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from domain.context import Actor
from domain.models import Customer, Item, ItemType, Role, TaxRate, Tenant, Term, User
from domain.services.tenants import add_user, create_tenant


def make_tenant(session: Session, *, name: str = "Northwind Plumbing", markup: str = "20") -> Tenant:
    return create_tenant(session, name, default_markup_percent=Decimal(markup))


def make_actor(
    session: Session, tenant: Tenant, *, role: Role = Role.OWNER, name: str | None = None
) -> Actor:
    user: User = add_user(
        session,
        tenant,
        email=f"{role.value}-{len(tenant.users)}@example.com",
        name=name or role.value.title(),
        role=role,
    )
    return Actor(tenant_id=tenant.id, user_id=user.id, role=role, name=user.name)


def make_customer(
    session: Session,
    tenant: Tenant,
    *,
    name: str = "Jane Cooper",
    tax_exempt: bool = False,
    term: Term | None = None,
) -> Customer:
    customer = Customer(
        tenant_id=tenant.id, display_name=name, tax_exempt=tax_exempt, term_id=term.id if term else None
    )
    session.add(customer)
    session.flush()
    return customer


def make_item(
    session: Session,
    tenant: Tenant,
    *,
    name: str,
    type: ItemType,
    rate: str,
    taxable: bool = True,
) -> Item:
    item = Item(tenant_id=tenant.id, name=name, type=type, rate=Decimal(rate), taxable=taxable)
    session.add(item)
    session.flush()
    return item


def make_tax_rate(session: Session, tenant: Tenant, *, percent: str = "8.25") -> TaxRate:
    rate = TaxRate(tenant_id=tenant.id, name="Sacramento County", rate_percent=Decimal(percent))
    session.add(rate)
    session.flush()
    return rate


def make_term(session: Session, tenant: Tenant, *, name: str = "Net 15", days: int = 15) -> Term:
    term = Term(tenant_id=tenant.id, name=name, due_days=days)
    session.add(term)
    session.flush()
    return term
