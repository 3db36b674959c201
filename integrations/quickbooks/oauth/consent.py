"""Connecting a tenant to QuickBooks: the consent flow, with a signed single-use ``state`` and PKCE.

The consent flow is the authorization-code grant of reference §8: we hand the browser an authorize URL whose
``state`` is HMAC-signed, bound to the tenant and user, expires, and is recorded in ``qbo_oauth_states`` so
the callback can consume it exactly once. URL and PKCE helpers come from authlib; requests go through the
injected ``httpx.AsyncClient`` so tests and the emulator see every call.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from domain.db import utcnow
from domain.errors import AppError
from domain.models.oauth_state import OAuthState
from domain.services.sync_log import as_aware
from integrations.quickbooks.api.errors import QboAuthError
from integrations.quickbooks.oauth.connection_audit import record_refused_connect
from integrations.quickbooks.oauth.endpoint import (
    Clock,
    OAuthSettings,
    OAuthTokenEndpoint,
)
from integrations.quickbooks.oauth.realm_proof import RealmProof
from integrations.quickbooks.oauth.state import OAuthStateError, StateCodec
from integrations.quickbooks.oauth.token_store import ConnectionInfo, TokenStore


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
            if as_aware(row.expires_at) < now:  # type: ignore[operator]  # the column is NOT NULL
                raise OAuthStateError("the connection link has expired; start connecting again")
            return row.code_verifier
