"""Estimates → invoices → payments over REST, the customer link, roles and tenant isolation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.models import Role
from tests.api.conftest import TenantKeys


def _estimate_body(tenant: TenantKeys, **extra: Any) -> dict[str, Any]:
    return {
        "customer_id": tenant.customer_id,
        "title": "Water heater swap",
        "lines": [
            {
                "type": "material",
                "name": "Water Heater 50 gal Gas",
                "quantity": "1",
                "item_id": tenant.item_ids["Water Heater 50 gal Gas"],
            },
            {
                "type": "labor",
                "name": "Labor - Standard",
                "quantity": "3",
                "item_id": tenant.item_ids["Labor - Standard"],
            },
        ],
        **extra,
    }


def _create_estimate(client: TestClient, tenant: TenantKeys, role: Role = Role.OFFICE) -> dict[str, Any]:
    response = client.post("/api/estimates", json=_estimate_body(tenant), headers=tenant.headers(role))
    assert response.status_code == 201, response.text
    return response.json()


def test_estimate_lifecycle_through_public_link(client: TestClient, tenant: TenantKeys) -> None:
    estimate = _create_estimate(client, tenant, Role.TECHNICIAN)
    assert estimate["status"] == "draft" and estimate["doc_number"]
    # 1 heater at 1150 with the 20 % material markup + 3 h at 125, computed by the domain, never by the client.
    assert estimate["total"] == "1755.00"

    sent = client.post(f"/api/estimates/{estimate['id']}/send", headers=tenant.headers(Role.OFFICE))
    assert sent.status_code == 200, sent.text
    url = sent.json()["public_url"]
    path = url.removeprefix("http://testserver")
    assert path.startswith("/public/estimates/")

    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"  # the URL is the credential
    assert page.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert "1,755.00" in page.text and "Approve estimate" in page.text
    viewed = client.get(f"/api/estimates/{estimate['id']}", headers=tenant.headers()).json()
    assert viewed["status"] == "viewed" and viewed["viewed_at"]

    approved = client.post(f"{path}/approve", data={"signed_by": "Jane Cooper"}, follow_redirects=False)
    assert approved.status_code == 303
    after = client.get(approved.headers["location"])
    assert "Approved by Jane Cooper" in after.text
    final = client.get(f"/api/estimates/{estimate['id']}", headers=tenant.headers()).json()
    assert final["status"] == "approved" and final["approved_by"] == "Jane Cooper"
    assert final["approved_at"] and final["approval_ip"] == "testclient"  # when and from where it was signed

    # Approving twice is refused on the page, not a crash.
    again = client.post(f"{path}/approve", data={"signed_by": "Someone Else"}, follow_redirects=False)
    assert again.status_code == 409

    converted = client.post(
        f"/api/estimates/{estimate['id']}/convert-to-invoice", headers=tenant.headers(Role.OFFICE)
    )
    assert converted.status_code == 201, converted.text
    invoice = converted.json()
    assert invoice["total"] == "1755.00" and invoice["estimate_id"] == estimate["id"]

    sent_invoice = client.post(
        f"/api/invoices/{invoice['id']}/send", headers=tenant.headers(Role.OFFICE)
    ).json()
    invoice_page = client.get(sent_invoice["public_url"].removeprefix("http://testserver"))
    assert invoice_page.status_code == 200 and "1,755.00" in invoice_page.text

    payment = client.post(
        "/api/payments",
        json={
            "customer_id": tenant.customer_id,
            "amount": "755.00",
            "payment_date": "2026-03-18",
            "applications": [{"invoice_id": invoice["id"], "amount": "755.00"}],
        },
        headers=tenant.headers(Role.OFFICE),
    )
    assert payment.status_code == 201, payment.text
    after_payment = client.get(f"/api/invoices/{invoice['id']}", headers=tenant.headers()).json()
    assert after_payment["balance_due"] == "1000.00" and after_payment["status"] == "partial"
    listed = client.get(f"/api/invoices/{invoice['id']}/payments", headers=tenant.headers()).json()
    assert [p["amount"] for p in listed] == ["755.00"]

    # Writing off is destructive: office may not, owner may.
    body = {"reason": "customer disputes the remainder"}
    assert (
        client.post(
            f"/api/invoices/{invoice['id']}/write-off", json=body, headers=tenant.headers(Role.OFFICE)
        ).status_code
        == 403
    )
    wo = client.post(
        f"/api/invoices/{invoice['id']}/write-off", json=body, headers=tenant.headers(Role.OWNER)
    )
    assert wo.status_code == 201 and wo.json()["amount"] == "1000.00"

    audit = client.get("/api/audit", headers=tenant.headers()).json()
    actions = [row["action"] for row in audit["items"]]
    assert "estimate.approved" in actions and "invoice.written_off" in actions
    assert client.get("/api/audit/verify", headers=tenant.headers()).json()["ok"] is True
    assert client.get("/api/audit", headers=tenant.headers(Role.OFFICE)).status_code == 403


def test_customer_can_reject_with_reason(client: TestClient, tenant: TenantKeys) -> None:
    estimate = _create_estimate(client, tenant)
    path = (
        client.post(f"/api/estimates/{estimate['id']}/send", headers=tenant.headers(Role.OFFICE))
        .json()["public_url"]
        .removeprefix("http://testserver")
    )
    response = client.post(f"{path}/reject", data={"reason": "Too expensive"})
    assert response.status_code == 200 and "Too expensive" in response.text
    data = client.get(f"/api/estimates/{estimate['id']}", headers=tenant.headers()).json()
    assert data["status"] == "rejected" and data["rejected_reason"] == "Too expensive"


def test_forged_and_cross_kind_links_are_refused(client: TestClient, tenant: TenantKeys) -> None:
    estimate = _create_estimate(client, tenant)
    url = client.post(f"/api/estimates/{estimate['id']}/send", headers=tenant.headers(Role.OFFICE)).json()[
        "public_url"
    ]
    token = url.rsplit("/", 1)[1]
    head, payload, sig = token.split(".")
    forged = f"{head}.{payload}.{sig[:-2]}{'AA' if not sig.endswith('AA') else 'BB'}"
    for bad in (forged, "nope", token + "x", "a.b.c"):
        response = client.get(f"/public/estimates/{bad}")
        assert response.status_code == 404, bad
        assert "not valid" in response.text
    # An estimate link does not open the invoice page.
    assert client.get(f"/public/invoices/{token}").status_code == 404
    assert (
        client.post(f"/public/estimates/{forged}/approve", data={"signed_by": "Mallory"}).status_code == 404
    )


def test_draft_link_is_not_shown(client: TestClient, tenant: TenantKeys, settings) -> None:
    from api.links import public_url

    estimate = _create_estimate(client, tenant)
    url = public_url(settings, tenant_id=tenant.tenant_id, kind="estimate", document_id=estimate["id"])
    assert client.get(url.removeprefix("http://testserver")).status_code == 404


def test_technician_may_not_override_prices(client: TestClient, tenant: TenantKeys) -> None:
    body = _estimate_body(tenant)
    body["lines"][0]["unit_price"] = "1.00"
    assert (
        client.post("/api/estimates", json=body, headers=tenant.headers(Role.TECHNICIAN)).status_code == 403
    )
    assert client.post("/api/estimates", json=body, headers=tenant.headers(Role.OFFICE)).status_code == 201


@pytest.mark.parametrize(
    ("method", "path_template", "json"),
    [
        ("get", "/api/estimates/{estimate}", None),
        ("patch", "/api/estimates/{estimate}", {"title": "stolen"}),
        ("post", "/api/estimates/{estimate}/send", None),
        ("post", "/api/estimates/{estimate}/reject", {"reason": "x"}),
        ("get", "/api/customers/{customer}", None),
        ("patch", "/api/customers/{customer}", {"phone": "555"}),
        ("get", "/api/invoices/{estimate}", None),
    ],
)
def test_other_tenants_ids_are_404(
    client: TestClient,
    tenant: TenantKeys,
    other_tenant: TenantKeys,
    method: str,
    path_template: str,
    json: Any,
) -> None:
    estimate = _create_estimate(client, tenant)
    path = path_template.format(estimate=estimate["id"], customer=tenant.customer_id)
    kwargs = {"json": json} if json is not None else {}
    response = getattr(client, method)(path, headers=other_tenant.headers(Role.OWNER), **kwargs)
    assert response.status_code == 404, response.text
    assert "Water heater" not in response.text
    # The owner still sees it unchanged.
    assert (
        client.get(f"/api/estimates/{estimate['id']}", headers=tenant.headers()).json()["title"]
        == "Water heater swap"
    )


def test_cross_tenant_estimate_with_foreign_customer_is_refused(
    client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    body = _estimate_body(tenant)
    response = client.post("/api/estimates", json=body, headers=other_tenant.headers(Role.OWNER))
    assert response.status_code == 404


def test_lists_are_tenant_scoped_and_paginate(
    client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    for n in range(5):
        r = client.post(
            "/api/customers", json={"display_name": f"Customer {n}"}, headers=tenant.headers(Role.OFFICE)
        )
        assert r.status_code == 201
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/customers", params=params, headers=tenant.headers()).json()
        seen += [c["display_name"] for c in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 6  # five new + the seeded one, none twice
    other = client.get("/api/customers", headers=other_tenant.headers()).json()
    assert [c["display_name"] for c in other["items"]] == ["Jane Cooper (Rival Heating)"]
    assert client.get("/api/customers", params={"cursor": "!!!"}, headers=tenant.headers()).status_code == 422
    assert client.get("/api/customers", params={"limit": 0}, headers=tenant.headers()).status_code == 422


def test_idempotency_key_replays_and_detects_changes(client: TestClient, tenant: TenantKeys) -> None:
    headers = tenant.headers(Role.OFFICE, **{"Idempotency-Key": "create-bob-1"})
    first = client.post("/api/customers", json={"display_name": "Bob Vance"}, headers=headers)
    second = client.post("/api/customers", json={"display_name": "Bob Vance"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers.get("idempotent-replayed") == "true"
    changed = client.post("/api/customers", json={"display_name": "Bob Vance II"}, headers=headers)
    assert changed.status_code == 422 and changed.json()["code"] == "idempotency_key_reused"
    listed = client.get("/api/customers", params={"q": "bob vance"}, headers=tenant.headers()).json()
    assert len(listed["items"]) == 1
    # Without the key the duplicate name is a conflict, proving the replay did not run the route again.
    assert (
        client.post(
            "/api/customers", json={"display_name": "Bob Vance"}, headers=tenant.headers(Role.OFFICE)
        ).status_code
        == 409
    )


def test_idempotency_keys_are_per_caller(client: TestClient, tenant: TenantKeys) -> None:
    body = {"display_name": "Shared Key Co"}
    a = client.post(
        "/api/customers", json=body, headers=tenant.headers(Role.OFFICE, **{"Idempotency-Key": "k"})
    )
    b = client.post(
        "/api/customers", json=body, headers=tenant.headers(Role.OWNER, **{"Idempotency-Key": "k"})
    )
    assert a.status_code == 201
    assert b.status_code == 409  # the owner's request ran on its own and hit the duplicate name


def test_failed_auth_does_not_burn_the_key(client: TestClient, tenant: TenantKeys) -> None:
    bad = {"Authorization": "Bearer qbo_wrong", "Idempotency-Key": "z"}
    assert client.post("/api/customers", json={"display_name": "Z"}, headers=bad).status_code == 401
    assert client.post("/api/customers", json={"display_name": "Z"}, headers=bad).status_code == 401


def test_item_and_customer_routes(client: TestClient, tenant: TenantKeys) -> None:
    items = client.get("/api/items", headers=tenant.headers(Role.TECHNICIAN)).json()["items"]
    assert {i["name"] for i in items} == {"Labor - Standard", "Water Heater 50 gal Gas"}
    new = {"name": "Expansion Tank 2 gal", "type": "material", "rate": "65.00"}
    assert client.post("/api/items", json=new, headers=tenant.headers(Role.TECHNICIAN)).status_code == 403
    created = client.post("/api/items", json=new, headers=tenant.headers(Role.OFFICE))
    assert created.status_code == 201 and created.json()["rate"] == "65.00"
    assert (
        client.get(f"/api/items/{created.json()['id']}", headers=tenant.headers()).json()["name"]
        == new["name"]
    )
    patched = client.patch(
        f"/api/customers/{tenant.customer_id}",
        json={"phone": "916-555-0101"},
        headers=tenant.headers(Role.OFFICE),
    )
    assert patched.status_code == 200 and patched.json()["phone"] == "916-555-0101"
    assert re.match(r"^[0-9a-f-]{36}$", created.json()["id"])


def test_concurrent_requests_with_one_key_run_once(app, client: TestClient, tenant: TenantKeys) -> None:
    import asyncio

    import httpx

    headers = tenant.headers(Role.OFFICE, **{"Idempotency-Key": "race-1"})

    async def race() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            return list(
                await asyncio.gather(
                    *[
                        http.post("/api/customers", json={"display_name": "Racing Co"}, headers=headers)
                        for _ in range(4)
                    ]
                )
            )

    responses = asyncio.run(race())
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) >= 1 and set(codes) <= {201, 409}, codes
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1  # replays carry the same customer; nobody created a second one
    listed = client.get("/api/customers", params={"q": "racing co"}, headers=tenant.headers()).json()["items"]
    assert len(listed) == 1
