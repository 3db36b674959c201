"""Signed, expiring JWTs (HS256, authlib JOSE) for widget embeds and customer links.

Embed tokens are signed with a key derived per tenant, so a token minted for one tenant never verifies for
another even if its claims are edited; ``aud`` separates embed tokens from public-link tokens.
"""

from __future__ import annotations

import base64
import json
import warnings
from dataclasses import dataclass
from typing import Any

with warnings.catch_warnings():
    # authlib announces a move of its JOSE module; the API used here stays until 2.0.
    warnings.simplefilter("ignore")
    from authlib.jose import JsonWebToken
    from authlib.jose.errors import JoseError

from api.security.keys import derive_key
from domain.clock import Clock, system_clock
from domain.errors import Unauthenticated


def _jwt() -> JsonWebToken:
    # Only HS256: "none" and algorithm-confusion tokens are refused outright.
    return JsonWebToken(["HS256"])


EMBED_AUDIENCE = "qbo-agent:embed"
LINK_AUDIENCE = "qbo-agent:public-link"


@dataclass(frozen=True)
class EmbedClaims:
    tenant_id: str
    user_id: str
    origin: str
    expires_at: int


@dataclass(frozen=True)
class LinkClaims:
    tenant_id: str
    kind: str  # "estimate" | "invoice"
    document_id: str
    expires_at: int


def _encode(key: bytes, claims: dict[str, Any]) -> str:
    return str(_jwt().encode({"alg": "HS256", "typ": "JWT"}, claims, key).decode())


def _decode(key: bytes, token: str, audience: str, clock: Clock) -> dict[str, Any]:
    try:
        claims = _jwt().decode(
            token,
            key,
            claims_options={
                "aud": {"essential": True, "value": audience},
                "exp": {"essential": True},
                "tid": {"essential": True},
            },
        )
        claims.validate(now=int(clock().timestamp()), leeway=0)
    except (JoseError, ValueError, TypeError) as exc:
        raise Unauthenticated("The token is invalid or has expired") from exc
    return dict(claims)


def _unverified_tenant(token: str) -> str:
    """Read ``tid`` before verifying, only to pick which tenant key to verify with."""
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as exc:
        raise Unauthenticated("The token is malformed") from exc
    tid = data.get("tid") if isinstance(data, dict) else None
    if not isinstance(tid, str) or not tid:
        raise Unauthenticated("The token is malformed")
    return tid


def issue_embed_token(
    secret: bytes,
    *,
    tenant_id: str,
    user_id: str,
    origin: str,
    ttl_seconds: int,
    clock: Clock = system_clock,
) -> str:
    now = int(clock().timestamp())
    claims = {
        "iss": "qbo-agent",
        "aud": EMBED_AUDIENCE,
        "sub": user_id,
        "tid": tenant_id,
        "origin": origin,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return _encode(derive_key(secret, "embed", tenant_id), claims)


def verify_embed_token(secret: bytes, token: str, *, clock: Clock = system_clock) -> EmbedClaims:
    tenant_id = _unverified_tenant(token)
    claims = _decode(derive_key(secret, "embed", tenant_id), token, EMBED_AUDIENCE, clock)
    if claims.get("tid") != tenant_id or not isinstance(claims.get("sub"), str):
        raise Unauthenticated("The token is invalid")
    return EmbedClaims(
        tenant_id=tenant_id,
        user_id=claims["sub"],
        origin=str(claims.get("origin", "")),
        expires_at=claims["exp"],
    )


def issue_link_token(
    secret: bytes,
    *,
    tenant_id: str,
    kind: str,
    document_id: str,
    ttl_seconds: int,
    clock: Clock = system_clock,
) -> str:
    now = int(clock().timestamp())
    claims = {
        "aud": LINK_AUDIENCE,
        "tid": tenant_id,
        "knd": kind,
        "sub": document_id,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return _encode(derive_key(secret, "link", tenant_id), claims)


def verify_link_token(secret: bytes, token: str, kind: str, *, clock: Clock = system_clock) -> LinkClaims:
    tenant_id = _unverified_tenant(token)
    claims = _decode(derive_key(secret, "link", tenant_id), token, LINK_AUDIENCE, clock)
    if claims.get("knd") != kind or not isinstance(claims.get("sub"), str):
        raise Unauthenticated("The link is not valid for this page")
    return LinkClaims(tenant_id=tenant_id, kind=kind, document_id=claims["sub"], expires_at=claims["exp"])
