"""Mapping round trips over every entity of the demo company: QBO JSON → domain rows → QBO payload."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.models import (
    Account,
    Bill,
    Customer,
    Estimate,
    EstimateLine,
    EstimateStatus,
    Invoice,
    Item,
    ItemType,
    LineType,
    Payment,
    TaxRate,
    Tenant,
    Term,
    Vendor,
)
from integrations.quickbooks.api.client import encode_payload
from integrations.quickbooks.mapping.documents import (
    bill_to_qbo,
    estimate_status_from_qbo,
    estimate_to_qbo,
    invoice_to_qbo,
    line_to_qbo,
    payment_to_qbo,
)
from integrations.quickbooks.mapping.lists import (
    MappingError,
    Refs,
    account_to_qbo,
    customer_to_qbo,
    item_from_qbo,
    item_to_qbo,
    item_type_from_qbo,
    payment_methods_from_qbo,
    tax_rate_to_qbo,
    term_to_qbo,
    vendor_to_qbo,
)
from integrations.quickbooks.sync.entities import load_refs
from integrations.quickbooks.sync.importer import import_company_snapshot

FIXTURE = (
    Path(__file__).resolve().parents[4] / "integrations/quickbooks/sandbox/fixtures/qbo_demo_company.json"
)

LINE_PATHS = [
    "DetailType",
    "Amount",
    "Description",
    "SalesItemLineDetail.ItemRef.value",
    "SalesItemLineDetail.Qty",
    "SalesItemLineDetail.UnitPrice",
    "SalesItemLineDetail.TaxCodeRef.value",
]
PATHS: dict[str, list[str]] = {
    "Account": ["Name", "AccountType", "AccountSubType", "Active"],
    "Term": ["Name", "DueDays", "Active"],
    "TaxRate": ["Name", "RateValue", "Active"],
    "Item": [
        "Name",
        "Type",
        "Description",
        "UnitPrice",
        "PurchaseCost",
        "Taxable",
        "Active",
        "IncomeAccountRef.value",
        "ExpenseAccountRef.value",
        "Sku",
    ],
    "Customer": [
        "DisplayName",
        "CompanyName",
        "GivenName",
        "FamilyName",
        "PrimaryEmailAddr.Address",
        "PrimaryPhone.FreeFormNumber",
        "BillAddr.Line1",
        "BillAddr.City",
        "BillAddr.CountrySubDivisionCode",
        "BillAddr.PostalCode",
        "BillAddr.Country",
        "ShipAddr.Line1",
        "Taxable",
        "Active",
        "SalesTermRef.value",
    ],
    "Vendor": ["DisplayName", "CompanyName", "PrimaryEmailAddr.Address", "Active"],
    "Estimate": [
        "Id",
        "SyncToken",
        "DocNumber",
        "CustomerRef.value",
        "TxnDate",
        "ExpirationDate",
        "TxnStatus",
        "TxnTaxDetail.TxnTaxCodeRef.value",
        "CustomerMemo.value",
        "PrivateNote",
        "AcceptedBy",
        "AcceptedDate",
    ],
    "Invoice": [
        "Id",
        "SyncToken",
        "DocNumber",
        "CustomerRef.value",
        "TxnDate",
        "DueDate",
        "SalesTermRef.value",
        "TxnTaxDetail.TxnTaxCodeRef.value",
        "CustomerMemo.value",
        "PrivateNote",
    ],
    "Payment": [
        "Id",
        "CustomerRef.value",
        "TotalAmt",
        "TxnDate",
        "PaymentMethodRef.value",
        "PaymentRefNum",
        "PrivateNote",
    ],
    "Bill": ["Id", "VendorRef.value", "DocNumber", "TxnDate", "DueDate", "PrivateNote"],
}


@pytest.fixture(scope="module")
def company() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text())


def norm(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value)).normalize()
    return value


def pick(obj: dict[str, Any], path: str) -> Any:
    cur: Any = obj
    for part in path.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    return norm(cur)


def wire(payload: dict[str, Any]) -> dict[str, Any]:
    """Through the client's encoder, as QBO would receive it."""
    return json.loads(encode_payload(payload))


def assert_same(entity: str, original: dict[str, Any], produced: dict[str, Any]) -> None:
    for path in PATHS[entity]:
        assert pick(produced, path) == pick(original, path), f"{entity} {original.get('Id')} {path}"


def assert_lines(original: dict[str, Any], produced: dict[str, Any]) -> None:
    want = [ln for ln in original["Line"] if ln["DetailType"] != "SubTotalLineDetail"]
    assert len(produced["Line"]) == len(want)
    for have, line in zip(produced["Line"], want, strict=True):
        for path in LINE_PATHS:
            assert pick(have, path) == pick(line, path), f"line {line.get('Id')} {path}"


@pytest.fixture()
def imported(session: Session, company: dict[str, Any]) -> tuple[str, Refs]:
    tenant = Tenant(name="Northwind")
    session.add(tenant)
    session.flush()
    import_company_snapshot(session, tenant.id, company)
    refs = load_refs(session, tenant.id)
    refs.payment_methods = payment_methods_from_qbo(company["PaymentMethod"])
    return tenant.id, refs


def rows_by_qbo(session: Session, model: Any, tenant_id: str) -> dict[str, Any]:
    return {r.qbo_id: r for r in session.scalars(select(model).where(model.tenant_id == tenant_id))}


def test_round_trip_every_entity(
    session: Session, company: dict[str, Any], imported: tuple[str, Refs]
) -> None:
    tenant_id, refs = imported
    out = {
        "Account": (Account, account_to_qbo),
        "Term": (Term, term_to_qbo),
        "TaxRate": (TaxRate, tax_rate_to_qbo),
        "Item": (Item, item_to_qbo),
        "Customer": (Customer, lambda r: customer_to_qbo(r, refs)),
        "Vendor": (Vendor, vendor_to_qbo),
        "Estimate": (Estimate, lambda r: estimate_to_qbo(r, refs)),
        "Invoice": (Invoice, lambda r: invoice_to_qbo(r, refs)),
        "Payment": (Payment, lambda r: payment_to_qbo(r, refs)),
        "Bill": (Bill, lambda r: bill_to_qbo(r, refs, expense_account_qbo_id="11")),
    }
    checked = 0
    for entity, (model, to_qbo) in out.items():
        rows = rows_by_qbo(session, model, tenant_id)
        assert len(rows) == len(company[entity]), entity
        for original in company[entity]:
            produced = wire(to_qbo(rows[original["Id"]]))
            assert_same(entity, original, produced)
            if entity in ("Estimate", "Invoice"):
                assert_lines(original, produced)
            if entity == "Payment":
                assert [(pick(ln, "Amount"), ln["LinkedTxn"]) for ln in produced["Line"]] == [
                    (pick(ln, "Amount"), ln["LinkedTxn"]) for ln in original["Line"]
                ]
            checked += 1
    assert checked == sum(len(company[e]) for e in out)


def test_inbound_keeps_qbo_numbers_as_decimals(
    session: Session, company: dict[str, Any], imported: tuple[str, Refs]
) -> None:
    tenant_id, _ = imported
    invoices = rows_by_qbo(session, Invoice, tenant_id)
    for original in company["Invoice"]:
        row = invoices[original["Id"]]
        assert isinstance(row.total, Decimal)
        assert row.total == Decimal(str(original["TotalAmt"]))
        assert row.balance_due == Decimal(str(original["Balance"]))
        assert row.tax_total == Decimal(str(original["TxnTaxDetail"]["TotalTax"]))
        assert row.amount_paid == row.total - row.balance_due
        subtotal = next(ln["Amount"] for ln in original["Line"] if ln["DetailType"] == "SubTotalLineDetail")
        assert row.subtotal == Decimal(str(subtotal))
        assert sum(ln.line_subtotal for ln in row.lines) == row.subtotal
    bills = rows_by_qbo(session, Bill, tenant_id)
    for original in company["Bill"]:
        assert bills[original["Id"]].balance == Decimal(str(original["Balance"]))


def test_items_get_keywords_units_and_types(
    session: Session, company: dict[str, Any], imported: tuple[str, Refs]
) -> None:
    tenant_id, _ = imported
    items = {i.name: i for i in rows_by_qbo(session, Item, tenant_id).values()}
    assert items["Labor - Standard"].type == ItemType.LABOR
    assert items["Labor - Standard"].unit_of_measure == "hour"
    assert items["Water Heater 50 gal Gas"].type == ItemType.MATERIAL
    assert items["Water Heater 50 gal Gas"].keywords == company["itemKeywords"]["Water Heater 50 gal Gas"]
    assert items["Permit Fee"].type == ItemType.FEE
    assert items["Discount"].type == ItemType.DISCOUNT
    lines = session.scalars(select(EstimateLine).where(EstimateLine.tenant_id == tenant_id)).all()
    labor = [ln for ln in lines if ln.name == "Labor - Standard"]
    assert labor and all(
        ln.type == LineType.LABOR and ln.item_id == items["Labor - Standard"].id for ln in labor
    )


def test_item_type_mapping_both_ways() -> None:
    assert item_type_from_qbo("Service", "Labor - Standard") is ItemType.LABOR
    assert item_type_from_qbo("Service", "Camera Inspection", unit="each") is ItemType.OTHER
    assert (
        item_type_from_qbo("Service", "Tune-up", description="Seasonal tune-up, flat rate") is ItemType.OTHER
    )
    assert item_type_from_qbo("Service", "Helper", description="Apprentice, per hour") is ItemType.LABOR
    assert item_type_from_qbo("Service", "Haul-away & Disposal", unit="each") is ItemType.FEE
    assert item_type_from_qbo("NonInventory", "Pipe") is ItemType.MATERIAL
    assert item_type_from_qbo("Inventory", "Pipe") is ItemType.MATERIAL
    assert item_type_from_qbo("Group", "Kit") is ItemType.OTHER
    item = Item(name="Pipe", type=ItemType.MATERIAL, rate=Decimal("1.10"), taxable=True, active=True)
    assert item_to_qbo(item)["Type"] == "NonInventory"
    assert item_to_qbo(item, inventory=True)["Type"] == "Inventory"
    assert "Id" not in item_to_qbo(item)
    fields = item_from_qbo({"Id": "9", "Name": "X", "Type": "Service", "UnitPrice": 0.1 + 0.2})
    assert fields["rate"] == Decimal("0.30")


def test_estimate_status_mapping() -> None:
    assert estimate_status_from_qbo("Accepted", None) is EstimateStatus.APPROVED
    assert estimate_status_from_qbo("Closed", None) is EstimateStatus.CONVERTED
    assert estimate_status_from_qbo("Rejected", None) is EstimateStatus.REJECTED
    assert estimate_status_from_qbo("Pending", "EmailSent") is EstimateStatus.SENT
    assert estimate_status_from_qbo("Pending", "NotSet") is EstimateStatus.DRAFT


def test_markup_is_baked_into_unit_price() -> None:
    line = EstimateLine(
        type=LineType.MATERIAL,
        name="Water heater",
        quantity=Decimal("3"),
        unit_price=Decimal("950.00"),
        markup_percent=Decimal("20"),
        markup_amount=Decimal("570.00"),
        line_subtotal=Decimal("3420.00"),
        taxable=True,
    )
    out = wire(line_to_qbo(line, Refs()))
    detail = out["SalesItemLineDetail"]
    assert Decimal(str(out["Amount"])) == Decimal("3420.00")
    assert Decimal(str(detail["UnitPrice"])) == Decimal("1140")
    assert detail["TaxCodeRef"] == {"value": "TAX"}
    assert out["Description"] == "Water heater"  # no QBO item: the name travels as the description
    odd = EstimateLine(
        type=LineType.MATERIAL,
        name="Odd",
        quantity=Decimal("3"),
        unit_price=Decimal("1.00"),
        markup_percent=Decimal("33.333"),
        markup_amount=Decimal("1.00"),
        line_subtotal=Decimal("4.00"),
        taxable=False,
    )
    odd_out = line_to_qbo(odd, Refs())
    qty, price = odd_out["SalesItemLineDetail"]["Qty"], odd_out["SalesItemLineDetail"].get("UnitPrice")
    assert price is None or (qty * price).quantize(Decimal("0.01")) == Decimal("4.00")


def test_outbound_needs_pushed_references() -> None:
    est = Estimate(customer_id="local-customer", status=EstimateStatus.DRAFT, lines=[])
    with pytest.raises(MappingError, match="push it to QuickBooks first"):
        estimate_to_qbo(est, Refs())
