"""The production client and OAuth code against the QBO emulator over real HTTP (uvicorn on loopback)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from domain.clock import ManualClock
from domain.models import ConnectionStatus, QboConnection
from integrations.quickbooks.api.batch import BatchOp
from integrations.quickbooks.api.client import QboClient
from integrations.quickbooks.api.errors import (
    QboAuthError,
    QboDuplicate,
    QboNotFound,
    QboRateLimited,
    QboStaleObject,
    QboValidationError,
)
from integrations.quickbooks.api.ratelimit import RateLimits, RealmLimiter
from integrations.quickbooks.api.retry import RetryPolicy
from integrations.quickbooks.oauth.consent import QboOAuthFlow
from integrations.quickbooks.oauth.crypto import TokenCipher, generate_key
from integrations.quickbooks.oauth.endpoint import OAuthSettings, OAuthTokenEndpoint, QboEnvironment
from integrations.quickbooks.oauth.token_store import TokenStore
from integrations.quickbooks.sandbox.app import create_sandbox_app
from integrations.quickbooks.sandbox.config import RateLimits as SandboxLimits
from integrations.quickbooks.sandbox.config import SandboxConfig, TokenLifetimes
from integrations.quickbooks.sandbox.server import run_sandbox_server

REDIRECT = "http://127.0.0.1:8000/oauth/callback"


class Server:
    def __init__(self, app: FastAPI, base: str) -> None:
        self.app = app
        self.base = base
        self.sandbox = app.state.sandbox
        self.realm = self.sandbox.default_realm_id


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    # Every refresh hands out a new refresh token, so rotation is visible in one test run.
    app = create_sandbox_app(SandboxConfig(tokens=TokenLifetimes(rotate_refresh_after_s=0)))
    with run_sandbox_server(app) as base:
        yield Server(app, base)


class Recorder:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> None:
        self.requests.append(request)


async def no_sleep(_: float) -> None:
    return None


async def api_client(http: httpx.AsyncClient, server: Server, **kwargs: Any) -> QboClient:
    tokens = (await http.post(f"{server.base}/_sandbox/realms/{server.realm}/tokens", json={})).json()

    async def provider(*, force_refresh: bool = False) -> str:
        return str(tokens["access_token"])

    kwargs.setdefault("sleep", no_sleep)
    return QboClient(http, provider, server.realm, server.base, **kwargs)


async def test_entity_operations_and_what_each_request_carries(server: Server) -> None:
    recorder = Recorder()
    async with httpx.AsyncClient(event_hooks={"request": [recorder]}) as http:
        client = await api_client(http, server)
        created = await client.create(
            "Customer", {"DisplayName": "O'Brien Mechanical"}, request_id="job-cust-1"
        )
        again = await client.create(
            "Customer", {"DisplayName": "O'Brien Mechanical"}, request_id="job-cust-1"
        )
        assert again["Id"] == created["Id"]  # a retried job's requestid is answered from QBO's cache
        found = await client.query("SELECT * FROM Customer WHERE DisplayName = 'O\\'Brien Mechanical'")
        assert [c["Id"] for c in found["Customer"]] == [created["Id"]]
        sparse = await client.sparse_update(
            "Customer", created["Id"], created["SyncToken"], {"Notes": "gate code 4411"}
        )
        assert sparse["Notes"] == "gate code 4411" and sparse["SyncToken"] != created["SyncToken"]
        with pytest.raises(QboStaleObject):
            await client.sparse_update("Customer", created["Id"], created["SyncToken"], {"Notes": "stale"})
        current = await client.read("Customer", created["Id"])
        full = await client.update("Customer", {**current, "CompanyName": "O'Brien Mechanical Inc"})
        assert full["CompanyName"] == "O'Brien Mechanical Inc"
        with pytest.raises(QboDuplicate):
            await client.create("Customer", {"DisplayName": "O'Brien Mechanical"})
        with pytest.raises(QboNotFound):
            await client.read("Customer", "999999")
    writes = [
        r
        for r in recorder.requests
        if r.method == "POST" and "/v3/" in r.url.path and not r.url.path.endswith("/query")
    ]
    reads = [r for r in recorder.requests if r.method == "GET" and "/v3/" in r.url.path]
    api = [r for r in recorder.requests if "/v3/" in r.url.path]
    assert all(r.url.params["minorversion"] == "75" for r in api)
    assert all(
        r.headers["Authorization"].startswith("Bearer ") and r.headers["Accept"] == "application/json"
        for r in api
    )
    assert all(r.url.params.get("requestid") for r in writes)
    assert not any("requestid" in r.url.params for r in reads)
    query = next(r for r in api if r.url.path.endswith("/query"))
    assert query.headers["Content-Type"] == "application/text"


async def test_paging_count_and_validation_faults(server: Server) -> None:
    async with httpx.AsyncClient() as http:
        client = await api_client(http, server)
        total = await client.count("Invoice")
        pages = [page async for page in client.query_pages("SELECT * FROM Invoice ORDERBY Id", page_size=25)]
        assert sum(len(p) for p in pages) == total > 25
        assert all(len(p) == 25 for p in pages[:-1])
        assert len({inv["Id"] for p in pages for inv in p}) == total
        with pytest.raises(QboValidationError) as info:
            await client.create(
                "Invoice",
                {
                    "CustomerRef": {"value": "1"},
                    "Line": [
                        {
                            "DetailType": "SalesItemLineDetail",
                            "Amount": 10,
                            "SalesItemLineDetail": {"ItemRef": {"value": "99999"}, "Qty": 1, "UnitPrice": 10},
                        }
                    ],
                },
            )
        assert info.value.fault_code == "2500"
        with pytest.raises(QboValidationError):
            await client.query("SELECT * FROM Invoice MAXRESULTS 1500")


async def test_batch_cdc_send_pdf_void_delete(server: Server) -> None:
    async with httpx.AsyncClient() as http:
        client = await api_client(http, server)
        since = server.sandbox.clock.now_utc() - timedelta(minutes=5)
        ops = [BatchOp.create("Customer", {"DisplayName": f"Batch Customer {i}"}) for i in range(40)]
        ops.append(BatchOp.create("Customer", {"DisplayName": "Batch Customer 3"}))
        ops.append(BatchOp.select("SELECT * FROM Term"))
        results = await client.batch(ops)
        assert [r.bid for r in results] == [str(i) for i in range(42)]
        assert all(r.ok for r in results[:40]) and isinstance(results[40].error, QboDuplicate)
        assert results[41].data and len(results[41].data["Term"]) == 3
        changes = await client.cdc(["Customer", "Invoice"], since)
        created_ids = {r.data["Id"] for r in results[:40] if r.data}
        assert created_ids <= {c["Id"] for c in changes["Customer"]}

        invoice = (await client.query("SELECT * FROM Invoice WHERE Balance > '0' MAXRESULTS 1"))["Invoice"][0]
        sent = await client.send("Invoice", invoice["Id"], "ap@example.com")
        assert sent["EmailStatus"] == "EmailSent" and sent["BillEmail"]["Address"] == "ap@example.com"
        assert (await client.pdf("Invoice", invoice["Id"])).startswith(b"%PDF")
        voided = await client.void("Invoice", invoice["Id"], sent["SyncToken"])
        assert float(voided["TotalAmt"]) == 0 and voided["PrivateNote"].startswith("Voided")
        payment = (await client.query("SELECT * FROM Payment MAXRESULTS 1"))["Payment"][0]
        assert float((await client.void("Payment", payment["Id"], payment["SyncToken"]))["TotalAmt"]) == 0
        estimate = (await client.query("SELECT * FROM Estimate MAXRESULTS 1"))["Estimate"][0]
        gone = await client.delete("Estimate", estimate["Id"], estimate["SyncToken"])
        assert gone["status"] == "Deleted"
        with pytest.raises(QboNotFound):
            await client.read("Estimate", estimate["Id"])
        deleted = await client.cdc(["Estimate"], since)
        assert any(e["Id"] == estimate["Id"] and e.get("status") == "Deleted" for e in deleted["Estimate"])


async def test_retries_ride_out_injected_faults(server: Server) -> None:
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    async with httpx.AsyncClient() as http:
        client = await api_client(
            http, server, sleep=sleep, retry=RetryPolicy(max_attempts=4, random=lambda: 0.0)
        )
        before = server.sandbox.stats.snapshot()["requests"]
        server.sandbox.set_faults(force_status=503, force_count=2)
        created = await client.create("Customer", {"DisplayName": "Retry Plumbing"})
        assert created["Id"]
        server.sandbox.set_faults(force_status=429, force_count=1)
        assert (await client.read("Customer", created["Id"]))["DisplayName"] == "Retry Plumbing"
        assert server.sandbox.stats.snapshot()["requests"] - before == 5
        assert delays == [0.25, 0.5, 0.25]
        assert client.surfaced_rate_limits == 0
        server.sandbox.set_faults(force_status=500, force_count=10)
        with pytest.raises(Exception) as info:
            await client.read("Customer", created["Id"])
        assert getattr(info.value, "http_status", None) == 500
        server.sandbox.set_faults(force_status=None, force_count=None)


async def test_limiter_keeps_a_throttling_qbo_from_answering_429() -> None:
    limits = SandboxLimits(per_minute=40, concurrent=10, time_compression=30.0)  # a 2-second "minute"
    app = create_sandbox_app(SandboxConfig(limits=limits))
    with run_sandbox_server(app) as base:
        server = Server(app, base)
        async with httpx.AsyncClient() as http:
            unlimited = await api_client(http, server, retry=RetryPolicy(max_attempts=1))
            outcomes = await asyncio.gather(
                *(unlimited.read("Customer", "1") for _ in range(60)), return_exceptions=True
            )
            assert any(isinstance(o, QboRateLimited) for o in outcomes)  # the emulator really throttles
            await asyncio.sleep(2.2)
            server.sandbox.stats.throttled = 0
            limiter = RealmLimiter(
                RateLimits(per_minute=40, per_second=1000, time_scale=30.0, margin_seconds=0.5)
            )
            limited = await api_client(http, server, limiter=limiter, retry=RetryPolicy(max_attempts=1))
            started = time.monotonic()
            results = await asyncio.gather(*(limited.read("Customer", "1") for _ in range(100)))
            elapsed = time.monotonic() - started
    assert len(results) == 100
    assert server.sandbox.stats.throttled == 0 and limited.surfaced_rate_limits == 0
    assert elapsed >= 2 * 2.0  # 100 requests at 40 per 2-second minute need at least two more windows
    assert limiter.stats.max_in_flight <= 10


# ---- OAuth over real HTTP, tokens in the database ----------------------------------------------------------


async def consent(http: httpx.AsyncClient, flow: QboOAuthFlow, tenant_id: str) -> Any:
    authorize = await flow.authorization_url(tenant_id, "owner-1")
    answer = await http.get(authorize, follow_redirects=False)
    assert answer.status_code in (302, 303, 307)
    location = answer.headers["location"]
    assert location.startswith(REDIRECT)
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    return await flow.complete(
        state=params["state"],
        code=params.get("code"),
        realm_id=params.get("realmId"),
        error=params.get("error"),
    )


async def test_oauth_dance_refresh_rotation_invalid_grant_and_revoke(
    server: Server, committing_sessionmaker: sessionmaker[Session], tenant_id: str
) -> None:
    token_calls = Recorder()
    clock = ManualClock(datetime(2026, 3, 18, 17, 0, tzinfo=UTC))
    cipher = TokenCipher(generate_key())
    settings = OAuthSettings(
        client_id="sandbox-client-id",
        client_secret="sandbox-client-secret",
        redirect_uri=REDIRECT,
        environment=QboEnvironment.custom(server.base),
        state_secret="state-secret-for-tests-0123456789",
    )
    async with httpx.AsyncClient(event_hooks={"request": [token_calls]}) as http:
        endpoint = OAuthTokenEndpoint(http, settings)
        store = TokenStore(committing_sessionmaker, cipher, endpoint, clock=clock)
        flow = QboOAuthFlow(settings, endpoint, committing_sessionmaker, store, clock=clock)

        info = await consent(http, flow, tenant_id)
        assert info.status is ConnectionStatus.CONNECTED and info.realm_id == server.realm
        with committing_sessionmaker() as s:
            row = s.scalars(select(QboConnection).where(QboConnection.tenant_id == tenant_id)).one()
            first_refresh = cipher.decrypt(row.refresh_token_enc)
            assert first_refresh not in row.refresh_token_enc

        provider = store.provider(tenant_id)
        client = QboClient(http, provider, info.realm_id, settings.environment.api_base_url)
        assert await client.count("Customer") > 0

        def refreshes() -> int:
            return sum(1 for r in token_calls.requests if r.url.path.endswith("/tokens/bearer"))

        # Within 5 minutes of expiry: ten concurrent callers, one refresh, a rotated refresh token stored.
        before = refreshes()
        clock.advance(timedelta(minutes=56))
        tokens = await asyncio.gather(*(store.provider(tenant_id)() for _ in range(10)))
        assert len(set(tokens)) == 1 and refreshes() - before == 1
        with committing_sessionmaker() as s:
            row = s.scalars(select(QboConnection).where(QboConnection.tenant_id == tenant_id)).one()
            rotated = cipher.decrypt(row.refresh_token_enc)
        assert rotated != first_refresh
        assert await client.count("Invoice") > 0  # the new access token works

        # Revoked behind our back: the next refresh gets invalid_grant and the connection needs a new consent.
        await endpoint.revoke(rotated)
        clock.advance(timedelta(minutes=56))
        with pytest.raises(QboAuthError, match="reconnect"):
            await client.count("Invoice")
        assert (await store.info(tenant_id)).status is ConnectionStatus.NEEDS_REAUTH

        # Reconnect, then disconnect: revoke at the emulator, tokens gone, the old token refused by the API.
        info = await consent(http, flow, tenant_id)
        old_access, _ = await store.access_token(tenant_id)
        assert info.status is ConnectionStatus.CONNECTED
        info = await store.disconnect(tenant_id)
        assert info.status is ConnectionStatus.DISCONNECTED and info.last_error is None
        answer = await http.get(
            f"{server.base}/v3/company/{server.realm}/customer/1",
            headers={"Authorization": f"Bearer {old_access}", "Accept": "application/json"},
        )
        assert answer.status_code == 401
