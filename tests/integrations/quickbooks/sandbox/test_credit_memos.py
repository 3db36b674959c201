"""CreditMemo over the emulator's HTTP API, and payments that apply credit memos (the write-off flow).

A write-off is a credit memo for the written-off amount plus a zero payment whose lines apply the invoice and
the credit memo for the same amount; together they close the invoice.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from integrations.quickbooks.sandbox.app import create_sandbox_app
from integrations.quickbooks.sandbox.config import SandboxConfig, WebhookConfig
from integrations.quickbooks.sandbox.server import run_sandbox_server
from integrations.quickbooks.sandbox.state import Sandbox

from .conftest import Qbo, fault_codes
from .test_webhooks import VERIFIER, Receiver, events, independent_signature

D = Decimal


# ---- helpers -----------------------------------------------------------------------------------------------
def bad_debt_item(qbo: Qbo) -> str:
    item = qbo.create(
        "Item", {"Name": "Bad Debt", "Type": "Service", "IncomeAccountRef": {"value": "16"}, "Taxable": False}
    )
    return str(item["Id"])


def credit_memo_body(item: str, amount: str, customer: str = "1") -> dict[str, Any]:
    return {
        "CustomerRef": {"value": customer},
        "Line": [
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": D(amount),
                "Description": "Write-off",
                "SalesItemLineDetail": {"ItemRef": {"value": item}},
            }
        ],
    }


def open_invoice(qbo: Qbo, customer: str = "1") -> dict[str, Any]:
    """220.00: two hours of standard labour (item 1, 110.00, not taxable)."""
    return qbo.create(
        "Invoice",
        {
            "CustomerRef": {"value": customer},
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": D("2")},
                }
            ],
        },
    )


def settle(customer: str, total: str, *applications: tuple[str, str, str]) -> dict[str, Any]:
    """A payment body; each application is (TxnType, TxnId, amount)."""
    return {
        "CustomerRef": {"value": customer},
        "TotalAmt": D(total),
        "Line": [
            {"Amount": D(amount), "LinkedTxn": [{"TxnId": txn_id, "TxnType": txn_type}]}
            for txn_type, txn_id, amount in applications
        ],
    }


def write_off(invoice: dict[str, Any], memo: dict[str, Any], amount: str) -> dict[str, Any]:
    return settle(
        invoice["CustomerRef"]["value"],
        "0",
        ("Invoice", invoice["Id"], amount),
        ("CreditMemo", memo["Id"], amount),
    )


def customer_balance(qbo: Qbo, customer: str = "1") -> Decimal:
    return D(qbo.read("Customer", customer)["Balance"])


def count(qbo: Qbo, entity: str) -> int:
    status, data = qbo.query(f"SELECT COUNT(*) FROM {entity}")
    assert status == 200, data
    return int(data["QueryResponse"]["totalCount"])


def payment_links(txn: dict[str, Any]) -> list[str]:
    return [x["TxnId"] for x in txn["LinkedTxn"] if x["TxnType"] == "Payment"]


# ---- the entity --------------------------------------------------------------------------------------------
def test_create_read_query_update_delete(qbo: Qbo) -> None:
    item = bad_debt_item(qbo)
    before = customer_balance(qbo)
    status, data = qbo.post("creditmemo", credit_memo_body(item, "120"))
    assert status == 200, data
    memo = data["CreditMemo"]
    assert memo["TotalAmt"] == D("120.00")
    assert memo["Balance"] == memo["RemainingCredit"] == D("120.00")
    assert memo["LinkedTxn"] == [] and memo["SyncToken"] == "0"
    assert memo["DocNumber"] == "1001"  # credit memos number their own documents
    assert memo["CustomerRef"] == {"value": "1", "name": "ACME Corp"}
    assert "DueDate" not in memo and "Deposit" not in memo
    assert memo["domain"] == "QBO" and memo["sparse"] is False
    assert [line["DetailType"] for line in memo["Line"]] == ["SalesItemLineDetail", "SubTotalLineDetail"]
    assert memo["Line"][0]["SalesItemLineDetail"]["ItemRef"] == {"value": item, "name": "Bad Debt"}
    assert customer_balance(qbo) == before - D("120.00")
    assert qbo.read("CreditMemo", memo["Id"]) == memo
    assert qbo.create("CreditMemo", credit_memo_body(item, "5"))["DocNumber"] == "1002"

    status, data = qbo.query("SELECT * FROM CreditMemo WHERE CustomerRef = '1' AND RemainingCredit > '100'")
    assert status == 200 and [m["Id"] for m in data["QueryResponse"]["CreditMemo"]] == [memo["Id"]]
    assert count(qbo, "CreditMemo") == 2

    status, data = qbo.post(
        "creditmemo", {"Id": memo["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "Uncollectable"}
    )
    assert status == 200, data
    sparse = data["CreditMemo"]
    assert sparse["SyncToken"] == "1" and sparse["PrivateNote"] == "Uncollectable"
    assert sparse["TotalAmt"] == D("120.00") and sparse["DocNumber"] == "1001"
    assert sparse["MetaData"]["CreateTime"] == memo["MetaData"]["CreateTime"]

    full = credit_memo_body(item, "150")
    status, data = qbo.post("creditmemo", {**full, "Id": memo["Id"], "SyncToken": "1"})
    assert status == 200, data
    assert data["CreditMemo"]["RemainingCredit"] == data["CreditMemo"]["TotalAmt"] == D("150.00")
    assert "PrivateNote" not in data["CreditMemo"]  # a full update nulls what it leaves out
    assert customer_balance(qbo) == before - D("155.00")

    status, data = qbo.post("creditmemo", {"Id": memo["Id"], "SyncToken": "2"}, operation="delete")
    assert status == 200 and data["CreditMemo"] == {"status": "Deleted", "domain": "QBO", "Id": memo["Id"]}
    status, data = qbo.get(f"creditmemo/{memo['Id']}")
    assert status == 400 and fault_codes(data) == ["610"]
    assert customer_balance(qbo) == before - D("5.00")


def test_credit_memo_is_priced_like_an_invoice_tax_included(qbo: Qbo) -> None:
    _status, data = qbo.query("SELECT * FROM Item WHERE Name = 'PEX Pipe 1/2 in'")
    pex = data["QueryResponse"]["Item"][0]
    body = {
        "CustomerRef": {"value": "2"},
        "TotalAmt": D("1"),  # overwritten, as QBO documents
        "Line": [
            {
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": pex["Id"]},
                    "Qty": D("10"),
                    "UnitPrice": D("1.10"),
                },
            }
        ],
    }
    memo = qbo.create("CreditMemo", body)
    tax = D(memo["TxnTaxDetail"]["TotalTax"])
    assert tax > 0
    assert memo["TotalAmt"] == D("11.00") + tax == memo["RemainingCredit"] == memo["Balance"]


def test_credit_memo_references_are_checked(qbo: Qbo) -> None:
    item = bad_debt_item(qbo)
    body = credit_memo_body(item, "10")
    del body["CustomerRef"]
    status, data = qbo.post("creditmemo", body)
    assert status == 400 and fault_codes(data) == ["2020"]
    status, data = qbo.post("creditmemo", credit_memo_body(item, "10", customer="17"))  # inactive
    assert status == 400 and fault_codes(data) == ["2500"]
    assert "made inactive" in data["Fault"]["Error"][0]["Detail"]
    status, data = qbo.post("creditmemo", credit_memo_body(item, "10", customer="9999"))
    assert status == 400 and fault_codes(data) == ["2500"]
    status, data = qbo.post("creditmemo", credit_memo_body("9999", "10"))
    assert status == 400 and fault_codes(data) == ["2500"]
    status, data = qbo.post("creditmemo", {"CustomerRef": {"value": "1"}, "Line": []})
    assert status == 400 and fault_codes(data) == ["2020"]
    assert count(qbo, "CreditMemo") == 0


# ---- payments that apply credit memos ------------------------------------------------------------------------
def test_write_off_closes_the_invoice(qbo: Qbo) -> None:
    item = bad_debt_item(qbo)
    before = customer_balance(qbo)
    invoice = open_invoice(qbo)
    cash = qbo.create("Payment", settle("1", "100", ("Invoice", invoice["Id"], "100")))
    assert customer_balance(qbo) == before + D("120.00")
    memo = qbo.create("CreditMemo", credit_memo_body(item, "120"))
    assert customer_balance(qbo) == before  # the credit is the customer's until it is applied

    status, data = qbo.post("payment", write_off(invoice, memo, "120"))
    assert status == 200, data
    payment = data["Payment"]
    assert payment["TotalAmt"] == 0 and payment["UnappliedAmt"] == 0
    assert [line["LinkedTxn"][0]["TxnType"] for line in payment["Line"]] == ["Invoice", "CreditMemo"]

    closed = qbo.read("Invoice", invoice["Id"])
    assert closed["Balance"] == 0
    assert payment_links(closed) == [cash["Id"], payment["Id"]]
    used = qbo.read("CreditMemo", memo["Id"])
    assert used["RemainingCredit"] == 0 and used["Balance"] == 0 and used["TotalAmt"] == D("120.00")
    assert used["LinkedTxn"] == [{"TxnId": payment["Id"], "TxnType": "Payment"}]
    assert used["SyncToken"] == "1"
    assert used["MetaData"]["LastUpdatedTime"] >= memo["MetaData"]["LastUpdatedTime"]
    assert customer_balance(qbo) == before
    assert D(qbo.read("Customer", "1")["BalanceWithJobs"]) == before


def test_partial_application_leaves_the_rest_of_the_credit(qbo: Qbo) -> None:
    item = bad_debt_item(qbo)
    before = customer_balance(qbo)
    invoice = open_invoice(qbo)
    memo = qbo.create("CreditMemo", credit_memo_body(item, "200"))
    qbo.create("Payment", write_off(invoice, memo, "50"))
    assert qbo.read("CreditMemo", memo["Id"])["RemainingCredit"] == D("150.00")
    assert qbo.read("Invoice", invoice["Id"])["Balance"] == D("170.00")
    # Cash and credit together: 30 received plus 50 of credit pays 80.
    mixed = qbo.create(
        "Payment", settle("1", "30", ("Invoice", invoice["Id"], "80"), ("CreditMemo", memo["Id"], "50"))
    )
    assert mixed["UnappliedAmt"] == 0
    assert qbo.read("CreditMemo", memo["Id"])["RemainingCredit"] == D("100.00")
    assert qbo.read("Invoice", invoice["Id"])["Balance"] == D("90.00")
    assert customer_balance(qbo) == before + D("90.00") - D("100.00")
    _status, data = qbo.query(f"SELECT * FROM CreditMemo WHERE Id = '{memo['Id']}'")
    assert len(payment_links(data["QueryResponse"]["CreditMemo"][0])) == 2


def test_over_applying_a_credit_memo_is_refused_and_nothing_changes(qbo: Qbo) -> None:
    item = bad_debt_item(qbo)
    invoice = open_invoice(qbo)
    memo = qbo.create("CreditMemo", credit_memo_body(item, "100"))
    balance = customer_balance(qbo)
    payments = count(qbo, "Payment")
    status, data = qbo.post("payment", write_off(invoice, memo, "150"))
    assert status == 400 and fault_codes(data) == ["6000"]
    assert "remaining credit of 100.00" in data["Fault"]["Error"][0]["Detail"]
    assert qbo.read("CreditMemo", memo["Id"]) == memo
    assert qbo.read("Invoice", invoice["Id"]) == invoice
    assert count(qbo, "Payment") == payments and customer_balance(qbo) == balance

    qbo.create("Payment", write_off(invoice, memo, "60"))
    status, data = qbo.post("payment", write_off(invoice, memo, "60"))  # only 40 left
    assert status == 400 and fault_codes(data) == ["6000"]
    # Two lines of one payment count together against the credit.
    status, data = qbo.post(
        "payment",
        settle(
            "1",
            "0",
            ("Invoice", invoice["Id"], "60"),
            ("CreditMemo", memo["Id"], "30"),
            ("CreditMemo", memo["Id"], "30"),
        ),
    )
    assert status == 400 and fault_codes(data) == ["6000"]
    assert qbo.read("CreditMemo", memo["Id"])["RemainingCredit"] == D("40.00")


def test_credit_memo_of_another_customer_or_unknown_is_refused(qbo: Qbo) -> None:
    item = bad_debt_item(qbo)
    invoice = open_invoice(qbo, customer="1")
    others = qbo.create("CreditMemo", credit_memo_body(item, "50", customer="2"))
    status, data = qbo.post("payment", write_off(invoice, others, "10"))
    assert status == 400 and fault_codes(data) == ["6000"]
    assert "different customer" in data["Fault"]["Error"][0]["Detail"]
    assert qbo.read("CreditMemo", others["Id"])["RemainingCredit"] == D("50.00")
    status, data = qbo.post("payment", write_off(invoice, {"Id": "9999"}, "10"))
    assert status == 400 and fault_codes(data) == ["2500"]
    assert qbo.read("Invoice", invoice["Id"])["Balance"] == D("220.00")


def test_negative_unapplied_amount_is_refused(qbo: Qbo) -> None:
    item = bad_debt_item(qbo)
    invoice = open_invoice(qbo)
    memo = qbo.create("CreditMemo", credit_memo_body(item, "50"))
    status, data = qbo.post(
        "payment", settle("1", "0", ("Invoice", invoice["Id"], "100"), ("CreditMemo", memo["Id"], "50"))
    )
    assert status == 400 and fault_codes(data) == ["6000"]
    assert qbo.read("CreditMemo", memo["Id"])["RemainingCredit"] == D("50.00")
    status, data = qbo.post(
        "payment", settle("1", "50", ("Invoice", invoice["Id"], "100"), ("CreditMemo", memo["Id"], "50"))
    )
    assert status == 200 and data["Payment"]["UnappliedAmt"] == 0


def test_changing_voiding_and_deleting_the_payment_give_the_credit_back(qbo: Qbo) -> None:
    item = bad_debt_item(qbo)
    before = customer_balance(qbo)
    invoice = open_invoice(qbo)
    memo = qbo.create("CreditMemo", credit_memo_body(item, "120"))
    payment = qbo.create("Payment", write_off(invoice, memo, "120"))
    assert qbo.read("Invoice", invoice["Id"])["Balance"] == D("100.00")

    # Sparse update of the lines (all or none, as QBO requires for payments).
    status, data = qbo.post(
        "payment", {**write_off(invoice, memo, "70"), "Id": payment["Id"], "SyncToken": "0", "sparse": True}
    )
    assert status == 200, data
    assert qbo.read("CreditMemo", memo["Id"])["RemainingCredit"] == D("50.00")
    assert qbo.read("Invoice", invoice["Id"])["Balance"] == D("150.00")

    status, data = qbo.post("payment", {"Id": payment["Id"], "SyncToken": "1"}, operation="delete")
    assert status == 200, data
    restored = qbo.read("CreditMemo", memo["Id"])
    assert restored["RemainingCredit"] == restored["Balance"] == D("120.00")
    assert restored["LinkedTxn"] == [] and restored["SyncToken"] == "3"
    assert qbo.read("Invoice", invoice["Id"])["Balance"] == D("220.00")
    assert customer_balance(qbo) == before + D("220.00") - D("120.00")

    again = qbo.create("Payment", write_off(invoice, memo, "120"))
    status, data = qbo.post(
        "payment", {"Id": again["Id"], "SyncToken": "0", "sparse": True}, operation="update", include="void"
    )
    assert status == 200 and data["Payment"]["Line"] == []
    assert qbo.read("CreditMemo", memo["Id"])["RemainingCredit"] == D("120.00")
    assert qbo.read("Invoice", invoice["Id"])["Balance"] == D("220.00")


def test_a_credit_memo_payments_apply_cannot_be_deleted_shrunk_or_voided(qbo: Qbo) -> None:
    item = bad_debt_item(qbo)
    invoice = open_invoice(qbo)
    memo = qbo.create("CreditMemo", credit_memo_body(item, "120"))
    payment = qbo.create("Payment", write_off(invoice, memo, "100"))
    current = qbo.read("CreditMemo", memo["Id"])
    status, data = qbo.post(
        "creditmemo", {"Id": memo["Id"], "SyncToken": current["SyncToken"]}, operation="delete"
    )
    assert status == 400 and fault_codes(data) == ["6000"]
    assert "You must unlink any linked transactions" in data["Fault"]["Error"][0]["Detail"]
    smaller = {**credit_memo_body(item, "90"), "Id": memo["Id"], "SyncToken": current["SyncToken"]}
    status, data = qbo.post("creditmemo", smaller)
    assert status == 400 and fault_codes(data) == ["6000"]
    moved = {
        **credit_memo_body(item, "120", customer="2"),
        "Id": memo["Id"],
        "SyncToken": current["SyncToken"],
    }
    status, data = qbo.post("creditmemo", moved)
    assert status == 400 and fault_codes(data) == ["6000"]
    status, data = qbo.post(
        "creditmemo", {"Id": memo["Id"], "SyncToken": current["SyncToken"]}, operation="void"
    )
    assert status == 400 and fault_codes(data) == ["500"]  # credit memos are deleted, not voided
    assert qbo.read("CreditMemo", memo["Id"]) == current

    # Raising the total while applied keeps what was used.
    bigger = {**credit_memo_body(item, "130"), "Id": memo["Id"], "SyncToken": current["SyncToken"]}
    status, data = qbo.post("creditmemo", bigger)
    assert status == 200 and data["CreditMemo"]["RemainingCredit"] == D("30.00")
    assert payment_links(data["CreditMemo"]) == [payment["Id"]]

    qbo.post("payment", {"Id": payment["Id"], "SyncToken": "0"}, operation="delete")
    latest = qbo.read("CreditMemo", memo["Id"])
    status, data = qbo.post(
        "creditmemo", {"Id": memo["Id"], "SyncToken": latest["SyncToken"]}, operation="delete"
    )
    assert status == 200 and data["CreditMemo"]["status"] == "Deleted"


# ---- CDC, webhooks, replay, batch, injected faults -----------------------------------------------------------
def test_cdc_reports_the_credit_memo_a_payment_applies(qbo: Qbo, sandbox: Sandbox) -> None:
    item = bad_debt_item(qbo)
    invoice = open_invoice(qbo)
    memo = qbo.create("CreditMemo", credit_memo_body(item, "120"))
    sandbox.clock.advance(timedelta(seconds=5))
    since = sandbox.clock.now().replace(microsecond=0).isoformat()
    sandbox.clock.advance(timedelta(seconds=2))
    payment = qbo.create("Payment", write_off(invoice, memo, "120"))
    status, data = qbo.get("cdc", entities="CreditMemo,Invoice,Payment", changedSince=since)
    assert status == 200, data
    memos, invoices, payments = data["CDCResponse"][0]["QueryResponse"]
    assert [(m["Id"], m["SyncToken"], m["RemainingCredit"]) for m in memos["CreditMemo"]] == [
        (memo["Id"], "1", 0)
    ]
    assert [i["Id"] for i in invoices["Invoice"]] == [invoice["Id"]]
    assert [p["Id"] for p in payments["Payment"]] == [payment["Id"]]

    qbo.post("payment", {"Id": payment["Id"], "SyncToken": "0"}, operation="delete")
    latest = qbo.read("CreditMemo", memo["Id"])
    qbo.post("creditmemo", {"Id": memo["Id"], "SyncToken": latest["SyncToken"]}, operation="delete")
    status, data = qbo.get("cdc", entities="CreditMemo", changedSince=since)
    assert data["CDCResponse"][0]["QueryResponse"][0]["CreditMemo"][0]["status"] == "Deleted"


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    rx = Receiver()
    with run_sandbox_server(rx.app()) as base:
        yield rx, f"{base}/hooks"


def test_webhooks_report_credit_memo_create_update_and_delete(receiver: tuple[Receiver, str]) -> None:
    rx, url = receiver
    app = create_sandbox_app(
        SandboxConfig(webhook=WebhookConfig(url=url, verifier_token=VERIFIER, batch_window_s=0.01))
    )
    sandbox: Sandbox = app.state.sandbox
    token = sandbox.issue_tokens()["access_token"]
    try:
        with TestClient(app) as http:
            qbo = Qbo(http, sandbox.default_realm_id, token)
            item = bad_debt_item(qbo)
            invoice = open_invoice(qbo)
            memo = qbo.create("CreditMemo", credit_memo_body(item, "120"))
            payment = qbo.create("Payment", write_off(invoice, memo, "120"))
            qbo.post("payment", {"Id": payment["Id"], "SyncToken": "0"}, operation="delete")
            qbo.post("creditmemo", {"Id": memo["Id"], "SyncToken": "2"}, operation="delete")
            assert sandbox.webhooks.flush(timeout=5)
    finally:
        sandbox.close()
    for body, signature in zip(rx.bodies, rx.signatures, strict=True):
        assert signature == independent_signature(body)
    seen = [(e["name"], e["id"], e["operation"]) for e in events(rx) if e["name"] != "Item"]
    assert seen == [
        ("Invoice", invoice["Id"], "Create"),
        ("CreditMemo", memo["Id"], "Create"),
        # The records a payment settles are saved as it is (their events come first).
        ("CreditMemo", memo["Id"], "Update"),
        ("Invoice", invoice["Id"], "Update"),
        ("Payment", payment["Id"], "Create"),
        ("CreditMemo", memo["Id"], "Update"),
        ("Invoice", invoice["Id"], "Update"),
        ("Payment", payment["Id"], "Delete"),
        ("CreditMemo", memo["Id"], "Delete"),
    ]


def test_replayed_create_returns_the_same_credit_memo(qbo: Qbo, sandbox: Sandbox) -> None:
    item = bad_debt_item(qbo)
    body = credit_memo_body(item, "75")
    first = qbo.post("creditmemo", body, requestid="cm-1")
    second = qbo.post("creditmemo", body, requestid="cm-1")
    assert first[0] == 200 and first == second
    assert count(qbo, "CreditMemo") == 1 and sandbox.stats.replays == 1
    # Throttles and injected faults stand in front of this route too; an injected 503 writes nothing.
    sandbox.set_faults(force_status=503, force_count=1)
    status, _ = qbo.post("creditmemo", body, requestid="cm-2")
    assert status == 503 and count(qbo, "CreditMemo") == 1
    status, data = qbo.post("creditmemo", body, requestid="cm-2")
    assert status == 200 and data["CreditMemo"]["Id"] != first[1]["CreditMemo"]["Id"]


def test_batch_creates_credit_memo_and_applies_it(qbo: Qbo) -> None:
    item = bad_debt_item(qbo)
    invoice = open_invoice(qbo)
    request = {
        "BatchItemRequest": [
            {"bId": "cm", "operation": "create", "CreditMemo": credit_memo_body(item, "120")},
            {"bId": "bad", "operation": "create", "CreditMemo": credit_memo_body(item, "1", customer="17")},
            {"bId": "q", "Query": "SELECT * FROM CreditMemo"},
        ]
    }
    status, data = qbo.post("batch", request)
    assert status == 200, data
    items = {entry["bId"]: entry for entry in data["BatchItemResponse"]}
    memo = items["cm"]["CreditMemo"]
    assert memo["RemainingCredit"] == D("120.00")
    assert fault_codes(items["bad"]) == ["2500"]
    assert [m["Id"] for m in items["q"]["QueryResponse"]["CreditMemo"]] == [memo["Id"]]
    status, data = qbo.post(
        "batch",
        {
            "BatchItemRequest": [
                {"bId": "p", "operation": "create", "Payment": write_off(invoice, memo, "120")}
            ]
        },
    )
    assert status == 200 and data["BatchItemResponse"][0]["Payment"]["UnappliedAmt"] == 0
    assert qbo.read("CreditMemo", memo["Id"])["RemainingCredit"] == 0


def test_credit_memo_send_and_pdf(qbo: Qbo) -> None:
    memo = qbo.create("CreditMemo", credit_memo_body(bad_debt_item(qbo), "40"))
    status, data = qbo.post(f"creditmemo/{memo['Id']}/send", {}, sendTo="ap@example.com")
    assert status == 200 and data["CreditMemo"]["EmailStatus"] == "EmailSent"
    response = qbo.http.get(
        qbo.url(f"creditmemo/{memo['Id']}/pdf"), headers={**qbo.headers, "Accept": "application/pdf"}
    )
    assert response.status_code == 200 and b"CreditMemo 1001" in response.content
    assert b"Remaining credit: 40.00" in response.content


def test_loaded_books_know_which_payments_use_a_credit_memo(sandbox: Sandbox) -> None:
    from integrations.quickbooks.sandbox.store import RealmStore

    store = RealmStore("1")
    memo = {"Id": "7", "CustomerRef": {"value": "1"}, "TotalAmt": D("50"), "Balance": D("20")}
    payment = {
        "Id": "3",
        "CustomerRef": {"value": "1"},
        "TotalAmt": D("0"),
        "Line": [{"Amount": D("30"), "LinkedTxn": [{"TxnId": "7", "TxnType": "CreditMemo"}]}],
    }
    store.load({"CreditMemo": [memo], "Payment": [payment]})
    assert store.payments_applying("CreditMemo", "7") == {"3"}
    assert store.payments_applying("Invoice", "7") == set()
    ids = sandbox.generate(sandbox.default_realm_id, "CreditMemo", 3, seed=1)
    made = [sandbox.get(sandbox.default_realm_id, "CreditMemo", i) for i in ids]
    assert all(m is not None and m["RemainingCredit"] == m["TotalAmt"] > 0 for m in made)
