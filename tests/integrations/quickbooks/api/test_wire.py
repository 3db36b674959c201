"""Answers are read once, with money exact from the wire on; payloads go out digit for digit."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from domain.intent import QboIntent
from integrations.quickbooks.api.client import QboClient
from integrations.quickbooks.api.errors import QboProtocolError, QboRateLimited, QboValidationError
from integrations.quickbooks.api.query import aggregate_rows
from integrations.quickbooks.api.retry import RetryPolicy
from integrations.quickbooks.api.wire import encode_payload, read_body
from integrations.quickbooks.mapping.lists import money
from tests.integrations.quickbooks.api.test_errors import THROTTLE_XML

BASE = "https://qbo.test"
REALM = "4620816365"
API = f"{BASE}/v3/company/{REALM}"

# Written as QBO writes numbers: a fraction, an integer, an exponent; 0.1 + 0.2 is 0.30000000000000004 in floats.
INVOICES = (
    b'{"QueryResponse": {"Invoice": ['
    b'{"Id": "1", "TotalAmt": 0.1, "Balance": 0.1},'
    b'{"Id": "2", "TotalAmt": 0.2, "Balance": 0.2},'
    b'{"Id": "3", "TotalAmt": 1234567890123.45, "Balance": 1234567890123.45},'
    b'{"Id": "4", "TotalAmt": 1e2, "Balance": 1E2},'
    b'{"Id": "5", "TotalAmt": 150, "Balance": 0}'
    b'], "startPosition": 1, "maxResults": 5}}'
)


async def _no_sleep(_: float) -> None:
    return None


@pytest.fixture()
async def client() -> AsyncIterator[QboClient]:
    async def tokens(*, force_refresh: bool = False) -> str:
        return "tok"

    async with httpx.AsyncClient() as http:
        yield QboClient(http, tokens, REALM, BASE, retry=RetryPolicy(max_attempts=1), sleep=_no_sleep)


class CountingLoads:
    """Counts every ``json.loads`` in the process while a request is answered."""

    def __init__(self) -> None:
        self.calls = 0
        self._loads = json.loads

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self._loads(*args, **kwargs)


@respx.mock
async def test_amounts_arrive_as_exact_decimals(client: QboClient) -> None:
    respx.post(f"{API}/query").respond(200, content=INVOICES, headers={"Content-Type": "application/json"})
    rows = (await client.query("SELECT * FROM Invoice"))["Invoice"]
    amounts = [row["TotalAmt"] for row in rows]
    assert all(isinstance(a, Decimal | int) and not isinstance(a, float) for a in amounts)
    assert amounts[0] + amounts[1] == Decimal("0.3")
    assert amounts[2] == Decimal("1234567890123.45")
    assert str(amounts[3]) == "100"  # 1e2 is read as the plain number, never shown as 1E+2
    assert amounts[4] == 150 and money(amounts[4]) == Decimal("150.00")
    assert money(amounts[2] + amounts[0]) == Decimal("1234567890123.55")


@respx.mock
async def test_a_sum_over_the_wire_is_exact(client: QboClient) -> None:
    respx.post(f"{API}/query").respond(200, content=INVOICES, headers={"Content-Type": "application/json"})
    rows = (await client.query("SELECT * FROM Invoice"))["Invoice"]
    intent = QboIntent.model_validate({"operation": "LIST_INVOICES", "aggregate": "sum"})
    total = aggregate_rows(rows[:2], intent)
    assert total is not None and total.value == Decimal("0.30")
    everything = aggregate_rows(rows, intent)
    assert everything is not None and everything.value == Decimal("1234567890373.75")


@respx.mock
async def test_each_body_is_parsed_exactly_once(client: QboClient, monkeypatch: pytest.MonkeyPatch) -> None:
    counting = CountingLoads()
    monkeypatch.setattr(json, "loads", counting)
    respx.post(f"{API}/query").respond(200, content=INVOICES, headers={"Content-Type": "application/json"})
    await client.query("SELECT * FROM Invoice")
    assert counting.calls == 1
    respx.get(f"{API}/invoice/1").respond(200, json={"Invoice": {"Id": "1", "TotalAmt": 9.99}})
    assert (await client.read("Invoice", "1"))["TotalAmt"] == Decimal("9.99")
    assert counting.calls == 2


@respx.mock
async def test_a_fault_in_a_200_json_body_is_still_recognised(client: QboClient) -> None:
    fault = {
        "Fault": {
            "Error": [{"Message": "m", "Detail": "bad amount", "code": "2080"}],
            "type": "ValidationFault",
        }
    }
    respx.post(f"{API}/invoice").respond(200, json=fault)
    with pytest.raises(QboValidationError) as raised:
        await client.create("Invoice", {"Line": []})
    assert raised.value.fault_code == "2080"


@respx.mock
async def test_an_xml_throttle_fault_is_still_recognised(client: QboClient) -> None:
    respx.get(f"{API}/invoice/1").respond(429, content=THROTTLE_XML.encode(), headers={"Retry-After": "3"})
    with pytest.raises(QboRateLimited) as raised:
        await client.read("Invoice", "1")
    assert raised.value.retry_after == 3.0
    assert client.surfaced_rate_limits == 1


@pytest.mark.parametrize(
    "body", [b"<html>gateway</html>", b"Service temporarily unavailable", b"", b"\xff\xfe{"]
)
@respx.mock
async def test_a_success_that_is_not_json_is_a_protocol_error(client: QboClient, body: bytes) -> None:
    respx.get(f"{API}/invoice/1").respond(200, content=body, headers={"intuit_tid": "tid-9"})
    with pytest.raises(QboProtocolError, match="not JSON") as raised:
        await client.read("Invoice", "1")
    assert raised.value.intuit_tid == "tid-9"


@respx.mock
async def test_a_json_answer_that_is_not_an_object_is_a_protocol_error(client: QboClient) -> None:
    respx.get(f"{API}/invoice/1").respond(200, json=[1, 2])
    with pytest.raises(QboProtocolError, match="not a JSON object"):
        await client.read("Invoice", "1")


def test_payloads_carry_every_digit_of_a_decimal() -> None:
    payload = {
        "Amount": Decimal("12345678901234567.89"),
        "Line": [{"Amount": Decimal("1140.00"), "Qty": Decimal("3.5")}, {"Amount": Decimal("1E+2")}],
        "TxnDate": date(2026, 3, 4),
        "Count": 3,
        "Note": "é",
    }
    text = encode_payload(payload).decode()
    assert '"Amount":12345678901234567.89' in text
    assert '{"Amount":1140.00,"Qty":3.5}' in text and '{"Amount":100}' in text
    assert '"TxnDate":"2026-03-04"' in text
    assert read_body(text).data["Amount"] == Decimal("12345678901234567.89")
    assert json.loads(text)["Note"] == "é"


def test_payloads_refuse_what_quickbooks_cannot_read() -> None:
    with pytest.raises(TypeError):
        encode_payload({"x": object()})
    with pytest.raises(ValueError):
        encode_payload({"x": Decimal("NaN")})
