"""The QuickBooks connection services the API uses: the OAuth consent flow, the encrypted token store, and the
per-realm request budget every process shares."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import httpx
from sqlalchemy.orm import Session, sessionmaker

from api.security.keys import derive_key
from api.settings import Settings
from integrations.quickbooks.api.client import QboClient
from integrations.quickbooks.api.ratelimit import LimiterRegistry, RateLimiterRegistry
from integrations.quickbooks.api.shared_limiter import SharedLimiterRegistry
from integrations.quickbooks.oauth.consent import QboOAuthFlow
from integrations.quickbooks.oauth.crypto import TokenCipher
from integrations.quickbooks.oauth.endpoint import OAuthSettings, OAuthTokenEndpoint, QboEnvironment
from integrations.quickbooks.oauth.token_store import TokenStore


@dataclass(frozen=True)
class QboServices:
    environment: QboEnvironment
    oauth: QboOAuthFlow
    tokens: TokenStore
    http: httpx.AsyncClient
    # build_qbo shares the budget through the database; the in-process default serves tests that build it.
    limiters: LimiterRegistry = field(default_factory=RateLimiterRegistry)

    async def client_for(self, tenant_id: str) -> QboClient:
        """A client for the tenant's connected company (raises QboNotConnected when there is none)."""
        info = await self.tokens.info(tenant_id)
        return self.client_for_realm(tenant_id, info.realm_id)

    def client_for_realm(self, tenant_id: str, realm_id: str) -> QboClient:
        return QboClient(
            self.http,
            self.tokens.provider(tenant_id),
            realm_id,
            self.environment.api_base_url,
            limiter=self.limiters.for_realm(realm_id),
        )


def callback_url(settings: Settings) -> str:
    return f"{settings.base_url.rstrip('/')}/api/integrations/quickbooks/callback"


def token_cipher(settings: Settings) -> TokenCipher:
    if settings.token_encryption_key is not None:
        return TokenCipher.from_setting(settings.token_encryption_key.get_secret_value())
    # Derived so a single secret runs the embedded default; production sets its own (rotatable) key list.
    return TokenCipher(base64.urlsafe_b64encode(derive_key(settings.secret, "fernet")).decode())


def build_qbo(settings: Settings, http: httpx.AsyncClient, sessions: sessionmaker[Session]) -> QboServices:
    environment = QboEnvironment.named(settings.qbo_environment, settings.qbo_oauth_base)
    oauth_settings = OAuthSettings(
        client_id=settings.qbo_client_id,
        client_secret=settings.qbo_client_secret,
        redirect_uri=callback_url(settings),
        environment=environment,
        state_secret=base64.urlsafe_b64encode(derive_key(settings.secret, "oauth-state")).decode(),
    )
    endpoint = OAuthTokenEndpoint(http, oauth_settings)
    tokens = TokenStore(sessions, token_cipher(settings), endpoint)
    return QboServices(
        environment=environment,
        oauth=QboOAuthFlow(oauth_settings, endpoint, sessions, tokens),
        tokens=tokens,
        http=http,
        # Every process on this database (API workers, sync workers, the CLI) draws from one budget per realm.
        limiters=SharedLimiterRegistry(sessions),
    )
