"""The company a consent connects is the one the token exchange proves, over real HTTP to the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from domain.models import AuditLog, ConnectionStatus, QboConnection, Role, Tenant
from domain.services.audit import verify_chain
from domain.services.tenants import add_user
from integrations.quickbooks.crypto import TokenCipher, generate_key
from integrations.quickbooks.oauth import OAuthSettings, OAuthTokenEndpoint, QboEnvironment, QboOAuthFlow
from integrations.quickbooks.oauth_realm import RealmNotProven, id_token_realm
from integrations.quickbooks.retry import RetryPolicy
from integrations.quickbooks.sandbox.app import create_sandbox_app
from integrations.quickbooks.sandbox.config import OAuthClient, RealmSeed, SandboxConfig
from integrations.quickbooks.sandbox.server import run_sandbox_server
from integrations.quickbooks.tokens import RealmTaken, TokenStore

REDIRECT = "http://127.0.0.1:8000/oauth/callback"
CLIENT = OAuthClient(client_id="app-1", client_secret="app-secret", redirect_uris=[REDIRECT])
OTHER_REALM = "9130000000000777"


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    # Two companies: the consent (auto-approved) grants the first; the second is someone else's.
    config = SandboxConfig(
        clients=[CLIENT],
        realms=[RealmSeed(), RealmSeed(realm_id=OTHER_REALM, source="empty", company_name="Someone Else")],
    )
    with run_sandbox_server(create_sandbox_app(config)) as url:
        yield url


@pytest.fixture()
def tenants(committing_sessionmaker: sessionmaker[Session]) -> Iterator[list[tuple[str, str]]]:
    """Two tenants, each with an owner: (tenant_id, owner user id)."""
    made: list[tuple[str, str]] = []
    with committing_sessionmaker() as s, s.begin():
        for name in ("Realm Tenant A", "Realm Tenant B"):
            tenant = Tenant(name=name)
            s.add(tenant)
            s.flush()
            user = add_user(
                s, tenant, email=f"owner@{tenant.id[:8]}.example", name="Olive Owner", role=Role.OWNER
            )
            made.append((tenant.id, user.id))
    yield made
    with committing_sessionmaker() as s, s.begin():
        s.execute(delete(Tenant).where(Tenant.id.in_([t for t, _ in made])))


def oauth_settings(base: str, *, scopes: list[str] | None = None) -> OAuthSettings:
    extra: dict[str, Any] = {"scopes": scopes} if scopes else {}
    return OAuthSettings(
        client_id=CLIENT.client_id,
        client_secret=CLIENT.client_secret,
        redirect_uri=REDIRECT,
        environment=QboEnvironment.custom(base),
        state_secret="state-secret-for-tests-0123456789",
        **extra,
    )


class Parts:
    def __init__(
        self, http: httpx.AsyncClient, sessions: sessionmaker[Session], settings: OAuthSettings
    ) -> None:
        endpoint = OAuthTokenEndpoint(http, settings, retry=RetryPolicy(max_attempts=1))
        self.http = http
        self.store = TokenStore(sessions, TokenCipher(generate_key()), endpoint)
        self.flow = QboOAuthFlow(settings, endpoint, sessions, self.store)

    async def redirect(self, tenant_id: str, user_id: str) -> dict[str, str]:
        """Walk the consent like the browser: the emulator redirects back with code, state and realmId."""
        answer = await self.http.get(
            await self.flow.authorization_url(tenant_id, user_id), follow_redirects=False
        )
        assert answer.status_code == 302, answer.text
        return {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}

    async def complete(self, params: dict[str, str], realm_id: str | None) -> Any:
        return await self.flow.complete(state=params["state"], code=params.get("code"), realm_id=realm_id)


def connection(sessions: sessionmaker[Session], tenant_id: str) -> QboConnection | None:
    with sessions() as s:
        return s.scalars(select(QboConnection).where(QboConnection.tenant_id == tenant_id)).first()


def audit_rows(sessions: sessionmaker[Session], tenant_id: str) -> list[AuditLog]:
    with sessions() as s:
        assert verify_chain(s, tenant_id).ok
        return list(s.scalars(select(AuditLog).where(AuditLog.tenant_id == tenant_id).order_by(AuditLog.seq)))


async def test_a_realm_the_code_was_not_issued_for_is_refused_and_audited(
    sandbox_url: str, committing_sessionmaker: sessionmaker[Session], tenants: list[tuple[str, str]]
) -> None:
    (tenant_id, user_id), _ = tenants
    async with httpx.AsyncClient() as http:
        parts = Parts(http, committing_sessionmaker, oauth_settings(sandbox_url))
        params = await parts.redirect(tenant_id, user_id)
        assert params["realmId"] != OTHER_REALM
        # A valid state and code, but the callback claims the other company: its CompanyInfo answers 403.
        with pytest.raises(RealmNotProven) as refused:
            await parts.complete(params, OTHER_REALM)
    assert refused.value.status == 403
    assert connection(committing_sessionmaker, tenant_id) is None
    rows = audit_rows(committing_sessionmaker, tenant_id)
    assert [r.action for r in rows] == ["qbo.connect_refused"]
    assert rows[0].detail["reason"] == "qbo_realm_mismatch" and rows[0].detail["claimed"] == OTHER_REALM
    assert rows[0].actor == "Olive Owner (owner)"


async def test_the_id_token_realm_decides_and_a_different_claim_is_refused(
    sandbox_url: str, committing_sessionmaker: sessionmaker[Session], tenants: list[tuple[str, str]]
) -> None:
    (tenant_id, user_id), _ = tenants
    scopes = ["com.intuit.quickbooks.accounting", "openid"]
    async with httpx.AsyncClient() as http:
        parts = Parts(http, committing_sessionmaker, oauth_settings(sandbox_url, scopes=scopes))
        params = await parts.redirect(tenant_id, user_id)
        with pytest.raises(RealmNotProven, match=f"given for QuickBooks company {params['realmId']}, not"):
            await parts.complete(params, OTHER_REALM)
        assert connection(committing_sessionmaker, tenant_id) is None
        # Without a realmId at all, the ID token names the company (and CompanyInfo confirms it).
        params = await parts.redirect(tenant_id, user_id)
        info = await parts.complete(params, None)
    assert info.realm_id == params["realmId"] and info.status is ConnectionStatus.CONNECTED


async def test_a_realm_linked_to_another_tenant_is_a_clear_409(
    sandbox_url: str, committing_sessionmaker: sessionmaker[Session], tenants: list[tuple[str, str]]
) -> None:
    (first, first_user), (second, second_user) = tenants
    async with httpx.AsyncClient() as http:
        parts = Parts(http, committing_sessionmaker, oauth_settings(sandbox_url))
        info = await parts.complete(await parts.redirect(first, first_user), "9341455130000001")
        assert info.status is ConnectionStatus.CONNECTED
        with pytest.raises(RealmTaken) as taken:
            await parts.complete(await parts.redirect(second, second_user), info.realm_id)
    assert taken.value.status == 409 and "already connected to another account" in taken.value.message
    assert connection(committing_sessionmaker, second) is None
    still = connection(committing_sessionmaker, first)
    assert still is not None and still.status == ConnectionStatus.CONNECTED
    assert [r.action for r in audit_rows(committing_sessionmaker, first)] == ["qbo.connected"]
    refused = audit_rows(committing_sessionmaker, second)
    assert [r.action for r in refused] == ["qbo.connect_refused"]
    assert refused[0].detail["reason"] == "qbo_realm_taken"


async def test_losing_the_race_for_a_realm_is_409_not_an_integrity_error(
    sandbox_url: str,
    committing_sessionmaker: sessionmaker[Session],
    tenants: list[tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (first, first_user), (second, second_user) = tenants
    async with httpx.AsyncClient() as http:
        parts = Parts(http, committing_sessionmaker, oauth_settings(sandbox_url))
        params = await parts.redirect(first, first_user)
        await parts.complete(params, params["realmId"])
        # The other tenant's check ran before the first commit: only the unique realm_id stops the write.
        monkeypatch.setattr(TokenStore, "_realm_owner", staticmethod(lambda *_args: None))
        params = await parts.redirect(second, second_user)
        with pytest.raises(RealmTaken):
            await parts.complete(params, params["realmId"])
    assert connection(committing_sessionmaker, second) is None


async def test_connect_and_disconnect_are_audited(
    sandbox_url: str, committing_sessionmaker: sessionmaker[Session], tenants: list[tuple[str, str]]
) -> None:
    (tenant_id, user_id), _ = tenants
    async with httpx.AsyncClient() as http:
        parts = Parts(http, committing_sessionmaker, oauth_settings(sandbox_url))
        params = await parts.redirect(tenant_id, user_id)
        info = await parts.complete(params, params["realmId"])
        await parts.store.disconnect(tenant_id)
    rows = audit_rows(committing_sessionmaker, tenant_id)
    assert [r.action for r in rows] == ["qbo.connected", "qbo.disconnected"]
    assert rows[0].after == {"realm_id": info.realm_id, "environment": "custom", "status": "connected"}
    assert rows[1].before["status"] == "connected" and rows[1].after["status"] == "disconnected"
    assert rows[1].actor == "system"


def test_id_token_realm_reads_the_claim_and_refuses_garbage() -> None:
    assert id_token_realm(None) is None
    assert id_token_realm("e30.eyJyZWFsbWlkIjoiMTIzIn0.sig") == "123"  # {"realmid":"123"}
    assert id_token_realm("e30.e30.sig") is None
    with pytest.raises(RealmNotProven):
        id_token_realm("not-a-jwt")
