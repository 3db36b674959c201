"""The remaining REST routes: invoices without an estimate, void, payment credit, staff approvals, filters."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from domain.models import Role
from tests.api.conftest import TenantKeys


def _invoice(client: TestClient, tenant: TenantKeys, qty: str = "2") -> dict[str, Any]:
    body = {
        "customer_id": tenant.customer_id,
        "lines": [
            {
                "type": "labor",
                "name": "Labor - Standard",
                "quantity": qty,
                "item_id": tenant.item_ids["Labor - Standard"],
            }
        ],
    }
    response = client.post("/api/invoices", json=body, headers=tenant.headers(Role.OFFICE))
    assert response.status_code == 201, response.text
    return response.json()


def test_invoice_create_void_and_filters(client: TestClient, tenant: TenantKeys) -> None:
    assert (
        client.post(
            "/api/invoices",
            json={"customer_id": tenant.customer_id, "lines": []},
            headers=tenant.headers(Role.OFFICE),
        ).status_code
        == 422
    )
    technician = client.post(
        "/api/invoices",
        json={
            "customer_id": tenant.customer_id,
            "lines": [
                {
                    "type": "labor",
                    "name": "x",
                    "quantity": "1",
                    "item_id": tenant.item_ids["Labor - Standard"],
                }
            ],
        },
        headers=tenant.headers(Role.TECHNICIAN),
    )
    assert technician.status_code == 403
    first, second = _invoice(client, tenant), _invoice(client, tenant, "4")
    assert first["total"] == "250.00" and first["balance_due"] == "250.00" and first["status"] == "open"
    assert (
        client.post(
            f"/api/invoices/{first['id']}/void",
            json={"reason": "duplicate"},
            headers=tenant.headers(Role.OFFICE),
        ).status_code
        == 403
    )
    voided = client.post(
        f"/api/invoices/{first['id']}/void", json={"reason": "duplicate"}, headers=tenant.headers(Role.ADMIN)
    )
    assert voided.status_code == 200 and voided.json()["status"] == "void"
    assert voided.json()["void_reason"] == "duplicate"
    assert (
        client.get(f"/api/invoices/{first['id']}", headers=tenant.headers()).json()["void_reason"]
        == "duplicate"
    )
    assert (
        client.post(f"/api/invoices/{first['id']}/void", headers=tenant.headers(Role.ADMIN)).status_code
        == 409
    )
    open_ids = [
        i["id"]
        for i in client.get("/api/invoices", params={"status": "open"}, headers=tenant.headers()).json()[
            "items"
        ]
    ]
    assert open_ids == [second["id"]]
    by_customer = client.get(
        "/api/invoices", params={"customer_id": tenant.customer_id}, headers=tenant.headers()
    )
    assert {i["id"] for i in by_customer.json()["items"]} == {first["id"], second["id"]}


def test_payment_credit_apply_unapply_void(client: TestClient, tenant: TenantKeys) -> None:
    invoice = _invoice(client, tenant)
    office = tenant.headers(Role.OFFICE)
    assert (
        client.post(
            "/api/payments",
            json={"customer_id": tenant.customer_id, "amount": "100.00", "payment_date": "2026-03-18"},
            headers=tenant.headers(Role.TECHNICIAN),
        ).status_code
        == 403
    )
    credit = client.post(
        "/api/payments",
        json={"customer_id": tenant.customer_id, "amount": "100.00", "payment_date": "2026-03-18"},
        headers=office,
    ).json()
    assert credit["unapplied_amount"] == "100.00" and credit["applications"] == []
    applied = client.post(
        f"/api/payments/{credit['id']}/apply",
        json={"applications": [{"invoice_id": invoice["id"], "amount": "60.00"}]},
        headers=office,
    )
    assert applied.status_code == 200 and applied.json()["unapplied_amount"] == "40.00"
    assert client.get(f"/api/invoices/{invoice['id']}", headers=office).json()["balance_due"] == "190.00"
    too_much = client.post(
        f"/api/payments/{credit['id']}/apply",
        json={"applications": [{"invoice_id": invoice["id"], "amount": "60.00"}]},
        headers=office,
    )
    assert too_much.status_code in (409, 422)
    unapplied = client.post(
        f"/api/payments/{credit['id']}/unapply", json={"invoice_id": invoice["id"]}, headers=office
    )
    assert unapplied.status_code == 200 and unapplied.json()["unapplied_amount"] == "100.00"
    assert client.get(f"/api/invoices/{invoice['id']}", headers=office).json()["balance_due"] == "250.00"
    assert client.post(f"/api/payments/{credit['id']}/void", headers=office).status_code == 403
    voided = client.post(
        f"/api/payments/{credit['id']}/void", json={"reason": "bounced"}, headers=tenant.headers()
    )
    assert voided.status_code == 200 and voided.json()["voided"] is True
    assert voided.json()["void_reason"] == "bounced"
    listed = client.get("/api/payments", params={"customer_id": tenant.customer_id}, headers=office).json()
    assert [p["id"] for p in listed["items"]] == [credit["id"]]
    assert (
        client.get(f"/api/payments/{credit['id']}", headers=tenant.headers(Role.TECHNICIAN)).status_code
        == 200
    )


def test_staff_mark_approved_rejected_update_and_link(client: TestClient, tenant: TenantKeys) -> None:
    body = {
        "customer_id": tenant.customer_id,
        "lines": [
            {
                "type": "labor",
                "name": "Labor - Standard",
                "quantity": "1",
                "item_id": tenant.item_ids["Labor - Standard"],
            }
        ],
    }
    office = tenant.headers(Role.OFFICE)
    a = client.post("/api/estimates", json=body, headers=office).json()
    b = client.post("/api/estimates", json=body, headers=office).json()
    patched = client.patch(
        f"/api/estimates/{a['id']}",
        json={
            "title": "Valve swap",
            "lines": [
                {
                    "type": "labor",
                    "name": "Labor - Standard",
                    "quantity": "2",
                    "item_id": tenant.item_ids["Labor - Standard"],
                }
            ],
        },
        headers=tenant.headers(Role.TECHNICIAN),
    )
    assert patched.status_code == 200 and patched.json()["total"] == "250.00"
    for est in (a, b):
        assert client.post(f"/api/estimates/{est['id']}/send", headers=office).status_code == 200
    assert (
        client.post(
            f"/api/estimates/{a['id']}/approve",
            json={"signed_by": "Jane by phone"},
            headers=tenant.headers(Role.TECHNICIAN),
        ).status_code
        == 403
    )
    approved = client.post(
        f"/api/estimates/{a['id']}/approve", json={"signed_by": "Jane by phone"}, headers=office
    )
    assert approved.status_code == 200 and approved.json()["approved_by"] == "Jane by phone"
    rejected = client.post(
        f"/api/estimates/{b['id']}/reject", json={"reason": "went elsewhere"}, headers=office
    )
    assert rejected.json()["status"] == "rejected"
    assert client.post(f"/api/estimates/{b['id']}/convert-to-invoice", headers=office).status_code == 409
    link = client.get(f"/api/estimates/{a['id']}/link", headers=office).json()["url"]
    assert "/public/estimates/" in link
    statuses = {
        e["id"]: e["status"]
        for e in client.get("/api/estimates", params={"status": "approved"}, headers=office).json()["items"]
    }
    assert statuses == {a["id"]: "approved"}
    assert client.get("/api/tenant/allowed-origins", headers=office).json() == {"allowed_origins": []}
