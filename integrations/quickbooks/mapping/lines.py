"""QBO transaction lines ↔ domain lines, plus the document-level tax and totals read from QBO.

QBO has no markup field: a material markup is baked into the line's UnitPrice, and kept only when QBO's
``Amount == Qty × UnitPrice`` check still holds (else the line goes out with Amount and Qty alone).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from domain.models.catalog import ItemType
from domain.models.sales import Estimate, EstimateLine, Invoice, InvoiceLine, LineType
from domain.money import ZERO, cents
from integrations.quickbooks.mapping.lists import (
    NON_TAXABLE_CODE,
    TAXABLE_CODE,
    Fields,
    Refs,
    compact,
    dec,
    money,
    ref,
    ref_value,
)

UNIT_PRICE_PLACES = Decimal("0.00001")  # QBO numbers are "10.5" format
_ITEM_TO_LINE = {
    ItemType.LABOR: LineType.LABOR,
    ItemType.MATERIAL: LineType.MATERIAL,
    ItemType.DISCOUNT: LineType.DISCOUNT,
    ItemType.FEE: LineType.FEE,
    ItemType.OTHER: LineType.OTHER,
}


def lines_from_qbo(
    raw_lines: list[dict[str, Any]], refs: Refs
) -> tuple[list[Fields], Decimal | None, Decimal]:
    """(line fields, QBO's subtotal line amount if any, discount total)."""
    lines: list[Fields] = []
    subtotal: Decimal | None = None
    discount = ZERO
    for raw in raw_lines:
        kind = raw.get("DetailType")
        amount = money(raw.get("Amount")) or ZERO
        if kind == "SubTotalLineDetail":
            subtotal = amount
            continue
        position = len(lines) + 1
        description = raw.get("Description")
        if kind == "SalesItemLineDetail":
            detail = raw.get("SalesItemLineDetail") or {}
            qbo_item = ref_value(detail, "ItemRef")
            item_id = refs.local("item", qbo_item)
            quantity = dec(detail.get("Qty"))
            unit_price = dec(detail.get("UnitPrice"))
            if quantity is None:
                quantity = Decimal("1")
            if unit_price is None:
                unit_price = amount / quantity if quantity else amount
            item_type = refs.item_types.get(item_id or "", ItemType.OTHER)
            name = (
                (detail.get("ItemRef") or {}).get("name") or refs.item_names.get(item_id or "") or description
            )
            lines.append(
                {
                    "position": position,
                    "item_id": item_id,
                    "type": _ITEM_TO_LINE[item_type],
                    "name": str(name or "Item"),
                    "description": description,
                    "quantity": quantity,
                    "unit_price": cents(unit_price),
                    "markup_percent": ZERO,
                    "markup_amount": ZERO,
                    "line_subtotal": amount,
                    "taxable": ref_value(detail, "TaxCodeRef") not in (None, NON_TAXABLE_CODE),
                }
            )
        elif kind == "DiscountLineDetail":
            discount += amount
            lines.append(
                _fixed_line(position, LineType.DISCOUNT, description or "Discount", description, amount)
            )
        elif kind == "DescriptionOnly":
            lines.append(_fixed_line(position, LineType.TEXT, description or "", description, ZERO))
        # Group lines and other kinds have no counterpart in the app and are left to QBO.
    return lines, subtotal, discount


def _fixed_line(position: int, kind: LineType, name: str, description: str | None, amount: Decimal) -> Fields:
    is_discount = kind is LineType.DISCOUNT
    return {
        "position": position,
        "item_id": None,
        "type": kind,
        "name": name,
        "description": description,
        "quantity": Decimal("1") if is_discount else ZERO,
        "unit_price": amount,
        "markup_percent": ZERO,
        "markup_amount": ZERO,
        "line_subtotal": -amount if is_discount else ZERO,
        "taxable": False,
    }


def line_to_qbo(line: EstimateLine | InvoiceLine, refs: Refs) -> dict[str, Any]:
    kind = LineType(line.type)
    if kind is LineType.TEXT:
        return {"DetailType": "DescriptionOnly", "Description": line.description or line.name, "Amount": ZERO}
    if kind is LineType.DISCOUNT:
        return compact(
            {
                "DetailType": "DiscountLineDetail",
                "Amount": abs(line.line_subtotal),
                "Description": line.description,
                "DiscountLineDetail": {"PercentBased": False},
            }
        )
    amount = line.line_subtotal
    quantity = line.quantity
    unit_price: Decimal | None = line.unit_price
    if line.markup_amount:
        # QBO checks Amount == Qty × UnitPrice; fold the markup into the price and keep it only if that holds.
        unit_price = (
            (amount / quantity).quantize(UNIT_PRICE_PLACES, rounding=ROUND_HALF_UP) if quantity else None
        )
        if unit_price is not None and cents(quantity * unit_price) != amount:
            unit_price = None
    qbo_item = refs.qbo("item", line.item_id)
    detail = compact(
        {
            "ItemRef": ref(qbo_item, line.name) if qbo_item else None,
            "Qty": quantity,
            "UnitPrice": unit_price,
            "TaxCodeRef": {"value": TAXABLE_CODE if line.taxable else NON_TAXABLE_CODE},
        }
    )
    return compact(
        {
            "DetailType": "SalesItemLineDetail",
            "Amount": amount,
            "Description": line.description or (None if qbo_item else line.name),
            "SalesItemLineDetail": detail,
        }
    )


def document_tax(obj: dict[str, Any], refs: Refs) -> Fields:
    detail = obj.get("TxnTaxDetail") or {}
    code = ref_value(detail, "TxnTaxCodeRef")
    percent = next(
        (
            dec((tl.get("TaxLineDetail") or {}).get("TaxPercent"))
            for tl in detail.get("TaxLine") or []
            if (tl.get("TaxLineDetail") or {}).get("TaxPercent") is not None
        ),
        None,
    )
    tax_rate_id = refs.local("tax_code", code)
    if percent is None and tax_rate_id:
        percent = refs.tax_rate_percents.get(tax_rate_id)
    return {
        "tax_rate_id": tax_rate_id,
        "tax_rate_percent": percent if percent is not None else Decimal("0"),
        "tax_total": money(detail.get("TotalTax")),
    }


def document_totals(
    obj: dict[str, Any], lines: list[Fields], subtotal: Decimal | None, discount: Decimal
) -> Fields:
    if subtotal is None:
        subtotal = sum((ln["line_subtotal"] for ln in lines if ln["line_subtotal"] > 0), ZERO)
    return {
        "subtotal": subtotal,
        "discount_total": discount,
        "total": money(obj.get("TotalAmt")),
        "currency": ref_value(obj, "CurrencyRef") or "USD",
    }


def tax_code_ref(row: Estimate | Invoice, refs: Refs) -> dict[str, Any] | None:
    code = refs.qbo("tax_code", row.tax_rate_id)
    return {"TxnTaxCodeRef": {"value": code}} if code else None


def memo(text: str | None) -> dict[str, str] | None:
    return {"value": text} if text else None


__all__ = [
    "UNIT_PRICE_PLACES",
    "document_tax",
    "document_totals",
    "line_to_qbo",
    "lines_from_qbo",
    "memo",
    "tax_code_ref",
]
