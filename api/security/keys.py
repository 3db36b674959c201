"""API keys: shown once, stored as an HMAC-SHA256 of the key (peppered with the server secret)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

KEY_PREFIX = "qbo_"


def generate_api_key() -> tuple[str, str]:
    """A new key and the short prefix users see in key lists."""
    body = secrets.token_urlsafe(32)
    key = f"{KEY_PREFIX}{body}"
    return key, key[: len(KEY_PREFIX) + 6]


def hash_api_key(secret: bytes, key: str) -> str:
    return hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()


def derive_key(secret: bytes, purpose: str, scope: str = "") -> bytes:
    """A separate key per purpose (and per tenant), so one leaked key signs nothing else."""
    return hmac.new(secret, f"{purpose}:{scope}".encode(), hashlib.sha256).digest()
