"""Turn requested lines into priced lines: catalog prices and taxability, tenant markup, tax rate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.context import Actor
from domain.errors import ValidationFailed
from domain.models.catalog import Customer, Item, ItemType, TaxRate
from domain.models.sales import LineType
from domain.models.tenancy import Tenant
from domain.permissions import Permission, can, with_article
from domain.pricing import LineInput, PricedLine, Totals, price_document
from domain.schemas import LineCreate
from domain.services.common import get_scoped, get_tenant

_ITEM_TO_LINE = {
    ItemType.LABOR: LineType.LABOR,
    ItemType.MATERIAL: LineType.MATERIAL,
    ItemType.DISCOUNT: LineType.DISCOUNT,
    ItemType.FEE: LineType.FEE,
    ItemType.OTHER: LineType.OTHER,
}


LINE_COLUMNS = (
    "item_id",
    "type",
    "name",
    "description",
    "quantity",
    "unit_price",
    "markup_percent",
    "markup_amount",
    "line_subtotal",
    "taxable",
)


def line_columns(source: object) -> dict[str, Any]:
    """The priced columns every document line has, read from a PricedLine or another document's line."""
    return {name: getattr(source, name) for name in LINE_COLUMNS}


@dataclass(frozen=True, slots=True)
class PricedDocument:
    lines: list[PricedLine]
    requests: list[LineCreate]
    totals: Totals
    tax_rate_id: str | None
    tax_rate_percent: Decimal


def resolve_tax_rate(session: Session, tenant: Tenant, tax_rate_id: str | None) -> tuple[str | None, Decimal]:
    rate_id = tax_rate_id or tenant.default_tax_rate_id
    if rate_id is None:
        rate = session.scalars(
            select(TaxRate)
            .where(TaxRate.tenant_id == tenant.id, TaxRate.active.is_(True))
            .order_by(TaxRate.name)
        ).first()
        return (rate.id, rate.rate_percent) if rate else (None, Decimal("0"))
    rate = get_scoped(session, TaxRate, tenant.id, rate_id)
    return rate.id, rate.rate_percent


def price_requested_lines(
    session: Session,
    actor: Actor,
    customer: Customer,
    requested: Sequence[LineCreate],
    *,
    tax_rate_id: str | None = None,
) -> PricedDocument:
    """Price lines at catalog prices; overriding a price or markup needs the change-prices permission."""
    tenant = get_tenant(session, actor.tenant_id)
    may_change_prices = can(actor.role, Permission.CHANGE_PRICES)
    inputs: list[LineInput] = []
    for req in requested:
        item = get_scoped(session, Item, actor.tenant_id, req.item_id) if req.item_id else None
        if item is not None and not item.active:
            raise ValidationFailed(f"item '{item.name}' is inactive", item_id=item.id)
        unit_price = req.unit_price
        if item is not None:
            overrides = (unit_price is not None and unit_price != item.rate) or req.markup_percent is not None
            if overrides and not may_change_prices:
                raise ValidationFailed(
                    f"{with_article(actor.role.value)} drafts at catalog prices; '{item.name}' costs {item.rate}",
                    item_id=item.id,
                )
            if unit_price is None:
                unit_price = item.rate
        elif unit_price is None:
            if req.type is not LineType.TEXT:
                raise ValidationFailed(f"line '{req.name}' needs a unit price or a catalog item")
            unit_price = Decimal("0")
        elif not may_change_prices:
            raise ValidationFailed(
                f"{with_article(actor.role.value)} may not add free-priced line '{req.name}'"
            )
        line_type = req.type
        if item is not None and req.type is not LineType.TEXT:
            line_type = _ITEM_TO_LINE[item.type]
        taxable = req.taxable if req.taxable is not None else (item.taxable if item is not None else True)
        inputs.append(
            LineInput(
                type=line_type,
                name=req.name,
                quantity=req.quantity,
                unit_price=unit_price,
                taxable=taxable,
                markup_percent=req.markup_percent,
                item_id=item.id if item else None,
                description=req.description or (item.description if item else None),
            )
        )
    rate_id, rate_percent = resolve_tax_rate(session, tenant, tax_rate_id)
    priced, totals = price_document(
        inputs,
        default_markup_percent=tenant.default_markup_percent,
        tax_rate_percent=rate_percent,
        tax_exempt=customer.tax_exempt,
    )
    return PricedDocument(priced, list(requested), totals, rate_id, rate_percent)
