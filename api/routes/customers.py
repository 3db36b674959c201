"""Customers and items (the lists documents are built from)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import CustomersDep, ReaderDep, SessionDep
from api.pagination import Listing, ListingDep, Page, page_of
from api.schemas.catalog import CustomerPublic, ItemPublic
from domain.models import Customer, Item
from domain.permissions import Permission, require
from domain.schemas import CustomerCreate, CustomerUpdate, ItemCreate
from domain.services import catalog
from domain.services.common import get_scoped
from domain.services.paging import Window

router = APIRouter(prefix="/api", tags=["customers"])

SearchQuery = Annotated[str | None, Query(max_length=200, description="Case-insensitive name contains")]


def _named(
    listing: Listing, model: type[Customer] | type[Item], q: str | None, include_inactive: bool
) -> Window[Any]:
    return catalog.named_page(
        listing.session, model, listing.tenant_id, listing.page, search=q, include_inactive=include_inactive
    )


@router.get("/customers", response_model=Page[CustomerPublic])
def list_customers(
    listing: ListingDep, q: SearchQuery = None, include_inactive: bool = False
) -> Page[CustomerPublic]:
    return page_of(CustomerPublic, _named(listing, Customer, q, include_inactive))


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
    listing: ListingDep, q: SearchQuery = None, include_inactive: bool = False
) -> Page[ItemPublic]:
    return page_of(ItemPublic, _named(listing, Item, q, include_inactive))


@items_router.post("/items", status_code=201)
def create_item(data: ItemCreate, actor: ReaderDep, session: SessionDep) -> ItemPublic:
    # Catalog prices are price decisions: the same permission as overriding a price.
    require(actor, Permission.CHANGE_PRICES)
    return ItemPublic.model_validate(catalog.create_item(session, actor, data))


@items_router.get("/items/{item_id}")
def get_item(item_id: str, actor: ReaderDep, session: SessionDep) -> ItemPublic:
    return ItemPublic.model_validate(get_scoped(session, Item, actor.tenant_id, item_id))
