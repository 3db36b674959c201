"""A catalog for drafting read from a company in QuickBooks v3 JSON (the demo company and its fixtures).

QBO only knows Service / NonInventory / Inventory items; drafting also needs to know which items are hourly
labor, which are materials (they carry markup) and which are fees, and the words staff use for each item. The
demo company ships those as ``itemUnits`` and ``itemKeywords``; in the product they live on the Item rows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from domain.drafting import CatalogEntry
from domain.models.catalog import ItemType
from domain.money import to_decimal

_FEE = re.compile(r"\b(fee|permit|charge|call|trip|haul|disposal)\b", re.IGNORECASE)


def item_type(item: Mapping[str, Any], unit: str | None) -> ItemType:
    """The product's item type for a QBO item: hourly → labor, goods → material, fees, discounts, other."""
    name = str(item.get("Name", ""))
    if unit and unit.lower() in {"hour", "hours", "hr"}:
        return ItemType.LABOR
    if name.strip().lower() == "discount":
        return ItemType.DISCOUNT
    if item.get("Type") in {"NonInventory", "Inventory"}:
        return ItemType.MATERIAL
    if _FEE.search(name) or _FEE.search(str(item.get("Description") or "")):
        return ItemType.FEE
    return ItemType.OTHER


def catalog_from_company(company: Mapping[str, Any]) -> list[CatalogEntry]:
    keywords: Mapping[str, list[str]] = company.get("itemKeywords") or {}
    units: Mapping[str, str] = company.get("itemUnits") or {}
    entries = []
    for item in company.get("Item", []):
        name = str(item["Name"])
        unit = units.get(name)
        entries.append(
            CatalogEntry(
                id=str(item["Id"]),
                name=name,
                type=item_type(item, unit),
                rate=to_decimal(item.get("UnitPrice", 0)),
                taxable=bool(item.get("Taxable", False)),
                unit=unit,
                keywords=tuple(keywords.get(name, ())),
                description=item.get("Description"),
                active=bool(item.get("Active", True)),
            )
        )
    return entries


def load_company(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def company_tax_rate(company: Mapping[str, Any]) -> Any:
    """The first active sales tax rate of the company, in percent (0 when it has none)."""
    for rate in company.get("TaxRate", []):
        if rate.get("Active", True):
            return to_decimal(rate.get("RateValue", 0))
    return to_decimal(0)
