"""Server-side rules: amounts, tax, numbering, names, SyncToken, references, payments and linked records."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from integrations.quickbooks.sandbox.state import Sandbox

from .conftest import Qbo, fault_codes


def line(
    item: str, qty: str | None = None, price: str | None = None, amount: str | None = None, **extra: Any
) -> dict[str, Any]:
    detail: dict[str, Any] = {"ItemRef": {"value": item}, **extra}
    if qty is not None:
        detail["Qty"] = Decimal(qty)
    if price is not None:
        detail["UnitPrice"] = Decimal(price)
    result: dict[str, Any] = {"DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}
    if amount is not None:
        result["Amount"] = Decimal(amount)
    return result


def taxable_item(qbo: Qbo) -> str:
    status, data = qbo.query("SELECT * FROM Item WHERE Name = 'PEX Pipe 1/2 in'")
    assert status == 200
    item = data["QueryResponse"]["Item"][0]
    assert item["Taxable"] is True
    return str(item["Id"])


def test_amount_derived_from_qty_times_unit_price_and_item_price_used(qbo: Qbo) -> None:
    invoice = qbo.create(
        "Invoice",
        {"CustomerRef": {"value": "1"}, "Line": [line("1", qty="2.5"), line("4", qty="1", price="95")]},
    )
    items = [x for x in invoice["Line"] if x["DetailType"] == "SalesItemLineDetail"]
    assert [x["Amount"] for x in items] == [Decimal("275.00"), Decimal("95.00")]  # 2.5 × 110 (catalog price)
    assert items[0]["SalesItemLineDetail"]["UnitPrice"] == Decimal("110.0")
    subtotal = invoice["Line"][-1]
    assert subtotal["DetailType"] == "SubTotalLineDetail" and subtotal["Amount"] == Decimal("370.00")
    assert "Id" not in subtotal
    assert [x["Id"] for x in items] == ["1", "2"] and [x["LineNum"] for x in items] == [1, 2]


def test_amount_that_disagrees_with_qty_times_price_is_6070(qbo: Qbo) -> None:
    status, body = qbo.post(
        "invoice", {"CustomerRef": {"value": "1"}, "Line": [line("1", "2", "110", amount="200")]}
    )
    assert status == 400 and fault_codes(body) == ["6070"]
    assert body["Fault"]["type"] == "ValidationFault"
    assert "Supplied value:200" in body["Fault"]["Error"][0]["Detail"]


def test_amount_inside_detail_is_2010(qbo: Qbo) -> None:
    bad = {
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Amount": 5},
    }
    status, body = qbo.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [bad]})
    assert status == 400 and fault_codes(body) == ["2010"]


def test_tax_only_on_taxable_lines_and_totals_recomputed(qbo: Qbo) -> None:
    pipe = taxable_item(qbo)
    body = {
        "CustomerRef": {"value": "1"},
        "TotalAmt": 1,  # ignored: QBO computes it
        "Line": [line(pipe, "13", "1.10"), line("1", "3", "110"), line("18", "1", "240")],
    }
    invoice = qbo.create("Invoice", body)
    tax = invoice["TxnTaxDetail"]
    # Taxable: pipe 14.30 + sump pump 240.00 = 254.30 at 8.25 % → 20.98; labor is not taxed.
    assert tax["TaxLine"][0]["TaxLineDetail"]["NetAmountTaxable"] == Decimal("254.30")
    assert tax["TotalTax"] == Decimal("20.98")
    assert invoice["TotalAmt"] == Decimal("605.28") == invoice["Balance"]


def test_discount_line_reduces_total(qbo: Qbo) -> None:
    discount = {
        "DetailType": "DiscountLineDetail",
        "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10},
    }
    invoice = qbo.create(
        "Invoice", {"CustomerRef": {"value": "1"}, "Line": [line("1", "1", "110"), discount]}
    )
    assert invoice["TotalAmt"] == Decimal("99.00")


def test_defaults_docnumber_duedate_addresses(qbo: Qbo) -> None:
    first = qbo.create(
        "Invoice", {"CustomerRef": {"value": "1"}, "Line": [line("1", "1")], "TxnDate": "2026-03-01"}
    )
    second = qbo.create("Invoice", {"CustomerRef": {"value": "1"}, "Line": [line("1", "1")]})
    assert int(second["DocNumber"]) == int(first["DocNumber"]) + 1
    assert first["DueDate"] == "2026-03-31"  # ACME is on Net 30
    assert second["TxnDate"] == "2026-03-18"  # the emulator's pinned today
    assert first["BillAddr"]["Line1"] == "117 Elm St"
    assert first["SyncToken"] == "0" and first["EmailStatus"] == "NotSet" and first["LinkedTxn"] == []
    assert first["MetaData"]["CreateTime"] == first["MetaData"]["LastUpdatedTime"]


def test_duplicate_docnumber_is_6140_unless_allowed(qbo: Qbo) -> None:
    body = {"CustomerRef": {"value": "1"}, "Line": [line("1", "1")], "DocNumber": "1001"}
    status, data = qbo.post("invoice", body)
    assert status == 400 and fault_codes(data) == ["6140"]
    status, data = qbo.post("invoice", body, include="allowduplicatedocnum")
    assert status == 200 and data["Invoice"]["DocNumber"] == "1001"


def test_required_fields_are_2020(qbo: Qbo) -> None:
    status, body = qbo.post("invoice", {"Line": [line("1", "1")]})
    assert status == 400 and fault_codes(body) == ["2020"]
    assert body["Fault"]["Error"][0]["Detail"] == "Required parameter CustomerRef is missing in the request"
    status, body = qbo.post("invoice", {"CustomerRef": {"value": "1"}})
    assert fault_codes(body) == ["2020"] and body["Fault"]["Error"][0]["element"] == "Line"
    status, body = qbo.post("payment", {"CustomerRef": {"value": "1"}})
    assert fault_codes(body) == ["2020"]
    status, body = qbo.post("item", {"Name": "Thing"})
    assert fault_codes(body) == ["2020"]


def test_invalid_references_are_2500(qbo: Qbo) -> None:
    status, body = qbo.post("invoice", {"CustomerRef": {"value": "999"}, "Line": [line("1", "1")]})
    assert status == 400 and fault_codes(body) == ["2500"]
    status, body = qbo.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [line("999", "1", "5")]})
    assert fault_codes(body) == ["2500"]
    assert body["Fault"]["Error"][0]["element"] == "Line.SalesItemLineDetail.ItemRef"


def test_display_name_unique_across_customers_and_vendors(qbo: Qbo) -> None:
    status, body = qbo.post("customer", {"DisplayName": "acme corp"})
    assert status == 400 and fault_codes(body) == ["6240"]
    status, body = qbo.post("vendor", {"DisplayName": "ACME Corp"})
    assert fault_codes(body) == ["6240"]
    vendor_name = qbo.read("Vendor", "1")["DisplayName"]
    status, body = qbo.post("customer", {"DisplayName": vendor_name})
    assert fault_codes(body) == ["6240"]
    status, body = qbo.post("customer", {})
    assert fault_codes(body) == ["6080"]
    created = qbo.create("Customer", {"GivenName": "Ada", "FamilyName": "Lovelace"})
    assert created["DisplayName"] == "Ada Lovelace" and created["FullyQualifiedName"] == "Ada Lovelace"


def test_sparse_and_full_update_sync_token_and_metadata(qbo: Qbo, sandbox: Sandbox) -> None:
    sandbox.clock.advance(__import__("datetime").timedelta(seconds=5))
    before = qbo.read("Invoice", "2")
    status, data = qbo.post(
        "invoice", {"Id": "2", "SyncToken": before["SyncToken"], "sparse": True, "PrivateNote": "Follow up"}
    )
    assert status == 200
    after = data["Invoice"]
    assert after["SyncToken"] == str(int(before["SyncToken"]) + 1)
    assert (
        after["PrivateNote"] == "Follow up" and after["Line"] == before["Line"] and after["sparse"] is False
    )
    assert after["MetaData"]["CreateTime"] == before["MetaData"]["CreateTime"]
    assert after["MetaData"]["LastUpdatedTime"] > before["MetaData"]["LastUpdatedTime"]
    # Full update: omitted writable fields are cleared.
    full = {k: v for k, v in after.items() if k not in ("PrivateNote", "CustomerMemo")}
    status, data = qbo.post("invoice", full)
    assert (
        status == 200
        and "PrivateNote" not in data["Invoice"]
        and data["Invoice"]["SyncToken"] == str(int(after["SyncToken"]) + 1)
    )


def test_stale_sync_token_is_5010_and_missing_is_610(qbo: Qbo) -> None:
    status, body = qbo.post("customer", {"Id": "1", "SyncToken": "0", "sparse": True, "Notes": "a"})
    assert status == 200
    status, body = qbo.post("customer", {"Id": "1", "SyncToken": "0", "sparse": True, "Notes": "b"})
    assert status == 400 and fault_codes(body) == ["5010"]
    assert body["Fault"]["Error"][0]["Message"] == "Stale Object Error"
    status, body = qbo.get("invoice/99999")
    assert (
        status == 400
        and fault_codes(body) == ["610"]
        and body["Fault"]["Error"][0]["Message"] == "Object Not Found"
    )


def test_line_ids_kept_for_existing_lines_new_ones_numbered(qbo: Qbo) -> None:
    invoice = qbo.create("Invoice", {"CustomerRef": {"value": "1"}, "Line": [line("1", "1"), line("4", "1")]})
    kept = [x for x in invoice["Line"] if x.get("Id") == "2"]
    body = {
        "Id": invoice["Id"],
        "SyncToken": invoice["SyncToken"],
        "sparse": True,
        "Line": [*kept, line("1", "2")],
    }
    _status, data = qbo.post("invoice", body)
    items = [x for x in data["Invoice"]["Line"] if x["DetailType"] == "SalesItemLineDetail"]
    assert [x["Id"] for x in items] == ["2", "3"]
    assert data["Invoice"]["TotalAmt"] == Decimal("89.00") + Decimal("220.00")


def _open_invoice(qbo: Qbo, customer: str = "1") -> dict[str, Any]:
    return qbo.create("Invoice", {"CustomerRef": {"value": customer}, "Line": [line("1", "2")]})  # 220.00


def pay(invoice: dict[str, Any], amount: str, total: str | None = None) -> dict[str, Any]:
    return {
        "CustomerRef": {"value": invoice["CustomerRef"]["value"]},
        "TotalAmt": Decimal(total or amount),
        "Line": [{"Amount": Decimal(amount), "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
    }


def test_payment_reduces_invoice_balance_and_customer_balance(qbo: Qbo) -> None:
    customer_before = qbo.read("Customer", "1")["Balance"]
    invoice = _open_invoice(qbo)
    assert qbo.read("Customer", "1")["Balance"] == customer_before + Decimal("220.00")
    payment = qbo.create("Payment", pay(invoice, "100.00", total="150.00"))
    assert payment["UnappliedAmt"] == Decimal("50.00")
    after = qbo.read("Invoice", invoice["Id"])
    assert after["Balance"] == Decimal("120.00")
    assert after["SyncToken"] == "1"  # the invoice changed too
    assert {"TxnId": payment["Id"], "TxnType": "Payment"} in after["LinkedTxn"]
    # Open balance less the unapplied credit.
    assert qbo.read("Customer", "1")["Balance"] == customer_before + Decimal("120.00") - Decimal("50.00")


def test_voiding_or_deleting_a_payment_restores_the_balance(qbo: Qbo) -> None:
    invoice = _open_invoice(qbo)
    first = qbo.create("Payment", pay(invoice, "100.00"))
    second = qbo.create("Payment", pay(invoice, "20.00"))
    assert qbo.read("Invoice", invoice["Id"])["Balance"] == Decimal("100.00")
    status, data = qbo.post(
        "payment",
        {"Id": first["Id"], "SyncToken": first["SyncToken"], "sparse": True},
        operation="update",
        include="void",
    )
    assert status == 200
    voided = data["Payment"]
    assert voided["TotalAmt"] == 0 and voided["UnappliedAmt"] == 0 and voided["Line"] == []
    assert voided["PrivateNote"].startswith("Voided")
    assert qbo.read("Invoice", invoice["Id"])["Balance"] == Decimal("200.00")
    status, data = qbo.post(
        "payment", {"Id": second["Id"], "SyncToken": second["SyncToken"]}, operation="delete"
    )
    assert status == 200 and data["Payment"] == {"status": "Deleted", "domain": "QBO", "Id": second["Id"]}
    restored = qbo.read("Invoice", invoice["Id"])
    assert restored["Balance"] == Decimal("220.00")
    assert not [x for x in restored["LinkedTxn"] if x["TxnType"] == "Payment"]


def test_overpaying_an_invoice_or_applying_more_than_received_is_refused(qbo: Qbo) -> None:
    invoice = _open_invoice(qbo)
    status, body = qbo.post("payment", pay(invoice, "300.00"))
    assert status == 400 and fault_codes(body) == ["6000"]
    status, body = qbo.post("payment", pay(invoice, "100.00", total="50.00"))
    assert fault_codes(body) == ["6000"]


def test_invoice_with_payments_cannot_be_deleted_or_voided(qbo: Qbo) -> None:
    invoice = _open_invoice(qbo)
    qbo.create("Payment", pay(invoice, "10.00"))
    current = qbo.read("Invoice", invoice["Id"])
    for operation in ("delete", "void"):
        status, body = qbo.post(
            "invoice", {"Id": current["Id"], "SyncToken": current["SyncToken"]}, operation=operation
        )
        assert status == 400 and fault_codes(body) == ["6000"]


def test_delete_invoice_returns_stub_then_610(qbo: Qbo) -> None:
    invoice = _open_invoice(qbo)
    status, data = qbo.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="delete")
    assert status == 200 and data["Invoice"] == {"status": "Deleted", "domain": "QBO", "Id": invoice["Id"]}
    status, body = qbo.get(f"invoice/{invoice['Id']}")
    assert status == 400 and fault_codes(body) == ["610"]


def test_void_invoice_zeroes_amounts_and_prepends_voided(qbo: Qbo) -> None:
    invoice = qbo.create(
        "Invoice", {"CustomerRef": {"value": "1"}, "Line": [line("1", "2")], "PrivateNote": "Kitchen"}
    )
    status, data = qbo.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="void")
    voided = data["Invoice"]
    assert status == 200 and voided["SyncToken"] == "1"
    assert voided["TotalAmt"] == 0 and voided["Balance"] == 0
    item_line = voided["Line"][0]
    assert item_line["Amount"] == 0 and item_line["SalesItemLineDetail"]["Qty"] == 0
    assert voided["PrivateNote"].startswith("Voided") and "Kitchen" in voided["PrivateNote"]
    status, _body = qbo.post("estimate", {"Id": "1", "SyncToken": "0"}, operation="void")
    assert status == 400


def test_estimate_linked_to_invoice(qbo: Qbo) -> None:
    estimate = qbo.create(
        "Estimate", {"CustomerRef": {"value": "2"}, "Line": [line("1", "1")], "TxnStatus": "Accepted"}
    )
    assert estimate["TxnStatus"] == "Accepted" and "Balance" not in estimate
    invoice = qbo.create(
        "Invoice",
        {
            "CustomerRef": {"value": "2"},
            "LinkedTxn": [{"TxnId": estimate["Id"], "TxnType": "Estimate"}],
            "Line": [line("1", "1")],
        },
    )
    assert invoice["LinkedTxn"] == [{"TxnId": estimate["Id"], "TxnType": "Estimate"}]
    linked = qbo.read("Estimate", estimate["Id"])
    assert linked["LinkedTxn"] == [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]
    assert linked["TxnStatus"] == "Closed" and linked["SyncToken"] == "1"
    # The link is kept by the server: a full update of the estimate without LinkedTxn does not drop it.
    full = {k: v for k, v in linked.items() if k != "LinkedTxn"}
    status, data = qbo.post("estimate", full)
    assert status == 200 and data["Estimate"]["LinkedTxn"] == linked["LinkedTxn"]
    # A closed estimate cannot be linked again: the link is ignored, as the schema says.
    again = qbo.create(
        "Invoice",
        {
            "CustomerRef": {"value": "2"},
            "LinkedTxn": [{"TxnId": estimate["Id"], "TxnType": "Estimate"}],
            "Line": [line("1", "1")],
        },
    )
    assert again["LinkedTxn"] == []
    # Deleting the invoice unlinks the estimate.
    qbo.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="delete")
    assert qbo.read("Estimate", estimate["Id"])["LinkedTxn"] == []


def test_name_lists_cannot_be_deleted_only_deactivated(qbo: Qbo) -> None:
    status, body = qbo.post("customer", {"Id": "2", "SyncToken": "0"}, operation="delete")
    assert status == 400
    status, data = qbo.post("customer", {"Id": "2", "SyncToken": "0", "sparse": True, "Active": False})
    assert status == 200 and data["Customer"]["Active"] is False
    status, data = qbo.query("select * from Customer where Id = '2'")
    assert data["QueryResponse"] == {}
    status, body = qbo.post("invoice", {"CustomerRef": {"value": "2"}, "Line": [line("1", "1")]})
    assert fault_codes(body) == ["2500"]


def test_fixture_totals_agree_with_the_rules(qbo: Qbo, sandbox: Sandbox) -> None:
    """Re-pricing every fixture invoice through the rules gives the totals QBO stored."""
    for invoice in sandbox.list_entities(sandbox.default_realm_id, "Invoice")[:30]:
        body = {
            "Id": invoice["Id"],
            "SyncToken": invoice["SyncToken"],
            "sparse": True,
            "Line": invoice["Line"],
        }
        status, data = qbo.post("invoice", body)
        assert status == 200, data
        assert data["Invoice"]["TotalAmt"] == invoice["TotalAmt"]
        assert data["Invoice"]["Balance"] == invoice["Balance"]
