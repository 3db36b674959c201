"""Webhooks delivered over real HTTP to a receiver, signatures checked with an independent HMAC."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI, Request
from starlette.responses import Response

from integrations.quickbooks.sandbox.app import create_sandbox_app
from integrations.quickbooks.sandbox.config import SandboxConfig, WebhookConfig
from integrations.quickbooks.sandbox.server import run_sandbox_server
from integrations.quickbooks.sandbox.state import Sandbox
from integrations.quickbooks.sandbox.webhooks import Change, legacy_body, sign

VERIFIER = "00faeec4-08d0-4996-bb37-698ae19f0149"


@dataclass
class Receiver:
    bodies: list[bytes] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    fail_first: int = 0
    calls: int = 0
    arrived: threading.Event = field(default_factory=threading.Event)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hooks")
        async def hook(request: Request) -> Response:
            self.calls += 1
            if self.calls <= self.fail_first:
                return Response(status_code=503)
            self.bodies.append(await request.body())
            self.signatures.append(request.headers.get("intuit-signature", ""))
            self.arrived.set()
            return Response(status_code=200)

        return app


def independent_signature(body: bytes) -> str:
    return base64.b64encode(hmac.new(VERIFIER.encode(), body, hashlib.sha256).digest()).decode()


def test_signature_matches_the_published_test_vector() -> None:
    body = (
        b'{"eventNotifications":[{"realmId":"1269959970","dataChangeEvent":{"entities":[{"name":"Vendor","id":"40",'
        b'"operation":"Update","lastUpdated":"2016-10-05T03:09:04.000Z"},{"name":"Customer","id":"43","operation":'
        b'"Create","lastUpdated":"2016-10-05T03:07:04.000Z"}]}}]}'
    )
    assert sign(VERIFIER, body) == "6q+xGyMirJupwKTh2/WBl2NcdxzxqdIbk3sneKTxLWM="
    changes = [
        ("1269959970", Change("Vendor", "40", "Update", "2016-10-04T20:09:04-07:00")),
        ("1269959970", Change("Customer", "43", "Create", "2016-10-05T03:07:04+00:00")),
    ]
    assert json.dumps(legacy_body(changes), separators=(",", ":")).encode() == body


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    with run_sandbox_server(receiver.app()) as base:
        yield receiver, f"{base}/hooks"


def make_sandbox(url: str, fmt: str = "legacy") -> Sandbox:
    webhook = WebhookConfig(
        url=url, verifier_token=VERIFIER, format=fmt, batch_window_s=0.05, retry_delays_s=[0.05, 0.05]
    )  # type: ignore[arg-type]
    return create_sandbox_app(SandboxConfig(webhook=webhook)).state.sandbox  # type: ignore[no-any-return]


def events(receiver: Receiver) -> list[dict[str, Any]]:
    found = []
    for body in receiver.bodies:
        for notification in json.loads(body)["eventNotifications"]:
            for entity in notification["dataChangeEvent"]["entities"]:
                found.append({**entity, "realmId": notification["realmId"]})
    return found


def test_user_changes_are_delivered_signed_and_batched(receiver: tuple[Receiver, str]) -> None:
    rx, url = receiver
    sandbox = make_sandbox(url)
    realm = sandbox.default_realm_id
    try:
        customer = sandbox.create(realm, "Customer", {"DisplayName": "Hook Co"})
        sandbox.update(realm, "Customer", {"Id": customer["Id"], "Notes": "vip"})
        invoice = sandbox.create(
            realm,
            "Invoice",
            {
                "CustomerRef": {"value": customer["Id"]},
                "Line": [
                    {
                        "DetailType": "SalesItemLineDetail",
                        "Amount": Decimal("80"),
                        "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                    }
                ],
            },
        )
        sandbox.void(realm, "Invoice", invoice["Id"])
        estimate = sandbox.list_entities(realm, "Estimate")[0]
        sandbox.delete(realm, "Estimate", estimate["Id"])
        assert sandbox.webhooks.flush(timeout=5)
    finally:
        sandbox.close()
    for body, signature in zip(rx.bodies, rx.signatures, strict=True):
        assert hmac.compare_digest(signature, independent_signature(body))
    assert len(rx.bodies) < 5  # aggregated into fewer POSTs than changes
    seen = [(e["name"], e["id"], e["operation"]) for e in events(rx)]
    assert seen == [
        ("Customer", customer["Id"], "Create"),
        ("Customer", customer["Id"], "Update"),
        ("Invoice", invoice["Id"], "Create"),
        ("Invoice", invoice["Id"], "Void"),
        ("Estimate", estimate["Id"], "Delete"),
    ]
    assert all(e["realmId"] == realm and e["lastUpdated"].endswith(".000Z") for e in events(rx))
    assert sandbox.stats.webhooks_delivered == len(rx.bodies)


def test_merge_event_carries_deleted_id_and_payment_updates_invoice(receiver: tuple[Receiver, str]) -> None:
    rx, url = receiver
    sandbox = make_sandbox(url)
    realm = sandbox.default_realm_id
    try:
        sandbox.merge(realm, "Customer", "1", "2")
        invoice = next(i for i in sandbox.list_entities(realm, "Invoice") if i["Balance"] > 0)
        sandbox.create(
            realm,
            "Payment",
            {
                "CustomerRef": invoice["CustomerRef"],
                "TotalAmt": Decimal("1.00"),
                "Line": [
                    {"Amount": Decimal("1.00"), "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}
                ],
            },
        )
        assert sandbox.webhooks.flush(timeout=5)
    finally:
        sandbox.close()
    found = events(rx)
    merge = next(e for e in found if e["operation"] == "Merge")
    assert merge["name"] == "Customer" and merge["id"] == "1" and merge["deletedId"] == "2"
    assert ("Invoice", invoice["Id"], "Update") in [(e["name"], e["id"], e["operation"]) for e in found]
    assert sandbox.get(realm, "Customer", "2") is None


def test_cloudevents_format(receiver: tuple[Receiver, str]) -> None:
    rx, url = receiver
    sandbox = make_sandbox(url, "cloudevents")
    realm = sandbox.default_realm_id
    try:
        made = sandbox.create(realm, "Vendor", {"DisplayName": "Cloud Vendor"})
        assert sandbox.webhooks.flush(timeout=5)
    finally:
        sandbox.close()
    body = rx.bodies[0]
    assert rx.signatures[0] == independent_signature(body)
    event = json.loads(body)[0]
    assert event["specversion"] == "1.0" and event["type"] == "qbo.vendor.created.v1"
    assert event["intuitentityid"] == made["Id"] and event["intuitaccountid"] == realm
    assert event["time"].endswith("Z") and event["id"]


def test_failed_delivery_is_retried_with_backoff(receiver: tuple[Receiver, str]) -> None:
    rx, url = receiver
    rx.fail_first = 2
    sandbox = make_sandbox(url)
    try:
        sandbox.create(sandbox.default_realm_id, "Customer", {"DisplayName": "Retry Co"})
        assert sandbox.webhooks.flush(timeout=5)
    finally:
        sandbox.close()
    assert rx.calls == 3 and len(rx.bodies) == 1
    assert sandbox.webhooks.deliveries[-1].attempts == 3 and sandbox.webhooks.deliveries[-1].delivered


def test_retries_are_bounded(receiver: tuple[Receiver, str]) -> None:
    rx, url = receiver
    rx.fail_first = 100
    sandbox = make_sandbox(url)
    try:
        sandbox.create(sandbox.default_realm_id, "Customer", {"DisplayName": "Never Co"})
        assert sandbox.webhooks.flush(timeout=5)
    finally:
        sandbox.close()
    assert rx.calls == 3  # first try + two retries
    assert sandbox.stats.webhooks_failed == 1


def test_api_writes_emit_webhooks_too(receiver: tuple[Receiver, str]) -> None:
    from fastapi.testclient import TestClient

    rx, url = receiver
    sandbox_app = create_sandbox_app(
        SandboxConfig(webhook=WebhookConfig(url=url, verifier_token=VERIFIER, batch_window_s=0.01))
    )
    sandbox: Sandbox = sandbox_app.state.sandbox
    token = sandbox.issue_tokens()["access_token"]
    with TestClient(sandbox_app) as http:
        response = http.post(
            f"/v3/company/{sandbox.default_realm_id}/customer",
            json={"DisplayName": "Api Co"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200
        assert sandbox.webhooks.flush(timeout=5)
    assert events(rx)[0]["operation"] == "Create" and events(rx)[0]["id"] == response.json()["Customer"]["Id"]
