"""OAuth state, code exchange and the encrypted token store against a respx token endpoint, on both databases."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from domain.clock import ManualClock
from domain.models import ConnectionStatus, QboConnection
from integrations.quickbooks.api.client import QboClient
from integrations.quickbooks.api.errors import QboAuthError
from integrations.quickbooks.api.retry import RetryPolicy
from integrations.quickbooks.oauth.consent import QboOAuthFlow
from integrations.quickbooks.oauth.crypto import TokenCipher, TokenDecryptError, generate_key
from integrations.quickbooks.oauth.endpoint import OAuthSettings, OAuthTokenEndpoint, QboEnvironment
from integrations.quickbooks.oauth.state import OAuthStateError, StateCodec
from integrations.quickbooks.oauth.token_store import QboNotConnected, TokenStore

BASE = "https://idp.test"
ENV = QboEnvironment.custom(BASE)
TOKEN_URL = ENV.token_url
REVOKE_URL = ENV.revoke_url


class TokenServer:
    """A respx side effect that issues numbered tokens, rotating the refresh token each time."""

    def __init__(self) -> None:
        self.n = 0
        self.requests: list[dict[str, list[str]]] = []
        self.valid_refresh: set[str] = set()
        self.delay = 0.0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        self.requests.append(form)
        if self.delay:
            await asyncio.sleep(self.delay)
        if form["grant_type"] == ["refresh_token"] and form["refresh_token"][0] not in self.valid_refresh:
            return httpx.Response(
                400, json={"error": "invalid_grant", "error_description": "Incorrect refresh token"}
            )
        self.n += 1
        self.valid_refresh.add(f"refresh-{self.n}")
        return httpx.Response(
            200,
            json={
                "token_type": "bearer",
                "access_token": f"access-{self.n}",
                "refresh_token": f"refresh-{self.n}",
                "expires_in": 3600,
                "x_refresh_token_expires_in": 8_726_400,
                "x_refresh_token_hard_expires_in": 86400 * 400,
            },
        )


@pytest.fixture()
def settings() -> OAuthSettings:
    return OAuthSettings(
        client_id="cid",
        client_secret="csecret",
        redirect_uri="http://127.0.0.1:8000/oauth/callback",
        environment=ENV,
        state_secret="s" * 32,
    )


@pytest.fixture()
async def parts(committing_sessionmaker: sessionmaker[Session], settings: OAuthSettings) -> Any:
    clock = ManualClock(datetime(2026, 3, 18, 12, 0, tzinfo=UTC))
    cipher = TokenCipher(generate_key())
    async with httpx.AsyncClient() as http:
        endpoint = OAuthTokenEndpoint(http, settings, retry=RetryPolicy(max_attempts=1))
        store = TokenStore(committing_sessionmaker, cipher, endpoint, clock=clock)
        flow = QboOAuthFlow(settings, endpoint, committing_sessionmaker, store, clock=clock)
        yield flow, store, clock, cipher


def mock_company() -> None:
    """The company read that proves the consent's realm (real HTTP to the emulator is in test_oauth_realm)."""
    respx.post(url__regex=rf"{ENV.api_base_url}/company/\d+/query").respond(
        200, json={"QueryResponse": {"CompanyInfo": [{"Id": "1", "CompanyName": "Northwind"}]}}
    )


async def connect(flow: QboOAuthFlow, tenant_id: str, server: TokenServer) -> str:
    respx.post(TOKEN_URL).mock(side_effect=server)
    mock_company()
    url = await flow.authorization_url(tenant_id, "user-1")
    state = parse_qs(urlsplit(url).query)["state"][0]
    await flow.complete(state=state, code="auth-code", realm_id="9341455130000001")
    return url


def test_state_codec_rejects_tampering_and_expiry() -> None:
    codec = StateCodec("k" * 32)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    state = codec.encode(nonce="n1", tenant_id="t1", user_id="u1", expires_at=now + timedelta(minutes=10))
    assert codec.decode(state, now=now)["t"] == "t1"
    _payload, sig = state.split(".")
    forged = base64.urlsafe_b64encode(json.dumps({"n": "n1", "t": "t2", "u": "u1", "e": 2**40}).encode())
    with pytest.raises(OAuthStateError):
        codec.decode(f"{forged.decode().rstrip('=')}.{sig}", now=now)
    with pytest.raises(OAuthStateError):
        StateCodec("x" * 32).decode(state, now=now)
    with pytest.raises(OAuthStateError):
        codec.decode(state, now=now + timedelta(minutes=11))


def test_environments() -> None:
    prod = QboEnvironment.production()
    assert prod.authorize_url == "https://appcenter.intuit.com/connect/oauth2"
    assert prod.token_url == "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
    assert prod.api_base_url == "https://quickbooks.api.intuit.com/v3"
    assert QboEnvironment.sandbox().api_base_url == "https://sandbox-quickbooks.api.intuit.com/v3"
    assert not prod.use_pkce and ENV.use_pkce
    assert QboEnvironment.named("custom", "http://x:1/").token_url == "http://x:1/oauth2/v1/tokens/bearer"


def test_cipher_rotation_and_wrong_key() -> None:
    old, new = generate_key(), generate_key()
    sealed = TokenCipher(old).encrypt("secret")
    assert TokenCipher([new, old]).decrypt(sealed) == "secret"
    with pytest.raises(TokenDecryptError):
        TokenCipher(new).decrypt(sealed)


@respx.mock
async def test_authorize_and_callback_store_encrypted_tokens(
    parts: Any, tenant_id: str, committing_sessionmaker: sessionmaker[Session]
) -> None:
    flow, store, _clock, cipher = parts
    server = TokenServer()
    url = await connect(flow, tenant_id, server)
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{BASE}/connect/oauth2?")
    assert query["client_id"] == ["cid"] and query["response_type"] == ["code"]
    assert query["scope"] == ["com.intuit.quickbooks.accounting"]
    assert query["code_challenge_method"] == ["S256"]
    sent = server.requests[0]
    assert sent["grant_type"] == ["authorization_code"] and sent["code"] == ["auth-code"]
    assert sent["redirect_uri"] == ["http://127.0.0.1:8000/oauth/callback"]
    assert create_s256_code_challenge(sent["code_verifier"][0]) == query["code_challenge"][0]
    request = next(c.request for c in respx.calls if c.request.url == TOKEN_URL)
    assert respx.calls.last.request.headers["Authorization"] == "Bearer access-1"  # the realm's proof
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"cid:csecret").decode()
    with committing_sessionmaker() as s:
        row = s.scalars(select(QboConnection).where(QboConnection.tenant_id == tenant_id)).one()
        assert "access-1" not in row.access_token_enc and "refresh-1" not in row.refresh_token_enc
        assert cipher.decrypt(row.access_token_enc) == "access-1"
        assert cipher.decrypt(row.refresh_token_enc) == "refresh-1"
        assert row.realm_id == "9341455130000001" and row.status == ConnectionStatus.CONNECTED
    info = await store.info(tenant_id)
    assert info.refresh_days_left == 101  # 8 726 400 s
    assert info.hard_expiry_days_left == 400


@respx.mock
async def test_state_is_single_use_and_bound_to_tenant(parts: Any, tenant_id: str) -> None:
    flow, *_ = parts
    respx.post(TOKEN_URL).mock(side_effect=TokenServer())
    mock_company()
    url = await flow.authorization_url(tenant_id, "user-1")
    state = parse_qs(urlsplit(url).query)["state"][0]
    with pytest.raises(OAuthStateError):
        await flow.complete(state=state, code="c", realm_id="123", tenant_id="someone-else")
    await flow.complete(state=state, code="c", realm_id="123", tenant_id=tenant_id, user_id="user-1")
    with pytest.raises(OAuthStateError, match="already used"):
        await flow.complete(state=state, code="c", realm_id="123")


@respx.mock
async def test_expired_state_and_denied_consent(parts: Any, tenant_id: str) -> None:
    flow, _store, clock, _ = parts
    url = await flow.authorization_url(tenant_id, None)
    state = parse_qs(urlsplit(url).query)["state"][0]
    clock.advance(timedelta(minutes=11))
    with pytest.raises(OAuthStateError, match="expired"):
        await flow.complete(state=state, code="c", realm_id="123")
    url = await flow.authorization_url(tenant_id, None)
    state = parse_qs(urlsplit(url).query)["state"][0]
    with pytest.raises(QboAuthError, match="access_denied"):
        await flow.complete(state=state, code=None, realm_id=None, error="access_denied")


@respx.mock
async def test_refresh_five_minutes_before_expiry_rotates_and_persists(parts: Any, tenant_id: str) -> None:
    flow, store, clock, _ = parts
    server = TokenServer()
    await connect(flow, tenant_id, server)
    provider = store.provider(tenant_id)
    assert await provider() == "access-1"
    clock.advance(timedelta(minutes=54))
    assert await provider() == "access-1"  # 6 minutes left: still fine
    clock.advance(timedelta(minutes=2))
    assert await provider() == "access-2"  # 4 minutes left: refreshed
    assert server.requests[-1]["refresh_token"] == ["refresh-1"]
    clock.advance(timedelta(minutes=56))
    assert await provider() == "access-3"
    assert server.requests[-1]["refresh_token"] == ["refresh-2"]  # the rotated token was stored and used


@respx.mock
async def test_concurrent_callers_share_one_refresh(parts: Any, tenant_id: str) -> None:
    flow, store, clock, _ = parts
    server = TokenServer()
    await connect(flow, tenant_id, server)
    server.delay = 0.05
    clock.advance(timedelta(minutes=58))
    tokens = await asyncio.gather(*(store.provider(tenant_id)() for _ in range(10)))
    assert set(tokens) == {"access-2"}
    assert len(server.requests) == 2  # the code exchange and exactly one refresh
    assert store.refresh_count == 1


@respx.mock
async def test_forced_refreshes_after_401_coalesce(parts: Any, tenant_id: str) -> None:
    flow, store, _clock, _ = parts
    server = TokenServer()
    await connect(flow, tenant_id, server)
    providers = [store.provider(tenant_id) for _ in range(5)]
    assert {await p() for p in providers} == {"access-1"}
    forced = await asyncio.gather(*(p(force_refresh=True) for p in providers))
    assert set(forced) == {"access-2"}
    assert store.refresh_count == 1


@respx.mock
async def test_invalid_grant_marks_needs_reauth(parts: Any, tenant_id: str) -> None:
    flow, store, clock, _ = parts
    server = TokenServer()
    await connect(flow, tenant_id, server)
    server.valid_refresh.clear()  # revoked at Intuit
    clock.advance(timedelta(hours=2))
    with pytest.raises(QboAuthError, match="reconnect"):
        await store.provider(tenant_id)()
    info = await store.info(tenant_id)
    assert info.status is ConnectionStatus.NEEDS_REAUTH
    assert info.last_error and "reconnect" in info.last_error
    calls = len(server.requests)
    with pytest.raises(QboAuthError):
        await store.provider(tenant_id)()
    assert len(server.requests) == calls  # no further refresh attempts once the user must reconnect
    # Reconnecting brings it back.
    await connect(flow, tenant_id, server)
    assert (await store.info(tenant_id)).status is ConnectionStatus.CONNECTED


@respx.mock
async def test_disconnect_revokes_and_clears(
    parts: Any, tenant_id: str, committing_sessionmaker: sessionmaker[Session]
) -> None:
    flow, store, _clock, _ = parts
    await connect(flow, tenant_id, TokenServer())
    revoke = respx.post(REVOKE_URL).respond(200)
    info = await store.disconnect(tenant_id)
    assert info.status is ConnectionStatus.DISCONNECTED and info.refresh_days_left is None
    assert json.loads(revoke.calls.last.request.content) == {"token": "refresh-1"}
    assert revoke.calls.last.request.headers["Content-Type"] == "application/json"
    with committing_sessionmaker() as s:
        row = s.scalars(select(QboConnection).where(QboConnection.tenant_id == tenant_id)).one()
        assert row.access_token_enc == "" and row.refresh_token_enc == ""
    with pytest.raises(QboNotConnected):
        await store.provider(tenant_id)()


async def test_unknown_tenant_is_not_connected(parts: Any) -> None:
    _flow, store, *_ = parts
    with pytest.raises(QboNotConnected):
        await store.provider("nobody")()


@respx.mock
async def test_client_401_forces_one_refresh_through_the_store(parts: Any, tenant_id: str) -> None:
    flow, store, _clock, _ = parts
    server = TokenServer()
    await connect(flow, tenant_id, server)
    api = f"{BASE}/v3/company/9341455130000001/customer/1"

    refused = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal refused
        # QBO revoked access-1 early (it happens); anything newer is accepted.
        if request.headers["Authorization"] == "Bearer access-1":
            refused += 1
            return httpx.Response(401, json={"fault": {"error": [{"code": "3200", "message": "expired"}]}})
        return httpx.Response(200, json={"Customer": {"Id": "1"}})

    route = respx.get(api).mock(side_effect=answer)
    async with httpx.AsyncClient() as http:
        clients = [QboClient(http, store.provider(tenant_id), "9341455130000001", BASE) for _ in range(4)]
        results = await asyncio.gather(*(c.read("Customer", "1") for c in clients))
    assert results == [{"Id": "1"}] * 4
    assert store.refresh_count == 1  # however many callers saw the 401, one refresh
    assert [r["grant_type"] for r in server.requests] == [["authorization_code"], ["refresh_token"]]
    # Each caller that was refused retried exactly once; a caller that started after the refresh was not refused.
    assert refused >= 1 and route.call_count == 4 + refused
