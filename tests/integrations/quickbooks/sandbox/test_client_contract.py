"""The production QBO client against the emulator over real HTTP: both sides keep the same contract."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from integrations.quickbooks.api.batch import BatchOp
from integrations.quickbooks.api.client import QboClient
from integrations.quickbooks.api.errors import QboNotFound, QboRateLimited, QboStaleObject, QboValidationError
from integrations.quickbooks.api.retry import RetryPolicy
from integrations.quickbooks.sandbox.app import create_sandbox_app
from integrations.quickbooks.sandbox.config import RateLimits, SandboxConfig
from integrations.quickbooks.sandbox.server import run_sandbox_server
from integrations.quickbooks.sandbox.state import Sandbox

from .conftest import AS_OF


@pytest.fixture
def served() -> Iterator[tuple[str, Sandbox]]:
    app = create_sandbox_app(SandboxConfig(today=AS_OF, limits=RateLimits(per_minute=400)))
    with run_sandbox_server(app) as base:
        yield base, app.state.sandbox


def run(served: tuple[str, Sandbox], scenario: Any, **client_kwargs: Any) -> Any:
    base, sandbox = served
    token = sandbox.issue_tokens()["access_token"]

    async def tokens(*, force_refresh: bool = False) -> str:
        return token

    async def main() -> Any:
        async with httpx.AsyncClient(timeout=10) as http:
            client = QboClient(http, tokens, sandbox.default_realm_id, base, **client_kwargs)
            return await scenario(client)

    return asyncio.run(main())


def test_crud_query_and_errors_through_the_client(served: tuple[str, Sandbox]) -> None:
    async def scenario(client: QboClient) -> None:
        invoice = await client.read("Invoice", "1")
        assert invoice["DocNumber"] == "1001"
        created = await client.create("Customer", {"DisplayName": "Contract Co"})
        updated = await client.sparse_update("Customer", created["Id"], created["SyncToken"], {"Notes": "n"})
        assert updated["SyncToken"] == "1"
        with pytest.raises(QboStaleObject):
            await client.sparse_update("Customer", created["Id"], "0", {"Notes": "m"})
        with pytest.raises(QboNotFound):
            await client.read("Invoice", "424242")
        with pytest.raises(QboValidationError):
            await client.query("SELECT * FROM Invoice WHERE Id = '1' OR Id = '2'")
        rows = await client.query_all("SELECT * FROM Invoice", page_size=25)
        assert len(rows) == 96 == await client.count("Invoice")
        assert len({row["Id"] for row in rows}) == 96
        escaped = await client.query("SELECT * FROM Customer WHERE DisplayName = 'Contract Co'")
        assert escaped["Customer"][0]["Id"] == created["Id"]
        pdf = await client.pdf("Invoice", "1")
        assert pdf.startswith(b"%PDF")
        sent = await client.send("Invoice", "2", "a@b.example")
        assert sent["EmailStatus"] == "EmailSent"

    run(served, scenario)


def test_payments_void_delete_batch_and_cdc(served: tuple[str, Sandbox]) -> None:
    _, sandbox = served
    since = sandbox.clock.now() - timedelta(seconds=1)

    async def scenario(client: QboClient) -> None:
        line = {
            "DetailType": "SalesItemLineDetail",
            "Amount": Decimal("120.00"),
            "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": 120},
        }
        invoice = await client.create("Invoice", {"CustomerRef": {"value": "3"}, "Line": [line]})
        payment = await client.create(
            "Payment",
            {
                "CustomerRef": {"value": "3"},
                "TotalAmt": Decimal("20.00"),
                "Line": [
                    {
                        "Amount": Decimal("20.00"),
                        "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}],
                    }
                ],
            },
        )
        assert (await client.read("Invoice", invoice["Id"]))["Balance"] == Decimal("100.00")
        voided = await client.void("Payment", payment["Id"], payment["SyncToken"])
        assert voided["TotalAmt"] == 0
        fresh = await client.read("Invoice", invoice["Id"])
        assert fresh["Balance"] == Decimal("120.00")
        await client.delete("Invoice", invoice["Id"], fresh["SyncToken"])
        results = await client.batch(
            [
                BatchOp.create("Customer", {"DisplayName": "Batch Contract"}),
                BatchOp.create("Customer", {"DisplayName": "ACME Corp"}),
                BatchOp.select("SELECT * FROM Term"),
            ]
        )
        assert results[0].ok and not results[1].ok and results[2].ok
        changes = await client.cdc(["Invoice", "Payment", "Customer"], since)
        assert any(
            row.get("status") == "Deleted" and row["Id"] == invoice["Id"] for row in changes["Invoice"]
        )
        assert any(row["Id"] == payment["Id"] for row in changes["Payment"])

    run(served, scenario)


def test_client_retries_injected_503_and_reports_throttling(served: tuple[str, Sandbox]) -> None:
    _, sandbox = served
    sandbox.set_faults(force_status=503, force_count=2)
    fast = RetryPolicy(base_delay=0.01, max_delay=0.02, max_retry_after=0.05)

    async def read(client: QboClient) -> dict[str, Any]:
        return await client.read("Invoice", "1")

    assert run(served, read, retry=fast)["Id"] == "1"
    assert sandbox.stats.injected["503"] == 2
    sandbox.set_faults(error_rate=1.0, error_statuses=[429])
    with pytest.raises(QboRateLimited):
        run(
            served,
            read,
            retry=RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02, max_retry_after=0.05),
        )
