"""Comparing secrets: in constant time, and over bytes, so any text a client sends compares without error."""

from __future__ import annotations

import hmac


def _as_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def same_secret(given: str | bytes, expected: str | bytes) -> bool:
    """``hmac.compare_digest`` refuses non-ASCII ``str``; compared as UTF-8 bytes, a forged value is a plain no."""
    return hmac.compare_digest(_as_bytes(given), _as_bytes(expected))


__all__ = ["same_secret"]
