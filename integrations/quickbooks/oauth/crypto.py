"""Fernet encryption of OAuth tokens at rest, with key rotation (first key encrypts, all keys decrypt)."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from domain.errors import AppError


class TokenDecryptError(AppError):
    status = 500
    code = "token_decrypt_failed"
    title = "Stored QuickBooks tokens cannot be read"


def generate_key() -> str:
    """A fresh Fernet key (url-safe base64, 32 bytes) for configuration or the demo."""
    return Fernet.generate_key().decode()


class TokenCipher:
    def __init__(self, keys: str | Sequence[str]) -> None:
        key_list = [keys] if isinstance(keys, str) else list(keys)
        key_list = [k.strip() for k in key_list if k and k.strip()]
        if not key_list:
            raise ValueError("at least one token encryption key is required")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in key_list])

    @classmethod
    def from_setting(cls, value: str) -> TokenCipher:
        """Comma-separated keys, newest first, as kept in one configuration value."""
        return cls(value.split(","))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            # Wrong or rotated-away key: a configuration problem, never a reason to hand out garbage.
            raise TokenDecryptError(
                "stored QuickBooks tokens cannot be decrypted with the configured keys"
            ) from exc


__all__ = ["TokenCipher", "TokenDecryptError", "generate_key"]
