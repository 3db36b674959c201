"""Embed tokens reach only the chat, from their bound origin; who may reject an approval; security changes are audited."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from domain.models import Role
from tests.agent.fakes import ScriptedModel, call, says
from tests.api.conftest import TenantKeys

HOST = "https://app.example.com"


def allow_host(client: TestClient, tenant: TenantKeys) -> None:
    r = client.put("/api/tenant/allowed-origins", json={"allowed_origins": [HOST]}, headers=tenant.headers())
    assert r.status_code == 200, r.text


def embed_headers(
    client: TestClient, tenant: TenantKeys, role: Role, origin: str | None = HOST
) -> dict[str, str]:
    minted = client.post("/api/embed/tokens", json={"origin": HOST}, headers=tenant.headers(role))
    assert minted.status_code == 201, minted.text
    headers = {"Authorization": f"Bearer {minted.json()['token']}"}
    return headers | ({"Origin": origin} if origin else {})


def audit(client: TestClient, tenant: TenantKeys) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = client.get(
        "/api/audit", params={"limit": 200}, headers=tenant.headers()
    ).json()["items"]
    assert client.get("/api/audit/verify", headers=tenant.headers()).json()["ok"] is True
    return rows


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def test_embed_token_needs_its_bound_origin(
    chat: TestClient, tenant: TenantKeys, script: ScriptedModel
) -> None:
    allow_host(chat, tenant)
    bound = embed_headers(chat, tenant, Role.OFFICE)
    missing = {"Authorization": bound["Authorization"]}
    assert (
        "Origin"
        in assert_problem(chat.post("/api/chat", json={"message": "hi"}, headers=missing), 403)["detail"]
    )
    assert assert_problem(chat.get("/api/me", headers=missing), 403)["code"] == "permission_denied"
    elsewhere = missing | {"Origin": "https://evil.example"}
    assert (
        "another origin"
        in assert_problem(chat.post("/api/chat", json={"message": "hi"}, headers=elsewhere), 403)["detail"]
    )
    script.script += [says("Hello from the books."), says("Hello again.")]
    ok = chat.post("/api/chat", json={"message": "hi"}, headers=bound)
    assert ok.status_code == 200 and ok.json()["reply"] == "Hello from the books."
    # The widget's frame is served by us, so its calls come from our own origin.
    framed = missing | {"Origin": "http://testserver"}
    assert chat.post("/api/chat", json={"message": "hi"}, headers=framed).status_code == 200


def test_embed_token_is_scoped_to_the_chat(chat: TestClient, tenant: TenantKeys) -> None:
    allow_host(chat, tenant)
    owner = embed_headers(chat, tenant, Role.OWNER)
    assert chat.get("/api/me", headers=owner).json()["credential"] == "embed"
    assert chat.get("/api/threads", headers=owner).status_code == 200
    refused = [
        chat.post("/api/customers", json={"display_name": "Widget Co"}, headers=owner),
        chat.patch(f"/api/customers/{tenant.customer_id}", json={"email": "x@example.com"}, headers=owner),
        chat.get("/api/invoices", headers=owner),
        chat.get("/api/audit", headers=owner),
        chat.put("/api/tenant/allowed-origins", json={"allowed_origins": []}, headers=owner),
        chat.post("/api/embed/tokens", json={"origin": HOST}, headers=owner),
        chat.post("/api/integrations/quickbooks/disconnect", headers=owner),
        chat.put("/api/integrations/mappings", json={"mappings": []}, headers=owner),
    ]
    for response in refused:
        assert "only use the chat" in assert_problem(response, 403)["detail"], response.request.url
    # Nothing changed: the same owner's API key still sees the old data and origins.
    names = [c["display_name"] for c in chat.get("/api/customers", headers=tenant.headers()).json()["items"]]
    assert "Widget Co" not in names
    assert chat.get("/api/tenant/allowed-origins", headers=tenant.headers()).json()["allowed_origins"] == [
        HOST
    ]


def test_widget_approvals_keep_the_users_role_rules(
    chat: TestClient, tenant: TenantKeys, script: ScriptedModel
) -> None:
    allow_host(chat, tenant)
    tech = embed_headers(chat, tenant, Role.TECHNICIAN)
    script.script += [says("", call("add_customer", display_name="Widget Builders"))]
    card = chat.post("/api/chat", json={"message": "add Widget Builders"}, headers=tech).json()["approvals"][
        0
    ]
    refused = chat.post(
        f"/api/approvals/{card['approval_id']}/decision", json={"type": "approve"}, headers=tech
    )
    assert "needs an office or above" in assert_problem(refused, 403)["detail"]
    office = embed_headers(chat, tenant, Role.OFFICE)
    script.script += [says("Added Widget Builders.")]
    approved = chat.post(
        f"/api/approvals/{card['approval_id']}/decision", json={"type": "approve"}, headers=office
    )
    assert approved.status_code == 200 and approved.json()["approval"]["status"] == "executed"


def test_only_an_approver_or_the_proposer_may_reject(
    chat: TestClient, tenant: TenantKeys, script: ScriptedModel
) -> None:
    script.script += [says("", call("add_customer", display_name="Office Pick"))]
    card = chat.post("/api/chat", json={"message": "add it"}, headers=tenant.headers(Role.OFFICE)).json()[
        "approvals"
    ][0]
    url = f"/api/approvals/{card['approval_id']}/decision"
    refused = chat.post(url, json={"type": "reject"}, headers=tenant.headers(Role.TECHNICIAN))
    body = assert_problem(refused, 403)
    assert body["detail"] == "A technician may not reject 'add_customer'; it needs an office or above"
    assert (
        chat.get(f"/api/approvals/{card['approval_id']}", headers=tenant.headers()).json()["status"]
        == "pending"
    )
    script.script += [says("Withdrawn.")]
    withdrawn = chat.post(
        url, json={"type": "reject", "message": "typo"}, headers=tenant.headers(Role.OFFICE)
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["approval"]["status"] == "rejected"


def test_origin_changes_and_embed_tokens_are_audited(client: TestClient, tenant: TenantKeys) -> None:
    allow_host(client, tenant)
    allow_host(client, tenant)  # the same list again changes nothing and writes nothing
    embed_headers(client, tenant, Role.OFFICE)
    rows = audit(client, tenant)
    assert [r["action"] for r in rows] == ["tenant.allowed_origins.changed", "embed_token.issued"]
    changed, issued = rows
    assert changed["before"] == {"allowed_origins": []} and changed["after"] == {"allowed_origins": [HOST]}
    assert changed["actor"] == "Owner User (owner)" and changed["entity_id"] == tenant.tenant_id
    assert issued["actor"] == "Office User (office)" and issued["detail"]["origin"] == HOST
    assert "token" not in issued["detail"]
