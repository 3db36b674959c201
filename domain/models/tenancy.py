"""Tenants, their users and API keys: who may do what, and for which company."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.db import Base, IdMixin, TenantScoped, TimestampMixin


class Role(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    OFFICE = "office"
    TECHNICIAN = "technician"


class Tenant(IdMixin, TimestampMixin, Base):
    __tablename__ = "tenants"

    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="America/Los_Angeles")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    default_markup_percent: Mapped[Decimal] = mapped_column(Numeric(7, 3), default=Decimal("20"))
    default_tax_rate_id: Mapped[str | None] = mapped_column(String(36), default=None)
    estimate_valid_days: Mapped[int] = mapped_column(default=30)
    # Per-entity mastering / conflict strategy overrides, e.g. {"customer": "qbo_wins"}.
    sync_settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    allowed_origins: Mapped[list[str]] = mapped_column(JSON, default=list)

    users: Mapped[list[User]] = relationship(back_populates="tenant", cascade="all, delete-orphan")


class User(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column()
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    tenant: Mapped[Tenant] = relationship(back_populates="users")


class ApiKey(IdMixin, TimestampMixin, TenantScoped, Base):
    """Only a hash of the key is stored; the prefix lets a user recognise which key is which."""

    __tablename__ = "api_keys"

    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(128), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
