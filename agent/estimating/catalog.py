"""A catalog for drafting read from a company in QuickBooks v3 JSON (the demo company and its fixtures).

QBO only knows Service / NonInventory / Inventory items; drafting also needs to know which items are hourly
labor, which are materials (they carry markup) and which are fees, and the words staff use for each item. The
demo company ships those as ``itemUnits`` and ``itemKeywords``; in the product they live on the Item rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from domain.drafting import CatalogEntry
from domain.models.catalog import Item
from domain.money import to_decimal
from integrations.quickbooks.mapping.lists import item_from_qbo


def catalog_from_company(company: Mapping[str, Any]) -> list[CatalogEntry]:
    """Catalog entries exactly as the product imports the company's items (same type and unit mapping)."""
    keywords: Mapping[str, list[str]] = company.get("itemKeywords") or {}
    units: Mapping[str, str] = company.get("itemUnits") or {}
    entries = []
    for obj in company.get("Item", []):
        fields = item_from_qbo(obj, keywords=keywords.get(obj["Name"]), unit=units.get(obj["Name"]))
        entries.append(CatalogEntry.from_item(Item(id=str(obj["Id"]), **fields)))
    return entries


def load_company(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def company_tax_rate(company: Mapping[str, Any]) -> Decimal:
    """The first active sales tax rate of the company, in percent (0 when it has none)."""
    for rate in company.get("TaxRate", []):
        if rate.get("Active", True):
            return to_decimal(rate.get("RateValue", 0))
    return to_decimal(0)
