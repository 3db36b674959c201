"""Connecting a tenant to QuickBooks: environments, the signed single-use ``state``, PKCE and the token endpoint.

The consent flow is the authorization-code grant of reference §8: we hand the browser an authorize URL whose
``state`` is HMAC-signed, bound to the tenant and user, expires, and is recorded in ``qbo_oauth_states`` so
the callback can consume it exactly once. URL and PKCE helpers come from authlib; requests go through the
injected ``httpx.AsyncClient`` so tests and the emulator see every call.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from domain.db import utcnow
from domain.errors import AppError
from domain.models.oauth_state import OAuthState
from integrations.quickbooks.connection_audit import record_refused_connect
from integrations.quickbooks.errors import QboAuthError, QboError, QboNetworkError, QboUnavailable
from integrations.quickbooks.oauth_realm import RealmProof
from integrations.quickbooks.oauth_state import OAuthStateError, StateCodec
from integrations.quickbooks.retry import RetryPolicy

if TYPE_CHECKING:
    from integrations.quickbooks.tokens import ConnectionInfo, TokenStore

ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
Clock = Callable[[], datetime]


class QboEnvironment(BaseModel):
    """Where the OAuth endpoints and the Accounting API live for one kind of QBO company."""

    model_config = ConfigDict(frozen=True)

    name: str
    authorize_url: str
    token_url: str
    revoke_url: str
    api_base_url: str
    userinfo_url: str | None = None
    use_pkce: bool = False

    @classmethod
    def production(cls) -> QboEnvironment:
        # Intuit's documented endpoints (reference §1.1, §8.1); authorize and token are shared with sandbox.
        return cls(
            name="production",
            authorize_url="https://appcenter.intuit.com/connect/oauth2",
            token_url="https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
            revoke_url="https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
            api_base_url="https://quickbooks.api.intuit.com/v3",
            userinfo_url="https://accounts.platform.intuit.com/v1/openid_connect/userinfo",
        )

    @classmethod
    def sandbox(cls) -> QboEnvironment:
        return cls(
            name="sandbox",
            authorize_url="https://appcenter.intuit.com/connect/oauth2",
            token_url="https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
            revoke_url="https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
            api_base_url="https://sandbox-quickbooks.api.intuit.com/v3",
            userinfo_url="https://sandbox-accounts.platform.intuit.com/v1/openid_connect/userinfo",
        )

    @classmethod
    def custom(cls, base_url: str, *, use_pkce: bool = True) -> QboEnvironment:
        """Our emulator (or any QBO-compatible server) serving OAuth and the API from one base URL."""
        base = base_url.rstrip("/")
        return cls(
            name="custom",
            authorize_url=f"{base}/connect/oauth2",
            token_url=f"{base}/oauth2/v1/tokens/bearer",
            revoke_url=f"{base}/oauth2/v1/tokens/revoke",
            api_base_url=f"{base}/v3",
            use_pkce=use_pkce,
        )

    @classmethod
    def named(cls, name: str, base_url: str | None = None) -> QboEnvironment:
        if name == "production":
            return cls.production()
        if name == "sandbox":
            return cls.sandbox()
        if name == "custom" and base_url:
            return cls.custom(base_url)
        raise ValueError(f"unknown QBO environment {name!r} (custom needs a base URL)")


class OAuthSettings(BaseModel):
    client_id: str
    client_secret: SecretStr
    redirect_uri: str
    environment: QboEnvironment = Field(default_factory=QboEnvironment.production)
    scopes: list[str] = Field(default_factory=lambda: [ACCOUNTING_SCOPE])
    state_secret: SecretStr
    state_ttl_seconds: int = Field(default=600, ge=30)
    # None: the environment decides (on for our emulator; Intuit does not document PKCE, reference §13).
    use_pkce: bool | None = None

    @property
    def pkce(self) -> bool:
        return self.environment.use_pkce if self.use_pkce is None else self.use_pkce


class OAuthGrantError(QboAuthError):
    """The token endpoint refused the grant (``invalid_grant``: revoked/expired refresh token, reused code)."""

    code = "qbo_invalid_grant"

    def __init__(self, message: str, *, oauth_error: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.oauth_error = oauth_error
        self.context["oauth_error"] = oauth_error


@dataclass(frozen=True, slots=True)
class TokenResponse:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    refresh_hard_expires_in: int | None
    id_token: str | None = None

    @classmethod
    def parse(cls, data: dict[str, Any]) -> TokenResponse:
        try:
            hard = data.get("x_refresh_token_hard_expires_in")
            return cls(
                access_token=str(data["access_token"]),
                refresh_token=str(data["refresh_token"]),
                expires_in=int(data.get("expires_in", 3600)),
                refresh_expires_in=int(data.get("x_refresh_token_expires_in", 8_726_400)),
                refresh_hard_expires_in=int(hard) if hard is not None else None,
                id_token=data.get("id_token"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise QboAuthError(f"token endpoint answer is missing {exc}") from exc


class OAuthTokenEndpoint:
    """Intuit's token and revoke endpoints: Basic client auth, form-encoded grants, JSON revoke body."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: OAuthSettings,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self._http = http
        self._settings = settings
        self._retry = retry or RetryPolicy(max_attempts=3)
        self._sleep = sleep

    @property
    def http(self) -> httpx.AsyncClient:
        return self._http

    def _auth_header(self) -> str:
        raw = f"{self._settings.client_id}:{self._settings.client_secret.get_secret_value()}"
        return "Basic " + base64.b64encode(raw.encode()).decode()

    async def exchange_code(self, code: str, *, code_verifier: str | None = None) -> TokenResponse:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self._settings.redirect_uri}
        if code_verifier:
            form["code_verifier"] = code_verifier
        return TokenResponse.parse(await self._post_token(form))

    async def refresh(self, refresh_token: str) -> TokenResponse:
        return TokenResponse.parse(
            await self._post_token({"grant_type": "refresh_token", "refresh_token": refresh_token})
        )

    async def revoke(self, token: str) -> None:
        await self._send(
            self._settings.environment.revoke_url,
            headers={"Content-Type": "application/json"},
            content=json.dumps({"token": token}).encode(),
        )

    async def _post_token(self, form: dict[str, str]) -> dict[str, Any]:
        response = await self._send(
            self._settings.environment.token_url,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                # Ask for the 5-year hard expiry so the UI can warn before a reconnect is forced.
                "x-include-refresh-token-hard-expires-in": "true",
            },
            content=urlencode(form).encode(),
        )
        try:
            data = response.json()
        except ValueError as exc:
            raise QboAuthError("token endpoint answered with something that is not JSON") from exc
        if not isinstance(data, dict):
            raise QboAuthError("token endpoint answer is not a JSON object")
        return data

    async def _send(self, url: str, *, headers: dict[str, str], content: bytes) -> httpx.Response:
        headers = {**headers, "Authorization": self._auth_header(), "Accept": "application/json"}
        attempt = 1
        while True:
            error: QboError
            try:
                response = await self._http.post(url, headers=headers, content=content)
            except httpx.TransportError as exc:
                error = QboNetworkError(f"could not reach the QuickBooks token service: {exc}")
            else:
                if response.status_code < 400:
                    return response
                if response.status_code < 500:
                    raise _grant_error(response)
                error = QboUnavailable(f"QuickBooks token service answered {response.status_code}")
            # Retrying a refresh is safe: Intuit keeps the previous refresh token valid for about a day.
            if not self._retry.should_retry(error, attempt):
                raise error
            await self._sleep(self._retry.delay(error, attempt))
            attempt += 1


def _grant_error(response: httpx.Response) -> QboAuthError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    oauth_error = str(body.get("error") or "") if isinstance(body, dict) else ""
    description = str(body.get("error_description") or "") if isinstance(body, dict) else ""
    message = f"QuickBooks refused the token request: {oauth_error or response.status_code}"
    if description:
        message += f" ({description})"
    if oauth_error:
        return OAuthGrantError(message, oauth_error=oauth_error, http_status=response.status_code)
    return QboAuthError(message, http_status=response.status_code)


def _aware(value: datetime) -> datetime:
    # SQLite hands datetimes back without a zone; everything we store is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class QboOAuthFlow:
    """Start a consent (authorize URL) and finish it (callback → tokens stored encrypted)."""

    def __init__(
        self,
        settings: OAuthSettings,
        endpoint: OAuthTokenEndpoint,
        sessions: sessionmaker[Session],
        store: TokenStore,
        *,
        clock: Clock = utcnow,
        proof: RealmProof | None = None,
    ) -> None:
        self.settings = settings
        self._endpoint = endpoint
        self._sessions = sessions
        self._store = store
        self._clock = clock
        self._codec = StateCodec(settings.state_secret.get_secret_value())
        self._proof = proof or RealmProof(endpoint.http, settings.environment.api_base_url)

    async def authorization_url(self, tenant_id: str, user_id: str | None) -> str:
        now = self._clock()
        expires_at = now + timedelta(seconds=self.settings.state_ttl_seconds)
        verifier = generate_token(64) if self.settings.pkce else None
        nonce = await asyncio.to_thread(self._record_state, tenant_id, user_id, verifier, expires_at)
        state = self._codec.encode(nonce=nonce, tenant_id=tenant_id, user_id=user_id, expires_at=expires_at)
        extra: dict[str, str] = {}
        if verifier:
            extra = {"code_challenge": create_s256_code_challenge(verifier), "code_challenge_method": "S256"}
        return str(
            prepare_grant_uri(
                self.settings.environment.authorize_url,
                self.settings.client_id,
                "code",
                redirect_uri=self.settings.redirect_uri,
                scope=" ".join(self.settings.scopes),
                state=state,
                **extra,
            )
        )

    async def complete(
        self,
        *,
        state: str,
        code: str | None,
        realm_id: str | None,
        error: str | None = None,
        tenant_id: str | None = None,
        user_id: str | None = None,
    ) -> ConnectionInfo:
        """Handle the redirect back from Intuit. ``tenant_id``/``user_id``: who is signed in, when known.

        The company stored is the one the token exchange proves (:mod:`oauth_realm`), never ``realm_id`` on its
        own word; a consent refused after its state was verified leaves an audit row and stores nothing.
        """
        payload = self._codec.decode(state, now=self._clock())
        if tenant_id is not None and payload["t"] != tenant_id:
            raise OAuthStateError("this connection link was issued to another company")
        if user_id is not None and payload["u"] not in (None, user_id):
            raise OAuthStateError("this connection link was issued to another user")
        consent_tenant, consent_user = str(payload["t"]), payload.get("u")
        verifier = await asyncio.to_thread(self._consume_state, str(payload["n"]), consent_tenant)
        try:
            if error:
                raise QboAuthError(f"QuickBooks connection was not granted: {error}")
            if not code:
                raise OAuthStateError("the QuickBooks callback is missing the code")
            tokens = await self._endpoint.exchange_code(code, code_verifier=verifier)
            realm = await self._proof.realm(
                claimed=realm_id, access_token=tokens.access_token, id_token=tokens.id_token
            )
            return await self._store.save_new(
                tenant_id=consent_tenant,
                realm_id=realm,
                tokens=tokens,
                environment=self.settings.environment.name,
                user_id=consent_user,
            )
        except AppError as exc:
            await asyncio.to_thread(record_refused_connect, self._sessions, consent_tenant, consent_user, exc)
            raise

    def _record_state(
        self, tenant_id: str, user_id: str | None, verifier: str | None, expires_at: datetime
    ) -> str:
        with self._sessions() as session, session.begin():
            row = OAuthState(
                tenant_id=tenant_id,
                user_id=user_id,
                redirect_uri=self.settings.redirect_uri,
                code_verifier=verifier,
                expires_at=expires_at,
            )
            session.add(row)
            session.flush()
            return row.id

    def _consume_state(self, nonce: str, tenant_id: str) -> str | None:
        """Mark the state used in one conditional UPDATE, so two racing callbacks cannot both win."""
        now = self._clock()
        with self._sessions() as session, session.begin():
            result = session.execute(
                update(OAuthState)
                .where(
                    OAuthState.id == nonce, OAuthState.tenant_id == tenant_id, OAuthState.used_at.is_(None)
                )
                .values(used_at=now)
            )
            if getattr(result, "rowcount", 0) != 1:
                raise OAuthStateError("this connection link was already used; start connecting again")
            row = session.get(OAuthState, nonce)
            assert row is not None  # the UPDATE above just matched it
            if _aware(row.expires_at) < now:
                raise OAuthStateError("the connection link has expired; start connecting again")
            return row.code_verifier


__all__ = [
    "ACCOUNTING_SCOPE",
    "OAuthGrantError",
    "OAuthSettings",
    "OAuthStateError",
    "OAuthTokenEndpoint",
    "QboEnvironment",
    "QboOAuthFlow",
    "StateCodec",
    "TokenResponse",
]
