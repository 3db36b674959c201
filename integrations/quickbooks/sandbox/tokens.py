"""OAuth 2.0 state of the emulator: authorization codes (with PKCE), access and refresh tokens, revocation.

Lifetimes and the refresh-token rotation follow Intuit: access 1 h, refresh 100 days rolling with a 5-year cap;
a refreshed token gets a new value about once a day and the previous value keeps working for about a day.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from domain.digests import same_secret
from integrations.quickbooks.sandbox import faults
from integrations.quickbooks.sandbox.config import OAuthClient, TokenLifetimes
from integrations.quickbooks.sandbox.wire import SandboxClock

ISSUER = "https://oauth.platform.intuit.com/op/v1"
ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"


class OAuthError(Exception):
    """An RFC 6749 error answer of the token or authorize endpoint."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass
class Grant:
    grant_id: str
    client_id: str
    realm_id: str
    scope: str
    authorized_at: float
    revoked: bool = False


@dataclass
class _Code:
    client_id: str
    realm_id: str
    redirect_uri: str
    scope: str
    challenge: str | None
    expires_at: float
    used: bool = False
    grant_id: str | None = None


@dataclass
class _Access:
    grant_id: str
    expires_at: float


@dataclass
class _Refresh:
    grant_id: str
    issued_at: float
    expires_at: float
    valid_until: float | None = None  # set once superseded by a rotated value


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenStore:
    def __init__(self, clients: list[OAuthClient], lifetimes: TokenLifetimes, clock: SandboxClock) -> None:
        self.clients = {client.client_id: client for client in clients}
        self.lifetimes = lifetimes
        self.clock = clock
        self.grants: dict[str, Grant] = {}
        self.pending: dict[str, dict[str, str]] = {}  # consent screens waiting for a decision
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, _Access] = {}
        self._refresh: dict[str, _Refresh] = {}

    # ---- clients -----------------------------------------------------------------------------------------
    def authenticate_client(self, client_id: str | None, client_secret: str | None) -> OAuthClient:
        client = self.clients.get(client_id or "")
        if client is None or not same_secret(client_secret or "", client.client_secret):
            raise OAuthError("invalid_client", "Client authentication failed", status=401)
        return client

    # ---- authorization codes -----------------------------------------------------------------------------
    def issue_code(
        self, client_id: str, realm_id: str, redirect_uri: str, scope: str, challenge: str | None
    ) -> str:
        code = "AB" + secrets.token_urlsafe(32)
        expires = self.clock.timestamp() + self.lifetimes.auth_code_s
        self._codes[code] = _Code(client_id, realm_id, redirect_uri, scope, challenge, expires)
        return code

    def exchange_code(
        self, client: OAuthClient, code: str, redirect_uri: str | None, verifier: str | None
    ) -> dict[str, Any]:
        record = self._codes.get(code)
        now = self.clock.timestamp()
        if record is None or record.client_id != client.client_id or record.expires_at <= now:
            raise OAuthError("invalid_grant", "Invalid or expired authorization code")
        if record.used:
            # A replayed code revokes what it produced (RFC 6749 §4.1.2).
            if record.grant_id and record.grant_id in self.grants:
                self.grants[record.grant_id].revoked = True
            raise OAuthError("invalid_grant", "Authorization code has already been used")
        if redirect_uri != record.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
        if record.challenge is not None and (
            not verifier or not same_secret(pkce_challenge(verifier), record.challenge)
        ):
            raise OAuthError("invalid_grant", "PKCE code_verifier does not match the code_challenge")
        record.used = True
        grant = Grant(secrets.token_hex(8), client.client_id, record.realm_id, record.scope, now)
        self.grants[grant.grant_id] = grant
        record.grant_id = grant.grant_id
        return self._token_response(grant, self._new_refresh(grant, now), include_hard=False)

    def issue_for(
        self, client_id: str, realm_id: str, scope: str = "com.intuit.quickbooks.accounting"
    ) -> dict[str, Any]:
        """Tokens as if the dance had just completed (for the demo and for tests that are not about OAuth)."""
        now = self.clock.timestamp()
        grant = Grant(secrets.token_hex(8), client_id, realm_id, scope, now)
        self.grants[grant.grant_id] = grant
        return self._token_response(grant, self._new_refresh(grant, now), include_hard=False)

    # ---- refresh -----------------------------------------------------------------------------------------
    def _new_refresh(self, grant: Grant, now: float) -> str:
        token = "RT1" + secrets.token_urlsafe(40)
        self._refresh[token] = _Refresh(grant.grant_id, now, now + self.lifetimes.refresh_s)
        return token

    def refresh(self, client: OAuthClient, token: str, *, include_hard: bool) -> dict[str, Any]:
        record = self._refresh.get(token)
        now = self.clock.timestamp()
        grant = self.grants.get(record.grant_id) if record else None
        if (
            record is None
            or grant is None
            or grant.revoked
            or grant.client_id != client.client_id
            or record.expires_at <= now
            or (record.valid_until is not None and record.valid_until <= now)
            or grant.authorized_at + self.lifetimes.refresh_hard_s <= now
        ):
            raise OAuthError("invalid_grant", "Incorrect or invalid refresh token")
        current = token
        if record.valid_until is None and now - record.issued_at >= self.lifetimes.rotate_refresh_after_s:
            record.valid_until = now + self.lifetimes.old_refresh_grace_s
            current = self._new_refresh(grant, now)
        elif record.valid_until is not None:
            # An older value still inside its grace period: answer with the newest live value.
            current = self._latest_refresh(grant.grant_id) or self._new_refresh(grant, now)
        else:
            record.expires_at = now + self.lifetimes.refresh_s  # the 100-day clock restarts
        return self._token_response(grant, current, include_hard=include_hard)

    def _latest_refresh(self, grant_id: str) -> str | None:
        live = [
            (r.issued_at, t)
            for t, r in self._refresh.items()
            if r.grant_id == grant_id and r.valid_until is None
        ]
        return max(live)[1] if live else None

    def _token_response(self, grant: Grant, refresh_token: str, *, include_hard: bool) -> dict[str, Any]:
        now = self.clock.timestamp()
        access = "eyJ" + secrets.token_urlsafe(48)
        self._access[access] = _Access(grant.grant_id, now + self.lifetimes.access_s)
        refresh = self._refresh[refresh_token]
        body: dict[str, Any] = {
            "token_type": "bearer",
            "expires_in": self.lifetimes.access_s,
            "refresh_token": refresh_token,
            "x_refresh_token_expires_in": max(round(refresh.expires_at - now), 0),
            "access_token": access,
        }
        if include_hard:
            body["x_refresh_token_hard_expires_in"] = max(
                round(grant.authorized_at + self.lifetimes.refresh_hard_s - now), 0
            )
        if "openid" in grant.scope.split():
            body["id_token"] = self._id_token(grant, now)
        return body

    def _id_token(self, grant: Grant, now: float) -> str:
        client = self.clients.get(grant.client_id)
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = {
            "iss": ISSUER,
            "sub": f"sandbox-user-{grant.realm_id}",
            "aud": [grant.client_id],
            "realmid": grant.realm_id,
            "auth_time": int(grant.authorized_at),
            "iat": int(now),
            "exp": int(now) + 3600,
        }
        payload = _b64(json.dumps(claims).encode())
        key = (client.client_secret if client else "").encode()
        signature = _b64(hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        return f"{header}.{payload}.{signature}"

    # ---- revoke / check ----------------------------------------------------------------------------------
    def revoke(self, client: OAuthClient, token: str) -> None:
        """Revoking either token disconnects the app from the company, as Intuit's revoke endpoint does."""
        record: _Access | _Refresh | None = self._refresh.get(token) or self._access.get(token)
        if record is None:
            return
        grant = self.grants.get(record.grant_id)
        if grant is not None and grant.client_id == client.client_id:
            grant.revoked = True

    def check_access(self, authorization: str | None, realm_id: str) -> Grant:
        """The API gateway's bearer check: 401 3200 for a missing/bad/expired token, 403 for another company."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise faults.authentication_failed("Authorization header is missing or is not a Bearer token")
        token = authorization[7:].strip()
        record = self._access.get(token)
        if record is None:
            raise faults.authentication_failed("Malformed bearer token: too short or too long")
        grant = self.grants.get(record.grant_id)
        if grant is None or grant.revoked:
            raise faults.authentication_failed("Token revoked: the app was disconnected from this company")
        if record.expires_at <= self.clock.timestamp():
            raise faults.authentication_failed("Token expired: the access token is no longer valid")
        if grant.realm_id != realm_id:
            raise faults.authorization_failed(f"The token was not issued for company {realm_id}")
        if ACCOUNTING_SCOPE not in grant.scope.split():
            raise faults.authorization_failed(f"The token lacks the {ACCOUNTING_SCOPE} scope")
        return grant

    def userinfo(self, authorization: str | None) -> dict[str, Any]:
        token = (authorization or "")[7:].strip()
        record = self._access.get(token)
        grant = self.grants.get(record.grant_id) if record else None
        if record is None or grant is None or grant.revoked or record.expires_at <= self.clock.timestamp():
            raise OAuthError("invalid_token", "The access token is invalid or expired", status=401)
        return {
            "sub": f"sandbox-user-{grant.realm_id}",
            "email": "owner@sandbox.example",
            "emailVerified": True,
            "givenName": "Sandbox",
            "familyName": "Owner",
            "realmid": grant.realm_id,
        }
