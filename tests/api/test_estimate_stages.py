"""Estimate stages over REST use the chat's words: open = pending or accepted (not yet invoiced)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from domain.models import Role
from tests.api.conftest import TenantKeys


def test_open_stage_includes_accepted_estimates_and_bad_stages_are_422(
    client: TestClient, tenant: TenantKeys
) -> None:
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
    sent, accepted, rejected = (
        client.post("/api/estimates", json=body, headers=office).json() for _ in range(3)
    )
    for est in (sent, accepted, rejected):
        assert client.post(f"/api/estimates/{est['id']}/send", headers=office).status_code == 200
    approve = client.post(
        f"/api/estimates/{accepted['id']}/approve", json={"signed_by": "Jo by phone"}, headers=office
    )
    assert approve.status_code == 200 and approve.json()["stage"] == "accepted"
    client.post(f"/api/estimates/{rejected['id']}/reject", json={"reason": "too dear"}, headers=office)

    def stages(stage: str) -> dict[str, str]:
        page = client.get("/api/estimates", params={"stage": stage}, headers=office)
        assert page.status_code == 200
        return {e["id"]: e["stage"] for e in page.json()["items"]}

    assert stages("open") == {sent["id"]: "pending", accepted["id"]: "accepted"}
    assert stages("accepted") == {accepted["id"]: "accepted"}
    assert stages("rejected") == {rejected["id"]: "rejected"}
    bad = client.get("/api/estimates", params={"stage": "approved-ish"}, headers=office)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
