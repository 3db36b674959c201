"""Hostile callers: other tenants through chat, replayed OAuth states, odd bodies and headers."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from domain.models import Role
from tests.agent.fakes import ScriptedModel, call, says
from tests.api.conftest import TenantKeys


def test_chat_cannot_reach_another_tenants_records(
    chat: TestClient, tenant: TenantKeys, other_tenant: TenantKeys, script: ScriptedModel
) -> None:
    # The model (steered by a user) asks for a customer that exists only in the other tenant.
    script.script += [says("", call("find_customers", name_contains="Rival Heating")), says("Nothing found.")]
    body = chat.post(
        "/api/chat", json={"message": "show me Rival Heating's customer"}, headers=tenant.headers(Role.OWNER)
    ).json()
    assert body["tools"][0]["status"] == "error"
    assert "Jane Cooper (Rival Heating)" not in str(body)


def test_chat_write_lands_in_the_proposers_tenant_only(
    chat: TestClient, tenant: TenantKeys, other_tenant: TenantKeys, script: ScriptedModel
) -> None:
    script.script += [says("", call("add_customer", display_name="Cross Tenant Co"))]
    card = chat.post(
        "/api/chat", json={"message": "add it"}, headers=other_tenant.headers(Role.OFFICE)
    ).json()["approvals"][0]
    # The first tenant's owner cannot see or decide it.
    assert (
        chat.post(
            f"/api/approvals/{card['approval_id']}/decision",
            json={"type": "approve"},
            headers=tenant.headers(Role.OWNER),
        ).status_code
        == 404
    )
    script.script += [says("Added.")]
    ok = chat.post(
        f"/api/approvals/{card['approval_id']}/decision",
        json={"type": "approve"},
        headers=other_tenant.headers(Role.OWNER),
    )
    assert ok.status_code == 200
    mine = chat.get("/api/customers", params={"q": "cross tenant"}, headers=tenant.headers()).json()["items"]
    theirs = chat.get("/api/customers", params={"q": "cross tenant"}, headers=other_tenant.headers()).json()[
        "items"
    ]
    assert mine == [] and len(theirs) == 1


def test_oauth_state_is_single_use_and_tenant_bound(client: TestClient, tenant: TenantKeys) -> None:
    url = client.post("/api/integrations/quickbooks/connect", headers=tenant.headers()).json()[
        "authorize_url"
    ]
    state = parse_qs(urlsplit(url).query)["state"][0]
    # The user declined at Intuit: the state is consumed and nothing is connected.
    first = client.get(
        "/api/integrations/quickbooks/callback",
        params={"state": state, "error": "access_denied"},
        follow_redirects=False,
    )
    assert first.status_code in (400, 401)
    replay = client.get(
        "/api/integrations/quickbooks/callback",
        params={"state": state, "code": "stolen", "realmId": "123"},
        follow_redirects=False,
    )
    assert replay.status_code == 400 and "already used" in replay.text
    status = client.get("/api/integrations/quickbooks/status", headers=tenant.headers()).json()
    assert status["connected"] is False


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"[]", "application/json"),
        (b'{"display_name": {"$gt": ""}}', "application/json"),
        (b"display_name=x", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00", "application/json"),
        (b'{"display_name": "' + b"a" * 600 + b'"}', "application/json"),
        (b'{"display_name": "ok", "tenant_id": "someone-else"}', "application/json"),
    ],
)
def test_malformed_bodies_are_clean_4xx(
    client: TestClient, tenant: TenantKeys, content: bytes, content_type: str
) -> None:
    response = client.post(
        "/api/customers", content=content, headers=tenant.headers(**{"Content-Type": content_type})
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_hostile_ids_and_queries(client: TestClient, tenant: TenantKeys) -> None:
    for path in ("/api/estimates/' OR 1=1 --", "/api/invoices/%00", "/api/customers/" + "x" * 3000):
        response = client.get(path, headers=tenant.headers())
        assert response.status_code in (404, 422), (path, response.status_code)
    r = client.get("/api/customers", params={"q": "%' OR '1'='1"}, headers=tenant.headers())
    assert r.status_code == 200 and r.json()["items"] == []
    assert (
        client.get("/api/estimates", params={"status": "bogus"}, headers=tenant.headers()).status_code == 422
    )


def test_revoked_key_and_inactive_user(client: TestClient, tenant: TenantKeys, app: FastAPI) -> None:
    from sqlalchemy import update

    from domain.models import ApiKey, User

    sessions = app.state.services.sessionmaker
    with sessions() as s, s.begin():
        s.execute(update(User).where(User.id == tenant.user_ids[Role.OFFICE]).values(active=False))
        s.execute(update(ApiKey).where(ApiKey.user_id == tenant.user_ids[Role.ADMIN]).values(revoked=True))
    assert client.get("/api/me", headers=tenant.headers(Role.OFFICE)).status_code == 401
    assert client.get("/api/me", headers=tenant.headers(Role.ADMIN)).status_code == 401
    assert client.get("/api/me", headers=tenant.headers(Role.OWNER)).status_code == 200


def test_expired_oauth_state_is_refused(client: TestClient, tenant: TenantKeys, settings) -> None:
    import base64
    from datetime import timedelta

    from api.security.keys import derive_key
    from domain.db import utcnow
    from integrations.quickbooks.oauth.state import StateCodec

    url = client.post("/api/integrations/quickbooks/connect", headers=tenant.headers()).json()[
        "authorize_url"
    ]
    nonce_state = parse_qs(urlsplit(url).query)["state"][0]
    # Re-sign the same consent with an expiry in the past, using the service's own state key.
    codec = StateCodec(base64.urlsafe_b64encode(derive_key(settings.secret, "oauth-state")).decode())
    payload = codec.decode(nonce_state, now=utcnow())
    expired = codec.encode(
        nonce=payload["n"],
        tenant_id=payload["t"],
        user_id=payload.get("u"),
        expires_at=utcnow() - timedelta(minutes=1),
    )
    response = client.get(
        "/api/integrations/quickbooks/callback",
        params={"state": expired, "code": "c", "realmId": "1"},
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert (
        client.get("/api/integrations/quickbooks/status", headers=tenant.headers()).json()["connected"]
        is False
    )


@pytest.mark.parametrize("forged", ["abc.é", "é.é", "ü" * 40 + "." + "ß" * 40, "%ED%A0%80.x"])
def test_non_ascii_oauth_state_is_refused_not_a_crash(
    client: TestClient, tenant: TenantKeys, forged: str
) -> None:
    response = client.get(
        "/api/integrations/quickbooks/callback",
        params={"state": forged, "code": "x", "realmId": "1"},
        follow_redirects=False,
    )
    # The callback is a page the user's browser lands on: a plain refusal, not a server error.
    assert response.status_code == 400, response.text
    assert "tampered" in response.text
    status = client.get("/api/integrations/quickbooks/status", headers=tenant.headers()).json()
    assert status["connected"] is False


@pytest.mark.parametrize("forged", ["é" * 64, "0" * 63 + "é", "ü"])
def test_non_ascii_action_hash_is_a_conflict_not_a_crash(
    chat: TestClient, tenant: TenantKeys, script: ScriptedModel, forged: str
) -> None:
    script.script += [says("", call("add_customer", display_name="Hash Probe Co"))]
    card = chat.post("/api/chat", json={"message": "add it"}, headers=tenant.headers(Role.OFFICE)).json()[
        "approvals"
    ][0]
    response = chat.post(
        f"/api/approvals/{card['approval_id']}/decision",
        json={"type": "approve", "action_hash": forged},
        headers=tenant.headers(Role.OWNER),
    )
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    pending = chat.get(f"/api/approvals/{card['approval_id']}", headers=tenant.headers()).json()
    assert pending["status"] == "pending"
