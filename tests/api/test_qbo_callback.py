"""The QuickBooks callback route against the emulator over loopback: a forged realmId, a taken realm, the audit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.qbo_wiring import callback_url
from domain.models import Role
from integrations.quickbooks.sandbox.app import create_sandbox_app
from integrations.quickbooks.sandbox.config import OAuthClient, RealmSeed, SandboxConfig
from integrations.quickbooks.sandbox.server import run_sandbox_server
from tests.api.conftest import TenantKeys, make_settings, seed_tenant

OTHER_REALM = "9130000000000888"


@pytest.fixture()
def sandbox_url() -> Iterator[str]:
    base = make_settings()
    client = OAuthClient(
        client_id=base.qbo_client_id,
        client_secret=base.qbo_client_secret.get_secret_value(),
        redirect_uris=[callback_url(base)],
    )
    realms = [RealmSeed(), RealmSeed(realm_id=OTHER_REALM, source="empty", company_name="Not Yours")]
    with run_sandbox_server(create_sandbox_app(SandboxConfig(clients=[client], realms=realms))) as url:
        yield url


@pytest.fixture()
def qbo_app(api_engine: Engine, sandbox_url: str) -> FastAPI:
    async def no_agent(_state: Any) -> None:
        return None

    settings = make_settings(qbo_environment="custom", qbo_oauth_base=sandbox_url)
    return create_app(settings, engine=api_engine, agent_factory=no_agent)


@pytest.fixture()
def qbo(qbo_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(qbo_app, raise_server_exceptions=False) as test_client:
        yield test_client


def consent(client: TestClient, tenant: TenantKeys) -> dict[str, str]:
    """Start connecting as the owner; the emulator's consent redirects back with code, state and realmId."""
    url = client.post("/api/integrations/quickbooks/connect", headers=tenant.headers()).json()[
        "authorize_url"
    ]
    answer = httpx.get(url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    return {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}


def callback(client: TestClient, params: dict[str, str]) -> httpx.Response:
    return client.get("/api/integrations/quickbooks/callback", params=params, follow_redirects=False)


def actions(client: TestClient, tenant: TenantKeys) -> list[dict[str, Any]]:
    rows = client.get("/api/audit", params={"entity": "qbo_connection"}, headers=tenant.headers()).json()[
        "items"
    ]
    assert client.get("/api/audit/verify", headers=tenant.headers()).json()["ok"] is True
    return list(rows)


def status(client: TestClient, tenant: TenantKeys) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/api/integrations/quickbooks/status", headers=tenant.headers()).json()
    return body


def test_a_forged_realm_id_is_refused_with_nothing_stored(qbo: TestClient, tenant: TenantKeys) -> None:
    params = consent(qbo, tenant)
    refused = callback(qbo, params | {"realmId": OTHER_REALM})
    assert refused.status_code == 403 and refused.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert refused.json()["code"] == "qbo_realm_mismatch"
    assert status(qbo, tenant)["connected"] is False
    rows = actions(qbo, tenant)
    assert [r["action"] for r in rows] == ["qbo.connect_refused"]
    assert rows[0]["detail"]["claimed"] == OTHER_REALM and rows[0]["actor"] == "Owner User (owner)"
    # The genuine consent still connects the company the code was issued for.
    ok = callback(qbo, consent(qbo, tenant))
    assert ok.status_code == 303 and status(qbo, tenant)["realm_id"] == params["realmId"]


def test_a_realm_of_another_tenant_is_409_then_disconnect_is_audited(
    qbo: TestClient, tenant: TenantKeys, api_engine: Engine
) -> None:
    rival = seed_tenant(api_engine, "Rival Heating", make_settings())
    assert callback(qbo, consent(qbo, tenant)).status_code == 303
    taken = callback(qbo, consent(qbo, rival))
    assert taken.status_code == 409 and taken.headers["content-type"].startswith("application/problem+json")
    assert taken.json()["code"] == "qbo_realm_taken" and "already connected" in taken.json()["detail"]
    assert status(qbo, rival)["connected"] is False
    assert [r["action"] for r in actions(qbo, rival)] == ["qbo.connect_refused"]
    assert (
        qbo.post("/api/integrations/quickbooks/disconnect", headers=tenant.headers(Role.ADMIN)).status_code
        == 200
    )
    rows = actions(qbo, tenant)
    assert [r["action"] for r in rows] == ["qbo.connected", "qbo.disconnected"]
    assert rows[1]["actor"] == "Admin User (admin)" and rows[1]["after"]["status"] == "disconnected"
