"""Embed tokens, allowed origins (CORS, frame-ancestors), the console shell and the QuickBooks connect routes."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient

from api.security.keys import derive_key
from api.security.tokens import EMBED_AUDIENCE, _encode, issue_embed_token
from api.settings import Settings
from domain.models import Role
from tests.api.conftest import TenantKeys

HOST = "http://127.0.0.1:9999"


def _allow(client: TestClient, tenant: TenantKeys, origins: list[str]) -> None:
    r = client.put("/api/tenant/allowed-origins", json={"allowed_origins": origins}, headers=tenant.headers())
    assert r.status_code == 200, r.text


def test_me_reports_role_and_permissions(client: TestClient, tenant: TenantKeys) -> None:
    me = client.get("/api/me", headers=tenant.headers(Role.TECHNICIAN)).json()
    assert me["role"] == "technician" and "read_books" in me["permissions"]
    assert "approve_actions" not in me["permissions"] and me["credential"] == "api_key"


def test_embed_token_flow(client: TestClient, tenant: TenantKeys) -> None:
    # Not yet allowed: refused.
    assert (
        client.post("/api/embed/tokens", json={"origin": HOST}, headers=tenant.headers()).status_code == 403
    )
    assert (
        client.put(
            "/api/tenant/allowed-origins",
            json={"allowed_origins": [HOST]},
            headers=tenant.headers(Role.OFFICE),
        ).status_code
        == 403
    )
    _allow(client, tenant, [HOST])
    minted = client.post("/api/embed/tokens", json={"origin": HOST}, headers=tenant.headers(Role.OFFICE))
    assert minted.status_code == 201
    token = minted.json()["token"]
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}", "Origin": HOST}).json()
    assert me["role"] == "office" and me["credential"] == "embed"
    # From another page the same token is refused.
    other = client.get(
        "/api/me", headers={"Authorization": f"Bearer {token}", "Origin": "http://evil.example"}
    )
    assert other.status_code == 403
    # An embed token cannot mint further tokens.
    assert (
        client.post(
            "/api/embed/tokens", json={"origin": HOST}, headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 403
    )
    # The frame page names the host as its only allowed ancestor.
    page = client.get("/embed", params={"token": token})
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == f"frame-ancestors {HOST}"


def test_forged_and_expired_embed_tokens(
    client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys, settings: Settings
) -> None:
    _allow(client, tenant, [HOST])
    good = issue_embed_token(
        settings.secret,
        tenant_id=tenant.tenant_id,
        user_id=tenant.user_ids[Role.OWNER],
        origin=HOST,
        ttl_seconds=60,
    )
    expired = issue_embed_token(
        settings.secret,
        tenant_id=tenant.tenant_id,
        user_id=tenant.user_ids[Role.OWNER],
        origin=HOST,
        ttl_seconds=-5,
    )
    wrong_key = issue_embed_token(
        b"another-secret",
        tenant_id=tenant.tenant_id,
        user_id=tenant.user_ids[Role.OWNER],
        origin=HOST,
        ttl_seconds=60,
    )
    now = int(time.time())
    # Signed with tenant A's key but claiming a user of tenant B.
    cross = _encode(
        derive_key(settings.secret, "embed", tenant.tenant_id),
        {
            "aud": EMBED_AUDIENCE,
            "sub": other_tenant.user_ids[Role.OWNER],
            "tid": tenant.tenant_id,
            "origin": HOST,
            "exp": now + 60,
        },
    )
    # Claims tenant B but signed with tenant A's key.
    swapped = _encode(
        derive_key(settings.secret, "embed", tenant.tenant_id),
        {
            "aud": EMBED_AUDIENCE,
            "sub": other_tenant.user_ids[Role.OWNER],
            "tid": other_tenant.tenant_id,
            "origin": HOST,
            "exp": now + 60,
        },
    )
    wrong_aud = _encode(
        derive_key(settings.secret, "embed", tenant.tenant_id),
        {
            "aud": "something-else",
            "sub": tenant.user_ids[Role.OWNER],
            "tid": tenant.tenant_id,
            "origin": HOST,
            "exp": now + 60,
        },
    )
    head, payload, _sig = good.split(".")
    none_alg = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + payload + "."
    assert (
        client.get("/api/me", headers={"Authorization": f"Bearer {good}", "Origin": HOST}).status_code == 200
    )
    for bad in (expired, wrong_key, cross, swapped, wrong_aud, none_alg, f"{head}.{payload}.AAAA"):
        response = client.get("/api/me", headers={"Authorization": f"Bearer {bad}", "Origin": HOST})
        assert response.status_code == 401, bad
        assert client.get("/embed", params={"token": bad}).status_code == 401


def test_cors_preflight_follows_allowed_origins(client: TestClient, tenant: TenantKeys) -> None:
    preflight = {
        "Origin": HOST,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    assert client.options("/api/chat", headers=preflight).status_code == 403
    _allow(client, tenant, [HOST])
    ok = client.options("/api/chat", headers=preflight)
    assert ok.status_code == 204 and ok.headers["access-control-allow-origin"] == HOST
    simple = client.get("/api/me", headers=tenant.headers(Origin=HOST))
    assert simple.headers["access-control-allow-origin"] == HOST
    evil = client.get("/api/me", headers=tenant.headers(Origin="http://evil.example"))
    assert "access-control-allow-origin" not in evil.headers


def test_origin_validation(client: TestClient, tenant: TenantKeys) -> None:
    for bad in (["javascript:alert(1)"], ["http://x.example/path"], ["not a url"]):
        r = client.put("/api/tenant/allowed-origins", json={"allowed_origins": bad}, headers=tenant.headers())
        assert r.status_code == 422


def test_console_shell_is_not_frameable(client: TestClient) -> None:
    page = client.get("/console")
    assert page.status_code == 200 and "composer" in page.text
    assert page.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert client.get("/static/widget.js").status_code == 200


def test_qbo_connect_requires_admin_and_callback_refuses_forged_state(
    client: TestClient, tenant: TenantKeys
) -> None:
    status = client.get("/api/integrations/quickbooks/status", headers=tenant.headers(Role.TECHNICIAN)).json()
    assert status == {**status, "connected": False, "status": "disconnected"}
    assert (
        client.post("/api/integrations/quickbooks/connect", headers=tenant.headers(Role.OFFICE)).status_code
        == 403
    )
    started = client.post("/api/integrations/quickbooks/connect", headers=tenant.headers(Role.OWNER))
    assert started.status_code == 200
    url = started.json()["authorize_url"]
    query = parse_qs(urlsplit(url).query)
    assert query["redirect_uri"] == ["http://testserver/api/integrations/quickbooks/callback"]
    state = query["state"][0]
    forged = state[:-3] + ("abc" if not state.endswith("abc") else "xyz")
    for bad in (forged, "garbage", ""):
        r = client.get(
            "/api/integrations/quickbooks/callback",
            params={"state": bad, "code": "c", "realmId": "1"},
            follow_redirects=False,
        )
        assert r.status_code == 400, (bad, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "oauth_state_invalid"
    # A browser landing here gets the error page instead.
    page = client.get(
        "/api/integrations/quickbooks/callback",
        params={"state": "garbage", "code": "c", "realmId": "1"},
        headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    )
    assert page.status_code == 400 and "QuickBooks was not connected" in page.text
