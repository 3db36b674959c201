"""Which QuickBooks company a fresh consent really grants: never the callback's ``realmId`` on its own word.

The browser brings ``realmId`` back beside the code, so anyone holding a valid ``state`` and code can write any
number there. Two things the token exchange proves are checked instead (reference §8):

- the ID token's ``realmid`` claim, when Intuit sent one (only with the ``openid`` scope). The token came
  straight from the token endpoint over TLS, so its signature need not be checked (OpenID Connect Core
  §3.1.3.7); a claim that names another company refuses the consent;
- a read of the company's ``CompanyInfo`` with the new access token. QBO answers 401/403 for a token issued
  for another company, so only the company the code was issued for passes. This holds whatever scopes were
  asked for, which is why it is always made: Intuit does not document a realm in the token response itself.
"""

from __future__ import annotations

import base64
import json

import httpx

from domain.errors import AppError
from integrations.quickbooks.client import QboClient
from integrations.quickbooks.errors import QboAuthError, QboError, QboForbidden
from integrations.quickbooks.retry import RetryPolicy

MAX_REALM_LENGTH = 32  # qbo_connections.realm_id


class RealmNotProven(AppError):
    """The consent does not prove the company the callback named: nothing is stored."""

    status = 403
    code = "qbo_realm_mismatch"
    title = "QuickBooks company does not match the consent"


class RealmUnverified(AppError):
    """QuickBooks could not be asked which company the consent grants; connect again later."""

    status = 400
    code = "qbo_realm_unverified"
    title = "QuickBooks company could not be verified"


def id_token_realm(id_token: str | None) -> str | None:
    """The ``realmid`` claim of an ID token, or None when there is no token or no such claim."""
    if not id_token:
        return None
    try:
        payload = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as exc:
        raise RealmNotProven("QuickBooks sent an ID token that cannot be read") from exc
    realm = claims.get("realmid") if isinstance(claims, dict) else None
    return str(realm) if realm not in (None, "") else None


def _valid_realm(realm: str) -> bool:
    # Intuit realm ids are decimal digits; anything else never reaches a URL path or the database.
    return realm.isascii() and realm.isdigit() and len(realm) <= MAX_REALM_LENGTH


class RealmProof:
    """Decide the realm of a consent from its tokens, checking what the callback claimed."""

    def __init__(self, http: httpx.AsyncClient, api_base_url: str) -> None:
        self._http = http
        self._api_base_url = api_base_url

    async def realm(self, *, claimed: str | None, access_token: str, id_token: str | None) -> str:
        from_token = id_token_realm(id_token)
        if claimed and from_token and claimed != from_token:
            raise RealmNotProven(
                f"the consent was given for QuickBooks company {from_token}, not {claimed}",
                claimed=claimed,
                granted=from_token,
            )
        realm = claimed or from_token
        if not realm:
            raise RealmNotProven("the QuickBooks callback does not say which company was connected")
        if not _valid_realm(realm):
            raise RealmNotProven("the QuickBooks company id is not valid", claimed=realm[:64])
        await self._probe(realm, access_token)
        return realm

    async def _probe(self, realm: str, access_token: str) -> None:
        async def token(*, force_refresh: bool = False) -> str:
            return access_token

        client = QboClient(
            self._http, token, realm, self._api_base_url, retry=RetryPolicy(max_attempts=2, base_delay=0.2)
        )
        try:
            await client.query("select * from CompanyInfo")
        except (QboAuthError, QboForbidden) as exc:
            raise RealmNotProven(
                f"the consent does not grant access to QuickBooks company {realm}", claimed=realm
            ) from exc
        except QboError as exc:
            raise RealmUnverified(
                f"QuickBooks could not confirm the company ({exc.message}); try connecting again",
                claimed=realm,
            ) from exc
