"""A tenant's link to one QuickBooks company (realm) and its encrypted OAuth tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.db import Base, IdMixin, TenantScoped, TimestampMixin


class ConnectionStatus(enum.StrEnum):
    CONNECTED = "connected"
    NEEDS_REAUTH = "needs_reauth"
    DISCONNECTED = "disconnected"


class QboConnection(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "qbo_connections"
    __table_args__ = (UniqueConstraint("tenant_id"), UniqueConstraint("realm_id"))

    realm_id: Mapped[str] = mapped_column(String(32))
    environment: Mapped[str] = mapped_column(String(16), default="sandbox")
    status: Mapped[ConnectionStatus] = mapped_column(default=ConnectionStatus.CONNECTED)
    # Fernet ciphertexts: tokens are never stored in the clear.
    access_token_enc: Mapped[str] = mapped_column(Text)
    refresh_token_enc: Mapped[str] = mapped_column(Text)
    access_expires_at: Mapped[datetime] = mapped_column()
    refresh_expires_at: Mapped[datetime] = mapped_column()
    # Intuit caps a consent at 5 years however often it is refreshed; None when QBO did not say.
    refresh_hard_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    token_version: Mapped[int] = mapped_column(default=0)
    connected_by_user_id: Mapped[str | None] = mapped_column(String(36), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_sync_at: Mapped[datetime | None] = mapped_column(default=None)
    cdc_cursor: Mapped[datetime | None] = mapped_column(default=None)
