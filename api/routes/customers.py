"""Customers and items (the lists documents are built from)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from api.deps import CustomersDep, ReaderDep, SessionDep
from api.pagination import CursorQuery, LimitQuery, Page, paginate
from api.schemas.catalog import CustomerPublic, ItemPublic
from domain.fields import name_key
from domain.models import Customer, Item
from domain.permissions import Permission, require
from domain.schemas import CustomerCreate, CustomerUpdate, ItemCreate
from domain.services import catalog
from domain.services.common import get_scoped

router = APIRouter(prefix="/api", tags=["customers"])

SearchQuery = Annotated[str | None, Query(max_length=200, description="Case-insensitive name contains")]


@router.get("/customers", response_model=Page[CustomerPublic])
def list_customers(
    actor: ReaderDep,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
    q: SearchQuery = None,
    include_inactive: bool = False,
) -> Page[CustomerPublic]:
    query = select(Customer).where(Customer.tenant_id == actor.tenant_id)
    if not include_inactive:
        query = query.where(Customer.active.is_(True))
    if q:
        query = query.where(Customer.name_key.contains(name_key(q), autoescape=True))
    rows, next_cursor = paginate(session, query, Customer, cursor=cursor, limit=limit)
    return Page(items=[CustomerPublic.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/customers", status_code=201)
def create_customer(data: CustomerCreate, actor: CustomersDep, session: SessionDep) -> CustomerPublic:
    return CustomerPublic.model_validate(catalog.create_customer(session, actor, data))


@router.get("/customers/{customer_id}")
def get_customer(customer_id: str, actor: ReaderDep, session: SessionDep) -> CustomerPublic:
    return CustomerPublic.model_validate(catalog.get_customer(session, actor.tenant_id, customer_id))


@router.patch("/customers/{customer_id}")
def update_customer(
    customer_id: str, data: CustomerUpdate, actor: CustomersDep, session: SessionDep
) -> CustomerPublic:
    return CustomerPublic.model_validate(catalog.update_customer(session, actor, customer_id, data))


items_router = APIRouter(prefix="/api", tags=["items"])


@items_router.get("/items", response_model=Page[ItemPublic])
def list_items(
    actor: ReaderDep,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
    q: SearchQuery = None,
    include_inactive: bool = False,
) -> Page[ItemPublic]:
    query = select(Item).where(Item.tenant_id == actor.tenant_id)
    if not include_inactive:
        query = query.where(Item.active.is_(True))
    if q:
        query = query.where(Item.name_key.contains(name_key(q), autoescape=True))
    rows, next_cursor = paginate(session, query, Item, cursor=cursor, limit=limit)
    return Page(items=[ItemPublic.model_validate(r) for r in rows], next_cursor=next_cursor)


@items_router.post("/items", status_code=201)
def create_item(data: ItemCreate, actor: ReaderDep, session: SessionDep) -> ItemPublic:
    # Catalog prices are price decisions: the same permission as overriding a price.
    require(actor, Permission.CHANGE_PRICES)
    return ItemPublic.model_validate(catalog.create_item(session, actor, data))


@items_router.get("/items/{item_id}")
def get_item(item_id: str, actor: ReaderDep, session: SessionDep) -> ItemPublic:
    return ItemPublic.model_validate(get_scoped(session, Item, actor.tenant_id, item_id))
