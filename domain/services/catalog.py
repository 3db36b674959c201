"""Customers and items."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.context import Actor
from domain.errors import Conflict
from domain.fields import name_key
from domain.models.catalog import Account, Customer, Item, Vendor
from domain.permissions import Permission, require
from domain.schemas import CustomerCreate, CustomerUpdate, ItemCreate
from domain.services.audit import record_audit
from domain.services.common import get_scoped
from domain.services.outbox import enqueue_sync
from domain.services.paging import PageRequest, Window, newest_first
from domain.services.snapshots import snapshot


def name_taken(
    session: Session,
    model: type[Customer | Vendor | Item],
    tenant_id: str,
    name: str,
    exclude_id: str | None = None,
) -> bool:
    """Whether another record of *model* already has this name, compared Unicode-case-insensitively."""
    query = select(model.id).where(model.tenant_id == tenant_id, model.name_key == name_key(name))
    if exclude_id:
        query = query.where(model.id != exclude_id)
    return session.scalars(query).first() is not None


def _duplicate(kind: str, field: str, name: str) -> Conflict:
    article = "An" if kind[0] in "aeiou" else "A"
    return Conflict(f"{article} {kind} named '{name}' already exists", **{field: name})


def _flush_unique(session: Session, kind: str, field: str, name: str) -> None:
    """Flush; a concurrent insert of the same name loses on the unique key and is a 409, not a 500."""
    try:
        session.flush()
    except IntegrityError as exc:
        if "name_key" not in str(exc.orig):
            raise
        raise _duplicate(kind, field, name) from None


def create_customer(session: Session, actor: Actor, data: CustomerCreate) -> Customer:
    require(actor, Permission.MANAGE_CUSTOMERS)
    if name_taken(session, Customer, actor.tenant_id, data.display_name):
        raise _duplicate("customer", "display_name", data.display_name)
    customer = Customer(
        tenant_id=actor.tenant_id,
        **data.model_dump(exclude={"billing_address", "shipping_address"}),
        billing_address=data.billing_address.model_dump(),
        shipping_address=data.shipping_address.model_dump(),
    )
    session.add(customer)
    _flush_unique(session, "customer", "display_name", data.display_name)
    record_audit(session, actor, "customer.created", "customer", customer.id, after=snapshot(customer))
    enqueue_sync(session, actor.tenant_id, "customer", customer.id)
    return customer


def update_customer(session: Session, actor: Actor, customer_id: str, data: CustomerUpdate) -> Customer:
    require(actor, Permission.MANAGE_CUSTOMERS)
    customer = get_scoped(session, Customer, actor.tenant_id, customer_id, lock=True)
    before = snapshot(customer)
    changes = data.model_dump(exclude_unset=True)
    name = changes.get("display_name")
    if name and name_taken(session, Customer, actor.tenant_id, name, exclude_id=customer.id):
        raise _duplicate("customer", "display_name", name)
    for key, value in changes.items():
        setattr(customer, key, value)
    _flush_unique(session, "customer", "display_name", name or customer.display_name)
    record_audit(
        session, actor, "customer.updated", "customer", customer.id, before=before, after=snapshot(customer)
    )
    enqueue_sync(session, actor.tenant_id, "customer", customer.id)
    return customer


def get_customer(session: Session, tenant_id: str, customer_id: str) -> Customer:
    return get_scoped(session, Customer, tenant_id, customer_id)


def list_customers(session: Session, tenant_id: str, *, active_only: bool = True) -> list[Customer]:
    query = select(Customer).where(Customer.tenant_id == tenant_id)
    if active_only:
        query = query.where(Customer.active.is_(True))
    return list(session.scalars(query.order_by(Customer.display_name)))


def create_item(session: Session, actor: Actor, data: ItemCreate) -> Item:
    require(actor, Permission.CHANGE_PRICES)
    if name_taken(session, Item, actor.tenant_id, data.name):
        raise _duplicate("item", "name", data.name)
    item = Item(tenant_id=actor.tenant_id, **data.model_dump())
    session.add(item)
    _flush_unique(session, "item", "name", data.name)
    record_audit(session, actor, "item.created", "item", item.id, after=snapshot(item))
    enqueue_sync(session, actor.tenant_id, "item", item.id)
    return item


def list_items(session: Session, tenant_id: str, *, active_only: bool = True) -> list[Item]:
    query = select(Item).where(Item.tenant_id == tenant_id)
    if active_only:
        query = query.where(Item.active.is_(True))
    return list(session.scalars(query.order_by(Item.name)))


Listed = TypeVar("Listed", Customer, Item)


def named_page(
    session: Session,
    model: type[Listed],
    tenant_id: str,
    page: PageRequest,
    *,
    search: str | None = None,
    include_inactive: bool = False,
) -> Window[Listed]:
    """Customers or items, newest first; ``search`` is a case-insensitive part of the name."""
    conditions: list[ColumnElement[bool]] = []
    if not include_inactive:
        conditions.append(model.active.is_(True))
    if search:
        conditions.append(model.name_key.contains(name_key(search), autoescape=True))
    return newest_first(session, model, tenant_id, page, *conditions)


def list_accounts(session: Session, tenant_id: str) -> list[Account]:
    """The chart of accounts, by name."""
    return list(session.scalars(select(Account).where(Account.tenant_id == tenant_id).order_by(Account.name)))
