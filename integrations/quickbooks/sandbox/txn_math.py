"""Line and total arithmetic QBO does on the server: Qty×UnitPrice, subtotal, discount, sales tax, TotalAmt.

Any total a client sends is overwritten, as QBO documents for ``TotalAmt``/``Balance``/``TxnTaxDetail``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.money import ZERO, cents, to_decimal
from integrations.quickbooks.sandbox import faults
from integrations.quickbooks.sandbox.store import Entity, RealmStore

SUBTOTAL = "SubTotalLineDetail"
SALES_ITEM = "SalesItemLineDetail"
DISCOUNT = "DiscountLineDetail"
DESCRIPTION = "DescriptionOnly"
ACCOUNT_EXPENSE = "AccountBasedExpenseLineDetail"
ITEM_EXPENSE = "ItemBasedExpenseLineDetail"
_SALES_DETAILS = {SALES_ITEM, DISCOUNT, DESCRIPTION, SUBTOTAL, "GroupLineDetail"}
_BILL_DETAILS = {ACCOUNT_EXPENSE, ITEM_EXPENSE}
# Shipping and gratuity lines name pseudo-items instead of catalog ids.
_PSEUDO_ITEMS = {"SHIPPING_ITEM_ID", "GRATUITY_ITEM_ID"}


def number(value: Any, element: str) -> Decimal:
    try:
        return to_decimal(value)
    except ValueError as exc:
        raise faults.validation(
            "2080", "Illegal number format", f"Illegal number format : {value}", element
        ) from exc


def _line_ids(lines: list[Entity], previous: list[Entity]) -> None:
    """QBO keeps a line's Id when it names an existing line, otherwise the line is new and gets the next Id."""
    known = {str(line.get("Id")) for line in previous if line.get("Id") is not None}
    used: set[str] = set()
    numeric = [int(i) for i in known if i.isdigit()]
    next_id = max(numeric, default=0) + 1
    for line in lines:
        line_id = str(line.get("Id", ""))
        if line_id in known and line_id not in used:
            used.add(line_id)
            continue
        line["Id"] = str(next_id)
        used.add(str(next_id))
        next_id += 1


def _sales_line(store: RealmStore, line: Entity, index: int) -> None:
    detail = line.get(SALES_ITEM)
    if not isinstance(detail, dict):
        raise faults.required_param("Line.SalesItemLineDetail")
    if "Amount" in detail:
        raise faults.invalid_property(
            'Unrecognized field "Amount" (class com.intuit.schema.finance.v3.SalesItemLineDetail), '
            "not marked as ignorable specified is unsupported or invalid",
            element="Line.SalesItemLineDetail.Amount",
        )
    item: Entity | None = None
    ref = detail.get("ItemRef")
    if isinstance(ref, dict) and ref.get("value") not in _PSEUDO_ITEMS:
        item = store.get("Item", str(ref.get("value")))
        if item is None or item.get("Type") == "Category":
            raise faults.invalid_reference("Line.SalesItemLineDetail.ItemRef")
        detail["ItemRef"] = {"value": item["Id"], "name": item.get("Name", "")}
    qty = number(detail["Qty"], "Line.SalesItemLineDetail.Qty") if detail.get("Qty") is not None else None
    price = detail.get("UnitPrice")
    unit_price = number(price, "Line.SalesItemLineDetail.UnitPrice") if price is not None else None
    if qty is not None and unit_price is None and item is not None and item.get("UnitPrice") is not None:
        unit_price = number(item["UnitPrice"], "Item.UnitPrice")
        detail["UnitPrice"] = unit_price
    if qty is not None:
        detail["Qty"] = qty
    if line.get("Amount") is None:
        if qty is None or unit_price is None:
            raise faults.required_param("Line.Amount")
        line["Amount"] = cents(qty * unit_price)
    else:
        amount = number(line["Amount"], "Line.Amount")
        if (
            qty is not None
            and unit_price is not None
            and abs(amount - cents(qty * unit_price)) >= Decimal("0.005")
        ):
            raise faults.amount_mismatch(line["Amount"])
        line["Amount"] = cents(amount)
    tax_ref = detail.get("TaxCodeRef")
    if not isinstance(tax_ref, dict) or not tax_ref.get("value"):
        taxable = bool(item and item.get("Taxable"))
        detail["TaxCodeRef"] = {"value": "TAX" if taxable else "NON"}
    code = str(detail["TaxCodeRef"]["value"])
    if store.get("TaxCode", code) is None:
        raise faults.validation(
            "6100",
            "Invalid Line TaxCode in the request",
            f"Valid Line TaxCodes for US should be TAX or NON. Supplied value:{code}",
            f"Line[{index}].SalesItemLineDetail.TaxCodeRef",
        )


def _is_taxable_line(store: RealmStore, line: Entity) -> bool:
    code = store.get("TaxCode", str(line[SALES_ITEM]["TaxCodeRef"]["value"]))
    return bool(code and code.get("Taxable"))


def _default_tax_code(store: RealmStore) -> Entity | None:
    for code in store.all("TaxCode"):
        if code.get("SalesTaxRateList", {}).get("TaxRateDetail") and code.get("Active", True):
            return code
    return None


def _tax_detail(store: RealmStore, txn: Entity, taxable_base: Decimal) -> Entity:
    supplied = txn.get("TxnTaxDetail") if isinstance(txn.get("TxnTaxDetail"), dict) else {}
    ref = supplied.get("TxnTaxCodeRef") if supplied else None
    code = store.get("TaxCode", str(ref["value"])) if isinstance(ref, dict) and ref.get("value") else None
    if isinstance(ref, dict) and ref.get("value") and code is None:
        raise faults.invalid_reference("TxnTaxDetail.TxnTaxCodeRef")
    code = code or _default_tax_code(store)
    if code is None:
        return {"TotalTax": ZERO}
    tax_lines = []
    total = ZERO
    for rate_detail in code.get("SalesTaxRateList", {}).get("TaxRateDetail", []):
        rate = store.get("TaxRate", str(rate_detail["TaxRateRef"]["value"]))
        if rate is None:
            continue
        percent = number(rate.get("RateValue", 0), "TaxRate.RateValue")
        amount = cents(taxable_base * percent / Decimal(100))
        total += amount
        tax_lines.append(
            {
                "Amount": amount,
                "DetailType": "TaxLineDetail",
                "TaxLineDetail": {
                    "TaxRateRef": {"value": rate["Id"]},
                    "PercentBased": True,
                    "TaxPercent": percent,
                    "NetAmountTaxable": cents(taxable_base),
                },
            }
        )
    return {"TxnTaxCodeRef": {"value": code["Id"]}, "TotalTax": total, "TaxLine": tax_lines}


def price_sales_txn(store: RealmStore, txn: Entity, previous: Entity | None) -> None:
    """Normalise Invoice/Estimate lines and recompute SubTotal, discount, tax and ``TotalAmt`` in place."""
    raw_lines = txn.get("Line")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise faults.required_param("Line")
    lines = [line for line in raw_lines if isinstance(line, dict) and line.get("DetailType") != SUBTOTAL]
    for index, line in enumerate(lines):
        detail_type = line.get("DetailType")
        if detail_type is None:
            raise faults.required_param("Line.DetailType")
        if detail_type not in _SALES_DETAILS:
            raise faults.validation(
                "2170", "Invalid Enumeration", f"Invalid Enumeration: {detail_type}", "Line.DetailType"
            )
        if detail_type == SALES_ITEM:
            _sales_line(store, line, index)
        elif detail_type == DESCRIPTION and line.get("Amount") is not None:
            line["Amount"] = cents(number(line["Amount"], "Line.Amount"))
    subtotal = sum((line["Amount"] for line in lines if line["DetailType"] == SALES_ITEM), ZERO)
    taxable = sum(
        (
            line["Amount"]
            for line in lines
            if line["DetailType"] == SALES_ITEM and _is_taxable_line(store, line)
        ),
        ZERO,
    )
    discount = ZERO
    for line in lines:
        if line["DetailType"] != DISCOUNT:
            continue
        detail = line.get(DISCOUNT) or {}
        if detail.get("PercentBased") and detail.get("DiscountPercent") is not None:
            line["Amount"] = cents(
                subtotal * number(detail["DiscountPercent"], "DiscountPercent") / Decimal(100)
            )
        elif line.get("Amount") is None:
            raise faults.validation(
                "6090",
                "Discount Line missing required info.",
                "Discount amount or percent should be provided.",
            )
        else:
            line["Amount"] = cents(number(line["Amount"], "Line.Amount"))
        discount += line["Amount"]
    if txn.get("ApplyTaxAfterDiscount") and subtotal:
        taxable = taxable - taxable * discount / subtotal
    _line_ids(lines, (previous or {}).get("Line") or [])
    for position, line in enumerate(lines, start=1):
        line["LineNum"] = position
    lines.append({"Amount": subtotal, "DetailType": SUBTOTAL, SUBTOTAL: {}})
    txn["Line"] = lines
    tax = _tax_detail(store, txn, taxable)
    txn["TxnTaxDetail"] = tax
    txn["TotalAmt"] = cents(subtotal - discount + tax["TotalTax"])


def price_bill(store: RealmStore, bill: Entity, previous: Entity | None) -> None:
    raw_lines = bill.get("Line")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise faults.required_param("Line")
    for line in raw_lines:
        detail_type = line.get("DetailType")
        if detail_type not in _BILL_DETAILS:
            raise faults.required_param("Line.AccountBasedExpenseLineDetail")
        detail = line.get(detail_type)
        if not isinstance(detail, dict):
            raise faults.required_param(f"Line.{detail_type}")
        if detail_type == ACCOUNT_EXPENSE:
            ref = detail.get("AccountRef")
            if not isinstance(ref, dict) or store.get("Account", str(ref.get("value"))) is None:
                raise faults.invalid_reference("Line.AccountBasedExpenseLineDetail.AccountRef")
        else:
            ref = detail.get("ItemRef")
            if not isinstance(ref, dict) or store.get("Item", str(ref.get("value"))) is None:
                raise faults.invalid_reference("Line.ItemBasedExpenseLineDetail.ItemRef")
            if (
                line.get("Amount") is None
                and detail.get("Qty") is not None
                and detail.get("UnitPrice") is not None
            ):
                line["Amount"] = cents(
                    number(detail["Qty"], "Qty") * number(detail["UnitPrice"], "UnitPrice")
                )
        if line.get("Amount") is None:
            raise faults.required_param("Line.Amount")
        line["Amount"] = cents(number(line["Amount"], "Line.Amount"))
    _line_ids(raw_lines, (previous or {}).get("Line") or [])
    bill["TotalAmt"] = sum((line["Amount"] for line in raw_lines), ZERO)
