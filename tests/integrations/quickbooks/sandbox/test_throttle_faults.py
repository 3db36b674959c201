"""Throttling (with a compressed minute), fault injection knobs, and the /_sandbox control endpoints."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import httpx
import pytest
from fastapi.testclient import TestClient

from integrations.quickbooks.sandbox.app import create_sandbox_app
from integrations.quickbooks.sandbox.config import FaultConfig, RateLimits, SandboxConfig
from integrations.quickbooks.sandbox.faults import THROTTLE_MESSAGE
from integrations.quickbooks.sandbox.gateway import DroppedConnection
from integrations.quickbooks.sandbox.server import run_sandbox_server
from integrations.quickbooks.sandbox.state import Sandbox
from integrations.quickbooks.sandbox.throttle import Throttle

from .conftest import Qbo, fault_codes


def client_for(config: SandboxConfig) -> tuple[TestClient, Qbo, Sandbox]:
    app = create_sandbox_app(config)
    sandbox: Sandbox = app.state.sandbox
    http = TestClient(app)
    return http, Qbo(http, sandbox.default_realm_id, sandbox.issue_tokens()["access_token"]), sandbox


def test_per_minute_limit_with_time_compression_returns_qbo_xml_429() -> None:
    http, qbo, sandbox = client_for(SandboxConfig(limits=RateLimits(per_minute=20, time_compression=60)))
    with http:
        statuses = [http.get(qbo.url("companyinfo/1"), headers=qbo.headers) for _ in range(25)]
        codes = [r.status_code for r in statuses]
        assert codes.count(200) == 20 and codes.count(429) == 5
        throttled = next(r for r in statuses if r.status_code == 429)
        assert throttled.headers["content-type"].startswith("application/xml")
        assert '<Fault type="SERVICE">' in throttled.text and '<Error code="3001">' in throttled.text
        assert f"<Message>{THROTTLE_MESSAGE}</Message>" in throttled.text
        assert sandbox.stats.snapshot()["throttled_429"] == 5
        time.sleep(1.05)  # one compressed minute later the window has room again
        assert http.get(qbo.url("companyinfo/1"), headers=qbo.headers).status_code == 200


def test_batch_rate_limit() -> None:
    http, qbo, _ = client_for(SandboxConfig(limits=RateLimits(batch_per_minute=2)))
    batch = {"BatchItemRequest": [{"bId": "1", "Query": "select * from Term"}]}
    with http:
        assert [qbo.post("batch", batch)[0] for _ in range(3)] == [200, 200, 429]
        assert qbo.get("companyinfo/1")[0] == 200  # other requests still pass


def test_optional_per_second_limit() -> None:
    # A compressed "second" of 2.5 s, so the three calls surely fall into one window.
    http, qbo, _ = client_for(SandboxConfig(limits=RateLimits(per_second=2, time_compression=0.4)))
    with http:
        assert [qbo.get("companyinfo/1")[0] for _ in range(3)] == [200, 200, 429]


def test_throttle_windows_slide_with_a_fake_clock() -> None:
    now = [0.0]
    throttle = Throttle(
        RateLimits(per_minute=3, per_second=2, concurrent=2, batch_per_minute=1, time_compression=2),
        lambda: now[0],
    )
    assert throttle.acquire("r", batch=False) and throttle.acquire("r", batch=False)
    assert not throttle.acquire("r", batch=False)  # 2 in flight
    throttle.release("r")
    assert not throttle.acquire("r", batch=False)  # 2 within the (half-)second
    now[0] = 0.6
    assert throttle.acquire("r", batch=True)
    throttle.release("r")
    throttle.release("r")
    now[0] = 1.2
    assert not throttle.acquire("r", batch=False)  # 3 within the compressed minute (30 s)
    now[0] = 30.1
    assert throttle.acquire("r", batch=False)
    throttle.release("r")
    assert not throttle.acquire("r", batch=True)  # the batch at 0.6 is still inside its window
    now[0] = 30.7
    assert throttle.acquire("r", batch=True)
    assert throttle.acquire("other", batch=True)  # realms are counted apart


def test_limits_are_per_realm() -> None:
    http, qbo, sandbox = client_for(SandboxConfig(limits=RateLimits(per_minute=3)))
    other = sandbox.seed_realm("9130000000000005", source="empty")
    other_qbo = Qbo(http, other, sandbox.issue_tokens(other)["access_token"])
    with http:
        assert [qbo.get("companyinfo/1")[0] for _ in range(4)] == [200, 200, 200, 429]
        assert other_qbo.get("companyinfo/1")[0] == 200


def test_concurrency_limit_over_real_http() -> None:
    config = SandboxConfig(limits=RateLimits(concurrent=3), faults=FaultConfig(latency_ms=300))
    app = create_sandbox_app(config)
    sandbox: Sandbox = app.state.sandbox
    token = sandbox.issue_tokens()["access_token"]

    async def burst(base: str) -> list[int]:
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
            url = f"/v3/company/{sandbox.default_realm_id}/companyinfo/1"
            responses = await asyncio.gather(*(client.get(url) for _ in range(8)))
            return [r.status_code for r in responses]

    with run_sandbox_server(app) as base:
        codes = asyncio.run(burst(base))
    assert codes.count(200) == 3 and codes.count(429) == 5


def test_forced_status_for_n_requests_then_recovers(qbo: Qbo, sandbox: Sandbox) -> None:
    sandbox.set_faults(force_status=503, force_count=2)
    first, second, third = (qbo.get("companyinfo/1") for _ in range(3))
    assert first[0] == second[0] == 503 and third[0] == 200
    assert first[1]["Fault"]["type"] == "SystemFault"
    sandbox.set_faults(force_status=500, force_count=1)
    status, body = qbo.get("companyinfo/1")
    assert status == 500 and fault_codes(body) == ["10000"]
    assert sandbox.stats.snapshot()["injected_faults"] == {"503": 2, "500": 1}


def test_forced_failures_are_not_cached_for_replay(qbo: Qbo, sandbox: Sandbox) -> None:
    sandbox.set_faults(force_status=503, force_count=1)
    assert qbo.post("customer", {"DisplayName": "Retry Me"}, requestid="r-1")[0] == 503
    status, data = qbo.post("customer", {"DisplayName": "Retry Me"}, requestid="r-1")
    assert status == 200 and data["Customer"]["DisplayName"] == "Retry Me"


def test_seeded_error_rate_is_reproducible() -> None:
    def run() -> list[int]:
        http, qbo, _ = client_for(SandboxConfig(faults=FaultConfig(error_rate=0.3, seed=7)))
        with http:
            return [qbo.get("companyinfo/1")[0] for _ in range(40)]

    first, second = run(), run()
    assert first == second
    assert 0 < sum(1 for s in first if s in (500, 503)) < 40
    assert set(first) <= {200, 500, 503}


def test_injected_429_uses_the_throttle_body(qbo: Qbo, sandbox: Sandbox) -> None:
    sandbox.set_faults(error_rate=1.0, error_statuses=[429])
    status, body = qbo.get("companyinfo/1")
    assert status == 429 and "ThrottleExceeded" in body


def test_added_latency(qbo: Qbo, sandbox: Sandbox) -> None:
    sandbox.set_faults(latency_ms=150)
    started = time.perf_counter()
    assert qbo.get("companyinfo/1")[0] == 200
    assert time.perf_counter() - started >= 0.15


def test_dropped_connection_closes_without_a_response() -> None:
    app = create_sandbox_app(SandboxConfig(faults=FaultConfig(drop_rate=1.0)))
    sandbox: Sandbox = app.state.sandbox
    token = sandbox.issue_tokens()["access_token"]
    with run_sandbox_server(app) as base:
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            httpx.get(
                f"{base}/v3/company/{sandbox.default_realm_id}/companyinfo/1",
                headers={"Authorization": f"Bearer {token}"},
            )
        sandbox.set_faults(drop_rate=0.0)
        ok = httpx.get(
            f"{base}/v3/company/{sandbox.default_realm_id}/companyinfo/1",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert ok.status_code == 200
    assert sandbox.stats.injected["dropped_connection"] == 1


def test_dropped_connection_in_process_breaks_off_the_response(qbo: Qbo, sandbox: Sandbox) -> None:
    sandbox.set_faults(drop_rate=1.0)
    with pytest.raises(DroppedConnection):
        qbo.get("companyinfo/1")


def test_reset_restores_configured_faults(qbo: Qbo, sandbox: Sandbox) -> None:
    sandbox.set_faults(force_status=500)
    assert qbo.get("companyinfo/1")[0] == 500
    sandbox.reset()
    assert sandbox.faults.force_status is None and sandbox.config.faults.force_status is None
    token = sandbox.issue_tokens()["access_token"]
    assert Qbo(qbo.http, sandbox.default_realm_id, token).get("companyinfo/1")[0] == 200


def test_forced_stale_sync_token_as_if_a_user_edited(qbo: Qbo, sandbox: Sandbox) -> None:
    sandbox.set_faults(stale_synctoken_rate=1.0, seed=1)
    current = qbo.read("Customer", "3")
    status, body = qbo.post(
        "customer", {"Id": "3", "SyncToken": current["SyncToken"], "sparse": True, "Notes": "n"}
    )
    assert status == 400 and fault_codes(body) == ["5010"]
    latest = qbo.read("Customer", "3")
    assert int(latest["SyncToken"]) == int(current["SyncToken"]) + 1  # the "user" saved it
    sandbox.set_faults(stale_synctoken_rate=0.0)
    status, body = qbo.post(
        "customer", {"Id": "3", "SyncToken": latest["SyncToken"], "sparse": True, "Notes": "n"}
    )
    assert status == 200
    # Creates are never affected.
    sandbox.set_faults(stale_synctoken_rate=1.0)
    assert qbo.post("customer", {"DisplayName": "Fresh Co"})[0] == 200


def test_control_endpoints(qbo: Qbo, sandbox: Sandbox) -> None:
    http = qbo.http
    assert http.post("/_sandbox/faults", json={"error_rate": 2}).status_code == 422
    knobs = http.post("/_sandbox/faults", json={"latency_ms": 5, "seed": 3}).json()
    assert knobs["latency_ms"] == 5 and sandbox.faults.latency_ms == 5
    created = http.post("/_sandbox/realms", json={"realm_id": "9130000000000009", "source": "empty"})
    assert created.status_code == 201
    generated = http.post(
        "/_sandbox/realms/9130000000000009/generate", json={"entity": "Invoice", "count": 50, "seed": 1}
    )
    assert generated.json()["created"] == 50
    payments = http.post(
        "/_sandbox/realms/9130000000000009/generate", json={"entity": "Payment", "count": 10, "seed": 1}
    )
    assert payments.json()["created"] == 10
    token = http.post("/_sandbox/realms/9130000000000009/tokens", json={}).json()["access_token"]
    other = Qbo(http, "9130000000000009", token)
    assert other.query("select count(*) from Invoice")[1]["QueryResponse"]["totalCount"] == 50
    invoices = other.query("select * from Invoice maxresults 1000")[1]["QueryResponse"]["Invoice"]
    for invoice in invoices:  # generated through the rules: totals add up
        items = [x["Amount"] for x in invoice["Line"] if x["DetailType"] == "SalesItemLineDetail"]
        assert invoice["TotalAmt"] == sum(items, Decimal(0)) + invoice["TxnTaxDetail"]["TotalTax"]
    edit = http.post(
        "/_sandbox/realms/9130000000000009/edits",
        json={
            "operation": "update",
            "entity": "Invoice",
            "body": {"Id": invoices[0]["Id"], "PrivateNote": "user"},
        },
    )
    assert edit.status_code == 200 and edit.json()["Invoice"]["PrivateNote"] == "user"
    stats = http.get("/_sandbox/stats").json()
    assert stats["requests"] >= 2 and "9130000000000009" in stats["requests_by_realm"]
    assert (
        http.post(
            "/_sandbox/realms/9130000000000009/generate", json={"entity": "Gadget", "count": 1}
        ).status_code
        == 400
    )
    reset = http.post("/_sandbox/reset").json()
    assert reset["realms"] == [sandbox.default_realm_id] and sandbox.stats.requests == 0
