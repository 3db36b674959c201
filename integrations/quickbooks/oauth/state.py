"""The OAuth ``state`` parameter: HMAC-signed, bound to a tenant and user, expiring (single use is the flow's job)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from domain.digests import same_secret
from domain.errors import AppError


class OAuthStateError(AppError):
    status = 400
    code = "oauth_state_invalid"
    title = "This QuickBooks connection link is not valid"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class StateCodec:
    """``<payload>.<hmac>``: the payload names the nonce, tenant, user and expiry; the HMAC makes it unforgeable."""

    def __init__(self, secret: str) -> None:
        if len(secret) < 16:
            raise ValueError("the OAuth state secret must be at least 16 characters")
        self._key = secret.encode()

    def encode(self, *, nonce: str, tenant_id: str, user_id: str | None, expires_at: datetime) -> str:
        payload = _b64(
            json.dumps(
                {"n": nonce, "t": tenant_id, "u": user_id, "e": int(expires_at.timestamp())},
                separators=(",", ":"),
            ).encode()
        )
        return f"{payload}.{self._sign(payload)}"

    def decode(self, state: str, *, now: datetime) -> dict[str, Any]:
        payload, _, signature = state.partition(".")
        if not payload or not signature or not same_secret(signature, self._sign(payload)):
            raise OAuthStateError("the connection link was tampered with or is not ours")
        try:
            data = json.loads(_unb64(payload))
        except ValueError as exc:
            raise OAuthStateError("the connection link is malformed") from exc
        if not isinstance(data, dict) or int(data.get("e", 0)) < now.timestamp():
            raise OAuthStateError("the connection link has expired; start connecting again")
        return data

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())


__all__ = ["OAuthStateError", "StateCodec"]
