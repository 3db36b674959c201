"""The v3 API surface: envelopes, query endpoints, batch, CDC, send, PDF, requestid replay, realms."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from integrations.quickbooks.sandbox.state import Sandbox

from .conftest import Qbo, fault_codes


def test_read_envelope_and_companyinfo(qbo: Qbo) -> None:
    status, data = qbo.get("companyinfo/1", minorversion="65")  # below 75: served as 75
    assert status == 200
    assert data["CompanyInfo"]["CompanyName"] == "Northwind Plumbing & Heating"
    assert data["CompanyInfo"]["domain"] == "QBO" and data["CompanyInfo"]["sparse"] is False
    assert data["time"].startswith("2026-03-18T") and data["time"].endswith("-08:00")
    response = qbo.http.get(qbo.url("invoice/1"), headers=qbo.headers)
    assert response.headers["intuit_tid"]
    assert response.headers["content-type"].startswith("application/json")


def test_query_get_and_post_application_text(qbo: Qbo) -> None:
    status, data = qbo.query("select * from Invoice where id = '1'")
    assert status == 200
    response = data["QueryResponse"]
    assert set(response) == {"Invoice", "startPosition", "maxResults"}
    assert response["startPosition"] == 1 and response["maxResults"] == 1
    assert response["Invoice"][0]["DocNumber"] == "1001"
    posted = qbo.http.post(
        qbo.url("query"),
        content="SELECT COUNT(*) FROM Customer",
        headers={**qbo.headers, "Content-Type": "application/text"},
    )
    assert posted.status_code == 200
    active = sum(1 for c in qbo.http.app.state.sandbox.list_entities(qbo.realm_id, "Customer") if c["Active"])  # type: ignore[attr-defined]
    assert posted.json()["QueryResponse"] == {"totalCount": active}
    status, data = qbo.query("select * from Invoice where DocNumber = 'nope'")
    assert data["QueryResponse"] == {}


def test_query_fault_envelope(qbo: Qbo) -> None:
    status, data = qbo.query("SELECT * FROM Invoice WHERE Balance > '0' OR TotalAmt > '1'")
    assert status == 400 and fault_codes(data) == ["4000"]
    assert data["Fault"]["type"] == "ValidationFault" and "time" in data


def test_send_sets_email_status_and_delivery_info(qbo: Qbo, sandbox: Sandbox) -> None:
    status, data = qbo.post("invoice/5/send", {}, sendTo="someone@example.com")
    assert status == 200
    sent = data["Invoice"]
    assert sent["EmailStatus"] == "EmailSent" and sent["BillEmail"] == {"Address": "someone@example.com"}
    assert sent["DeliveryInfo"]["DeliveryType"] == "Email"
    status, data = qbo.post("payment/1/send", {})
    assert status == 400 and fault_codes(data) == ["2020"]


def test_pdf_is_a_real_pdf(qbo: Qbo) -> None:
    response = qbo.http.get(qbo.url("invoice/1/pdf"), headers={**qbo.headers, "Accept": "application/pdf"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    content = response.content
    assert content.startswith(b"%PDF-1.4") and content.rstrip().endswith(b"%%EOF")
    assert b"Invoice 1001" in content
    xref_at = int(content.rsplit(b"startxref", 1)[1].split()[0])
    assert content[xref_at:].startswith(b"xref")


def test_requestid_replays_the_original_response_without_writing_twice(qbo: Qbo, sandbox: Sandbox) -> None:
    body = {"DisplayName": "Replay Test Co"}
    first = qbo.post("customer", body, requestid="req-1")
    second = qbo.post("customer", body, requestid="req-1")
    assert first == second and first[0] == 200
    matches = [
        c for c in sandbox.list_entities(qbo.realm_id, "Customer") if c["DisplayName"] == "Replay Test Co"
    ]
    assert len(matches) == 1
    assert sandbox.stats.replays == 1
    # Replayed even after the entity later changed (responses are cached, not recomputed).
    qbo.post("customer", {"Id": matches[0]["Id"], "SyncToken": "0", "sparse": True, "Notes": "x"})
    assert qbo.post("customer", body, requestid="req-1") == first
    # A fault is an answer too; a different requestid is a new request.
    status, data = qbo.post("customer", body, requestid="req-2")
    assert status == 400 and fault_codes(data) == ["6240"]
    # The same id reused for another operation is refused.
    status, data = qbo.get("invoice/1", requestid="req-1")
    assert status == 400 and fault_codes(data) == ["600"]


def test_requestid_is_per_realm(qbo: Qbo, sandbox: Sandbox) -> None:
    other = sandbox.seed_realm("9130000000000777", source="empty")
    token = sandbox.issue_tokens(other)["access_token"]
    other_qbo = Qbo(qbo.http, other, token)
    a = qbo.post("customer", {"DisplayName": "Per Realm"}, requestid="same")
    b = other_qbo.post("customer", {"DisplayName": "Per Realm"}, requestid="same")
    assert a[0] == b[0] == 200 and a[1]["Customer"]["Id"] != b[1]["Customer"]["Id"]


def test_batch_items_run_independently_with_faults_per_bid(qbo: Qbo) -> None:
    invoice = qbo.read("Invoice", "3")
    request = {
        "BatchItemRequest": [
            {"bId": "b1", "operation": "create", "Customer": {"DisplayName": "Batch Co"}},
            {"bId": "b2", "operation": "create", "Customer": {"DisplayName": "ACME Corp"}},
            {
                "bId": "b3",
                "operation": "update",
                "Invoice": {"Id": "3", "SyncToken": invoice["SyncToken"], "sparse": True, "PrivateNote": "x"},
            },
            {"bId": "b4", "Query": "select * from Customer where DisplayName = 'Batch Co'"},
            {"bId": "b5", "operation": "delete", "Invoice": {"Id": "99999", "SyncToken": "0"}},
        ]
    }
    status, data = qbo.post("batch", request)
    assert status == 200
    items = {item["bId"]: item for item in data["BatchItemResponse"]}
    assert [i["bId"] for i in data["BatchItemResponse"]] == ["b1", "b2", "b3", "b4", "b5"]
    assert items["b1"]["Customer"]["DisplayName"] == "Batch Co"
    assert fault_codes(items["b2"]) == ["6240"] and items["b2"]["Fault"]["type"] == "ValidationFault"
    assert items["b3"]["Invoice"]["PrivateNote"] == "x"
    assert items["b4"]["QueryResponse"]["Customer"][0]["Id"] == items["b1"]["Customer"]["Id"]
    assert fault_codes(items["b5"]) == ["610"]


def test_batch_void_via_options_data_and_size_limit(qbo: Qbo) -> None:
    invoice = qbo.create(
        "Invoice",
        {
            "CustomerRef": {"value": "1"},
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": Decimal("50"),
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                }
            ],
        },
    )
    payment = qbo.create(
        "Payment",
        {
            "CustomerRef": {"value": "1"},
            "TotalAmt": Decimal("50"),
            "Line": [
                {"Amount": Decimal("50"), "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}
            ],
        },
    )
    status, data = qbo.post(
        "batch",
        {
            "BatchItemRequest": [
                {
                    "bId": "v",
                    "operation": "update",
                    "optionsData": "void",
                    "Payment": {"Id": payment["Id"], "SyncToken": "0", "sparse": True},
                }
            ]
        },
    )
    assert data["BatchItemResponse"][0]["Payment"]["TotalAmt"] == 0
    assert qbo.read("Invoice", invoice["Id"])["Balance"] == Decimal("50.00")
    items = [{"bId": str(i), "Query": "select * from Term"} for i in range(31)]
    status, data = qbo.post("batch", {"BatchItemRequest": items})
    assert status == 400 and "Fault" in data


def test_cdc_reports_changes_and_deleted_stubs(qbo: Qbo, sandbox: Sandbox) -> None:
    since = sandbox.clock.now().replace(microsecond=0).isoformat()
    sandbox.clock.advance(timedelta(seconds=2))
    customer = qbo.create("Customer", {"DisplayName": "CDC Co"})
    invoice = qbo.create(
        "Invoice",
        {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": Decimal("10"),
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                }
            ],
        },
    )
    qbo.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="delete")
    status, data = qbo.get("cdc", entities="Customer,Invoice,Payment", changedSince=since)
    assert status == 200
    blocks = data["CDCResponse"][0]["QueryResponse"]
    assert len(blocks) == 3
    assert [c["Id"] for c in blocks[0]["Customer"]] == [customer["Id"]]
    assert blocks[0]["startPosition"] == 1 and blocks[0]["maxResults"] == 1
    assert blocks[1]["Invoice"] == [
        {
            "Id": invoice["Id"],
            "status": "Deleted",
            "domain": "QBO",
            "MetaData": {"LastUpdatedTime": blocks[1]["Invoice"][0]["MetaData"]["LastUpdatedTime"]},
        }
    ]
    assert blocks[2] == {}
    # An unencoded "+" offset (decoded as a space) is understood too.
    plus_since = since.replace("-08:00", "+00:00")
    plus = qbo.http.get(f"{qbo.url('cdc')}?entities=Customer&changedSince={plus_since}", headers=qbo.headers)
    assert plus.status_code == 200, plus.text


def test_cdc_limits(qbo: Qbo, sandbox: Sandbox) -> None:
    old = (sandbox.clock.now() - timedelta(days=31)).date().isoformat()
    status, data = qbo.get("cdc", entities="Invoice", changedSince=old)
    assert status == 400 and "Fault" in data
    status, data = qbo.get("cdc", entities="TaxCode", changedSince=sandbox.clock.today().isoformat())
    assert status == 400
    status, data = qbo.get("cdc", entities="Invoice")
    assert status == 400 and fault_codes(data) == ["2020"]


def test_realms_never_share_data(app: object, sandbox: Sandbox) -> None:
    second = sandbox.seed_realm("9130000000000002", source="empty", company_name="Second Co")
    first_token = sandbox.issue_tokens()["access_token"]
    second_token = sandbox.issue_tokens(second)["access_token"]
    with TestClient(app) as http:  # type: ignore[arg-type]
        one = Qbo(http, sandbox.default_realm_id, first_token)
        two = Qbo(http, second, second_token)
        assert two.query("select * from Customer")[1]["QueryResponse"] == {}
        assert two.get("companyinfo/1")[1]["CompanyInfo"]["CompanyName"] == "Second Co"
        made = two.create("Customer", {"DisplayName": "ACME Corp"})  # names are unique per company only
        assert made["Id"] == "1"
        assert one.read("Customer", "1")["GivenName"] == "Wile"
        # A token for one company does not open another.
        status, body = Qbo(http, second, first_token).get("customer/1")
        assert status == 403 and body["Fault"]["Error"][0]["code"] == "3100"
    # A second realm from the fixture has the demo data too.
    third = sandbox.seed_realm("9130000000000003", source="fixture")
    assert (
        len(sandbox.list_entities(third, "Invoice"))
        == len(sandbox.list_entities(sandbox.default_realm_id, "Invoice"))
        == 96
    )


def test_unknown_entity_path(qbo: Qbo) -> None:
    status, data = qbo.get("gadget/1")
    assert status == 400 and fault_codes(data) == ["10000"]


def test_cdc_caps_a_response_at_1000_objects(qbo: Qbo, sandbox: Sandbox) -> None:
    since = sandbox.clock.now().replace(microsecond=0).isoformat()
    sandbox.generate(qbo.realm_id, "Customer", 1100, seed=3)
    status, data = qbo.get("cdc", entities="Customer", changedSince=since)
    assert status == 200
    assert len(data["CDCResponse"][0]["QueryResponse"][0]["Customer"]) == 1000


def test_bill_totals_terms_and_account_lines(qbo: Qbo) -> None:
    bill = qbo.create(
        "Bill",
        {
            "VendorRef": {"value": "1"},
            "TxnDate": "2026-03-01",
            "Line": [
                {
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "Amount": Decimal("100.10"),
                    "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "11"}},
                },
                {
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "Amount": Decimal("0.20"),
                    "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "11"}},
                },
            ],
        },
    )
    assert bill["TotalAmt"] == Decimal("100.30") == bill["Balance"]
    assert bill["DueDate"] == "2026-03-31"  # the vendor's Net 30
    assert bill["VendorRef"]["name"] == "Ferguson Supply"
    status, data = qbo.post(
        "bill",
        {
            "VendorRef": {"value": "1"},
            "Line": [
                {
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "Amount": Decimal("1"),
                    "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "999"}},
                }
            ],
        },
    )
    assert status == 400 and fault_codes(data) == ["2500"]
    status, data = qbo.query("select * from Bill where VendorRef = '1' and Balance > '0'")
    assert bill["Id"] in [b["Id"] for b in data["QueryResponse"]["Bill"]]


def test_a_requestid_whose_answer_never_arrived_is_still_not_made_twice(
    app: FastAPI, qbo: Qbo, sandbox: Sandbox
) -> None:
    """The caller timed out while QBO answered: its retry with the same requestid gets the first result."""
    import asyncio

    from integrations.quickbooks.sandbox.wire import dumps

    body = dumps({"DisplayName": "Gone Away Plumbing"})
    path = f"/v3/company/{sandbox.default_realm_id}/customer"
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "server": ("testserver", 80),
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"requestid=gone-1",
        "headers": [
            (b"authorization", qbo.headers["Authorization"].encode()),
            (b"content-type", b"application/json"),
            (b"accept", b"application/json"),
        ],
    }

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    async def vanished(message: dict) -> None:
        if message["type"] == "http.response.body":
            raise OSError("the caller went away")

    async def call() -> None:
        with pytest.raises(OSError):
            await app(scope, receive, vanished)

    asyncio.run(call())
    made = [
        c
        for c in sandbox.realm(sandbox.default_realm_id).all("Customer")
        if c["DisplayName"] == "Gone Away Plumbing"
    ]
    assert len(made) == 1
    status, data = qbo.post("customer", {"DisplayName": "Gone Away Plumbing"}, requestid="gone-1")
    assert status == 200 and data["Customer"]["Id"] == made[0]["Id"]
    assert (
        len(
            [
                c
                for c in sandbox.realm(sandbox.default_realm_id).all("Customer")
                if c["DisplayName"] == "Gone Away Plumbing"
            ]
        )
        == 1
    )
