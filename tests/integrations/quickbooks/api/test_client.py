"""The client against respx: what each request carries, and how failures are retried or raised."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx

from integrations.quickbooks.api.batch import BatchOp
from integrations.quickbooks.api.client import QboClient, derived_request_id
from integrations.quickbooks.api.errors import (
    QboAuthError,
    QboDuplicate,
    QboNetworkError,
    QboNotFound,
    QboRateLimited,
    QboStaleObject,
    QboUnavailable,
    QboValidationError,
)
from integrations.quickbooks.api.retry import RetryPolicy

BASE = "https://qbo.test"
REALM = "4620816365"
API = f"{BASE}/v3/company/{REALM}"


class Tokens:
    def __init__(self) -> None:
        self.calls: list[bool] = []
        self.current = "tok-1"

    async def __call__(self, *, force_refresh: bool = False) -> str:
        self.calls.append(force_refresh)
        if force_refresh:
            self.current = f"tok-{len(self.calls)}"
        return self.current


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def fault(code: str) -> dict[str, Any]:
    return {"Fault": {"Error": [{"Message": "m", "Detail": "d", "code": code}], "type": "ValidationFault"}}


@pytest.fixture()
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture()
def tokens() -> Tokens:
    return Tokens()


@pytest.fixture()
async def client(tokens: Tokens, sleeps: Sleeps) -> Any:
    async with httpx.AsyncClient() as http:
        yield QboClient(
            http,
            tokens,
            REALM,
            BASE,
            retry=RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=2.0, random=lambda: 1.0),
            sleep=sleeps,
        )


@respx.mock
async def test_read_sends_auth_accept_and_minorversion(client: QboClient) -> None:
    route = respx.get(f"{API}/invoice/7").respond(200, json={"Invoice": {"Id": "7"}, "time": "t"})
    assert (await client.read("Invoice", "7")) == {"Id": "7"}
    request = route.calls.last.request
    assert request.headers["Authorization"] == "Bearer tok-1"
    assert request.headers["Accept"] == "application/json"
    assert request.url.params["minorversion"] == "75"
    assert "requestid" not in request.url.params


@respx.mock
async def test_base_url_with_v3_suffix_is_accepted(tokens: Tokens) -> None:
    route = respx.get(f"{API}/customer/1").respond(200, json={"Customer": {"Id": "1"}})
    async with httpx.AsyncClient() as http:
        c = QboClient(http, tokens, REALM, f"{BASE}/v3/")
        await c.read("Customer", "1")
    assert route.called


@respx.mock
async def test_create_carries_fresh_requestid_and_json(client: QboClient) -> None:
    route = respx.post(f"{API}/customer").respond(200, json={"Customer": {"Id": "9", "SyncToken": "0"}})
    await client.create("Customer", {"DisplayName": "A"})
    await client.create("Customer", {"DisplayName": "B"})
    first, second = (c.request for c in route.calls)
    assert first.headers["Content-Type"] == "application/json"
    assert json.loads(first.content) == {"DisplayName": "A"}
    assert len(first.url.params["requestid"]) == 36
    assert first.url.params["requestid"] != second.url.params["requestid"]


@respx.mock
async def test_caller_requestid_is_used(client: QboClient) -> None:
    route = respx.post(f"{API}/invoice").respond(200, json={"Invoice": {"Id": "1"}})
    await client.create("Invoice", {"Line": []}, request_id="job-42")
    assert route.calls.last.request.url.params["requestid"] == "job-42"


@respx.mock
async def test_sparse_update_full_update_delete_and_void_bodies(client: QboClient) -> None:
    route = respx.post(url__startswith=f"{API}/").mock(
        side_effect=lambda req: httpx.Response(200, json={"Invoice": {"Id": "5"}, "Payment": {"Id": "6"}})
    )
    await client.sparse_update("Invoice", "5", "2", {"PrivateNote": "x"})
    await client.update("Invoice", {"Id": "5", "SyncToken": "3", "Line": []})
    await client.delete("Invoice", "5", "4")
    await client.void("Invoice", "5", "5")
    await client.void("Payment", "6", "1")
    reqs = [c.request for c in route.calls]
    assert json.loads(reqs[0].content) == {"PrivateNote": "x", "Id": "5", "SyncToken": "2", "sparse": True}
    assert json.loads(reqs[1].content)["sparse"] is False
    assert reqs[2].url.params["operation"] == "delete"
    assert json.loads(reqs[2].content) == {"Id": "5", "SyncToken": "4"}
    assert reqs[3].url.params["operation"] == "void"
    assert reqs[4].url.params["operation"] == "update" and reqs[4].url.params["include"] == "void"
    assert json.loads(reqs[4].content) == {"Id": "6", "SyncToken": "1", "sparse": True}
    assert all("requestid" in r.url.params for r in reqs)


async def test_update_requires_synctoken(client: QboClient) -> None:
    with pytest.raises(ValueError):
        await client.update("Invoice", {"Id": "5"})


@respx.mock
async def test_query_posts_text(client: QboClient) -> None:
    route = respx.post(f"{API}/query").respond(
        200, json={"QueryResponse": {"Customer": [{"Id": "1"}], "startPosition": 1, "maxResults": 1}}
    )
    result = await client.query("SELECT * FROM Customer WHERE DisplayName = 'O\\'Brien'")
    assert result["Customer"] == [{"Id": "1"}]
    request = route.calls.last.request
    assert request.headers["Content-Type"] == "application/text"
    assert request.content == b"SELECT * FROM Customer WHERE DisplayName = 'O\\'Brien'"
    assert request.url.params["minorversion"] == "75"


@respx.mock
async def test_query_pages_walks_startposition(client: QboClient) -> None:
    rows = [{"Id": str(i)} for i in range(1, 6)]

    def answer(request: httpx.Request) -> httpx.Response:
        text = request.content.decode()
        start = int(text.split("STARTPOSITION ")[1].split()[0])
        size = int(text.split("MAXRESULTS ")[1])
        page = rows[start - 1 : start - 1 + size]
        body: dict[str, Any] = {"startPosition": start, "maxResults": len(page)}
        if page:
            body["Invoice"] = page
        return httpx.Response(200, json={"QueryResponse": body})

    route = respx.post(f"{API}/query").mock(side_effect=answer)
    pages = [p async for p in client.query_pages("SELECT * FROM Invoice", page_size=2)]
    assert pages == [rows[0:2], rows[2:4], rows[4:5]]
    assert route.call_count == 3
    exact = [p async for p in client.query_pages("select * from Invoice", page_size=5)]
    assert exact == [rows]  # a full page is followed by one empty probe
    with pytest.raises(ValueError):
        await anext(client.query_pages("SELECT * FROM Invoice MAXRESULTS 5"))


@respx.mock
async def test_count(client: QboClient) -> None:
    route = respx.post(f"{API}/query").respond(200, json={"QueryResponse": {"totalCount": 42}})
    assert await client.count("Invoice", "Balance > '0'") == 42
    assert route.calls.last.request.content == b"SELECT COUNT(*) FROM Invoice WHERE Balance > '0'"


@respx.mock
async def test_cdc_collects_entities(client: QboClient) -> None:
    route = respx.get(f"{API}/cdc").respond(
        200,
        json={
            "CDCResponse": [
                {
                    "QueryResponse": [
                        {"Customer": [{"Id": "1"}], "startPosition": 1, "maxResults": 1},
                        {"Invoice": [{"Id": "45", "status": "Deleted"}], "startPosition": 1, "maxResults": 1},
                    ]
                }
            ]
        },
    )
    since = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    changes = await client.cdc(["Customer", "Invoice", "Payment"], since)
    assert changes == {
        "Customer": [{"Id": "1"}],
        "Invoice": [{"Id": "45", "status": "Deleted"}],
        "Payment": [],
    }
    params = route.calls.last.request.url.params
    assert params["entities"] == "Customer,Invoice,Payment"
    assert params["changedSince"] == "2026-03-01T08:00:00+00:00"


@respx.mock
async def test_send_and_pdf(client: QboClient) -> None:
    send = respx.post(f"{API}/invoice/3/send").respond(
        200, json={"Invoice": {"Id": "3", "EmailStatus": "EmailSent"}}
    )
    pdf = respx.get(f"{API}/invoice/3/pdf").respond(200, content=b"%PDF-1.4 x %%EOF")
    assert (await client.send("Invoice", "3", "a@b.example"))["EmailStatus"] == "EmailSent"
    req = send.calls.last.request
    assert req.headers["Content-Type"] == "application/octet-stream"
    assert req.url.params["sendTo"] == "a@b.example"
    assert "requestid" in req.url.params
    assert (await client.pdf("Invoice", "3")).startswith(b"%PDF")
    assert pdf.calls.last.request.headers["Accept"] == "application/pdf"


@respx.mock
async def test_batch_chunks_of_30_correlated_by_bid(client: QboClient) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        items = json.loads(request.content)["BatchItemRequest"]
        assert len(items) <= 30
        out = []
        for item in reversed(items):  # order is not guaranteed: correlation is by bId
            if item["Customer"]["DisplayName"] == "dup":
                out.append({"bId": item["bId"], "Fault": fault("6240")["Fault"]})
            else:
                out.append({"bId": item["bId"], "Customer": {"Id": item["bId"], **item["Customer"]}})
        return httpx.Response(200, json={"BatchItemResponse": out})

    route = respx.post(f"{API}/batch").mock(side_effect=answer)
    ops = [BatchOp.create("Customer", {"DisplayName": "dup" if i == 31 else f"c{i}"}) for i in range(65)]
    results = await client.batch(ops, request_id="job-7")
    assert route.call_count == 3
    assert [r.bid for r in results] == [str(i) for i in range(65)]
    assert results[0].data == {"Id": "0", "DisplayName": "c0"}
    assert isinstance(results[31].error, QboDuplicate) and results[31].data is None
    assert sum(r.ok for r in results) == 64
    ids = [c.request.url.params["requestid"] for c in route.calls]
    assert ids == [derived_request_id("job-7", i) for i in range(3)]
    assert all(len(i) <= 36 for i in ids)


def test_batch_void_uses_options_data() -> None:
    assert BatchOp.void("Payment", "5", "1", bid="b").to_request() == {
        "bId": "b",
        "operation": "update",
        "optionsData": "void",
        "Payment": {"Id": "5", "SyncToken": "1", "sparse": True},
    }


# ---- errors and retries ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (400, fault("2020"), QboValidationError),
        (400, fault("5010"), QboStaleObject),
        (400, fault("610"), QboNotFound),
        (404, {}, QboNotFound),
    ],
)
@respx.mock
async def test_client_errors_are_not_retried(
    client: QboClient, sleeps: Sleeps, status: int, body: dict[str, Any], error: type[Exception]
) -> None:
    route = respx.post(f"{API}/invoice").respond(status, json=body, headers={"intuit_tid": "tid-9"})
    with pytest.raises(error) as info:
        await client.create("Invoice", {"Line": []})
    assert route.call_count == 1
    assert sleeps.delays == []
    assert info.value.intuit_tid == "tid-9"  # type: ignore[attr-defined]


@respx.mock
async def test_401_refreshes_once_then_succeeds(client: QboClient, tokens: Tokens) -> None:
    route = respx.get(f"{API}/invoice/1").mock(
        side_effect=[httpx.Response(401, json={}), httpx.Response(200, json={"Invoice": {"Id": "1"}})]
    )
    await client.read("Invoice", "1")
    assert tokens.calls == [False, True]
    assert route.calls[0].request.headers["Authorization"] == "Bearer tok-1"
    assert route.calls[1].request.headers["Authorization"] == "Bearer tok-2"


@respx.mock
async def test_401_after_refresh_is_raised(client: QboClient, tokens: Tokens, sleeps: Sleeps) -> None:
    route = respx.get(f"{API}/invoice/1").respond(401, json={})
    with pytest.raises(QboAuthError):
        await client.read("Invoice", "1")
    assert route.call_count == 2
    assert tokens.calls == [False, True]
    assert sleeps.delays == []


@pytest.mark.parametrize("status", [429, 500, 503])
@respx.mock
async def test_retryable_statuses_back_off_and_reuse_requestid(
    client: QboClient, sleeps: Sleeps, status: int
) -> None:
    route = respx.post(f"{API}/invoice").mock(
        side_effect=[
            httpx.Response(status, text=""),
            httpx.Response(status, text=""),
            httpx.Response(200, json={"Invoice": {"Id": "1"}}),
        ]
    )
    await client.create("Invoice", {"Line": []})
    assert route.call_count == 3
    ids = {c.request.url.params["requestid"] for c in route.calls}
    assert len(ids) == 1
    assert sleeps.delays == [0.5, 1.0]


@respx.mock
async def test_network_errors_are_retried(client: QboClient, sleeps: Sleeps) -> None:
    route = respx.get(f"{API}/invoice/1").mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.ReadTimeout("slow"),
            httpx.Response(200, json={"Invoice": {}}),
        ]
    )
    await client.read("Invoice", "1")
    assert route.call_count == 3
    assert len(sleeps.delays) == 2


@respx.mock
async def test_backoff_is_capped_and_attempts_bounded(client: QboClient, sleeps: Sleeps) -> None:
    route = respx.get(f"{API}/invoice/1").mock(side_effect=httpx.ConnectError("down"))
    with pytest.raises(QboNetworkError):
        await client.read("Invoice", "1")
    assert route.call_count == 4
    assert sleeps.delays == [0.5, 1.0, 2.0]  # 4.0 would exceed the 2.0 cap; the 4th attempt then gives up


@respx.mock
async def test_retry_after_is_honoured(client: QboClient, sleeps: Sleeps) -> None:
    respx.get(f"{API}/invoice/1").mock(
        side_effect=[
            httpx.Response(429, text="", headers={"Retry-After": "3"}),
            httpx.Response(200, json={"Invoice": {"Id": "1"}}),
        ]
    )
    await client.read("Invoice", "1")
    assert sleeps.delays == [3.0]


@respx.mock
async def test_rate_limit_that_persists_is_surfaced_and_counted(client: QboClient) -> None:
    respx.get(f"{API}/invoice/1").respond(429, text="")
    with pytest.raises(QboRateLimited):
        await client.read("Invoice", "1")
    assert client.surfaced_rate_limits == 1


@respx.mock
async def test_system_fault_is_not_retried(client: QboClient) -> None:
    route = respx.get(f"{API}/invoice/1").respond(
        400, json={"Fault": {"Error": [{"code": "10000", "Message": "x"}], "type": "SystemFault"}}
    )
    with pytest.raises(QboUnavailable):
        await client.read("Invoice", "1")
    assert route.call_count == 1


def test_jitter_spreads_delays() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=10.0, random=lambda: 0.0)
    err = QboUnavailable("x")
    assert policy.delay(err, 1) == 0.5
    assert policy.delay(err, 3) == 2.0
    assert policy.delay(err, 10) == 5.0
