"""Pending QuickBooks consents: one row per issued OAuth ``state``, consumed exactly once by the callback."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from domain.db import Base, IdMixin, TenantScoped, TimestampMixin


class OAuthState(IdMixin, TimestampMixin, TenantScoped, Base):
    """The row id is the state's nonce; ``used_at`` set means the state can never be replayed."""

    __tablename__ = "qbo_oauth_states"

    user_id: Mapped[str | None] = mapped_column(String(36), default=None)
    redirect_uri: Mapped[str] = mapped_column(Text)
    # PKCE verifier: must stay server-side until the code is exchanged.
    code_verifier: Mapped[str | None] = mapped_column(String(128), default=None)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)
