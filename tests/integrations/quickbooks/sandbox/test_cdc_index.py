"""CDC read from the LastUpdatedTime indexes: the moment itself is included, a record moves when it changes
(reported once, as its latest version), answers are oldest first, and a capped answer keeps the oldest."""

from __future__ import annotations

from datetime import timedelta

from integrations.quickbooks.sandbox.state import Sandbox
from integrations.quickbooks.sandbox.wire import parse_qbo_datetime
from tests.integrations.quickbooks.sandbox.conftest import Qbo


def _cdc(qbo: Qbo, entities: str, since: str) -> list[dict]:
    status, data = qbo.get("cdc", entities=entities, changedSince=since)
    assert status == 200, data
    return data["CDCResponse"][0]["QueryResponse"]


def test_the_moment_is_included_and_an_updated_record_moves(qbo: Qbo, sandbox: Sandbox) -> None:
    before = qbo.create("Customer", {"DisplayName": "Index Before"})
    sandbox.clock.advance(timedelta(seconds=5))
    at = sandbox.clock.now().replace(microsecond=0)
    exactly = qbo.create("Customer", {"DisplayName": "Index Exactly"})
    sandbox.clock.advance(timedelta(seconds=5))
    after = qbo.create("Customer", {"DisplayName": "Index After"})
    (block,) = _cdc(qbo, "Customer", at.isoformat())
    assert [c["Id"] for c in block["Customer"]] == [exactly["Id"], after["Id"]]
    one_later = (at + timedelta(seconds=1)).isoformat()
    assert [c["Id"] for c in _cdc(qbo, "Customer", one_later)[0]["Customer"]] == [after["Id"]]

    # The record stored first changes last: it now comes last, once, as its new version.
    sandbox.clock.advance(timedelta(seconds=5))
    qbo.post("customer", {**before, "SyncToken": before["SyncToken"], "CompanyName": "Moved"})
    rows = _cdc(qbo, "Customer", at.isoformat())[0]["Customer"]
    assert [c["Id"] for c in rows] == [exactly["Id"], after["Id"], before["Id"]]
    assert rows[-1]["SyncToken"] == "1" and rows[-1]["CompanyName"] == "Moved"
    stamps = [parse_qbo_datetime(c["MetaData"]["LastUpdatedTime"], sandbox.clock.tz) for c in rows]
    assert stamps == sorted(stamps)

    # Deleted: it leaves the changes and comes back as a stub stamped at the deletion.
    sandbox.clock.advance(timedelta(seconds=5))
    gone_at = sandbox.clock.now().replace(microsecond=0)
    invoice = qbo.create(
        "Invoice",
        {
            "CustomerRef": {"value": after["Id"]},
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": 10,
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                }
            ],
        },
    )
    qbo.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="delete")
    (invoices,) = _cdc(qbo, "Invoice", gone_at.isoformat())
    assert [(i["Id"], i.get("status")) for i in invoices["Invoice"]] == [(invoice["Id"], "Deleted")]


def test_a_capped_answer_keeps_the_oldest_changes(qbo: Qbo, sandbox: Sandbox) -> None:
    since = sandbox.clock.now().replace(microsecond=0).isoformat()
    sandbox.generate(qbo.realm_id, "Customer", 1010, seed=7)
    sandbox.clock.advance(timedelta(seconds=5))
    first = min(sandbox.list_entities(qbo.realm_id, "Customer"), key=lambda c: int(c["Id"]))
    qbo.post("customer", {**first, "CompanyName": "Changed Last"})
    rows = _cdc(qbo, "Customer", since)[0]["Customer"]
    assert len(rows) == 1000
    assert first["Id"] not in {c["Id"] for c in rows}  # the newest change is past the cap
    stamps = [parse_qbo_datetime(c["MetaData"]["LastUpdatedTime"], sandbox.clock.tz) for c in rows]
    assert stamps == sorted(stamps)
