"""Customers, vendors, items, tax rates, terms and accounts: the lists documents are built from."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from domain.db import Base, IdMixin, QboSynced, TenantScoped, TimestampMixin
from domain.fields import NAME_KEY_LENGTH, name_key


class ItemType(enum.StrEnum):
    LABOR = "labor"
    MATERIAL = "material"
    DISCOUNT = "discount"
    FEE = "fee"
    OTHER = "other"


class _NameKeyed:
    """Keeps ``name_key`` in step with the name, however the row is built (service, import, sync pull)."""

    name_key: Mapped[str]

    @validates("display_name", "name")
    def _set_name_key(self, _field: str, value: str) -> str:
        self.name_key = name_key(value)
        return value


class Customer(_NameKeyed, IdMixin, TimestampMixin, TenantScoped, QboSynced, Base):
    __tablename__ = "customers"
    # Unique per tenant on the folded name: "Ölaf Heating" and "ölaf  heating" are one customer.
    __table_args__ = (UniqueConstraint("tenant_id", "name_key", name="uq_customers_name_key"),)

    display_name: Mapped[str] = mapped_column(String(500))
    name_key: Mapped[str] = mapped_column(String(NAME_KEY_LENGTH))
    company_name: Mapped[str | None] = mapped_column(String(500), default=None)
    first_name: Mapped[str | None] = mapped_column(String(100), default=None)
    last_name: Mapped[str | None] = mapped_column(String(100), default=None)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    # Addresses keep the seed's shape: line1, line2, city, region, postal_code, country.
    billing_address: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    shipping_address: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tax_exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    term_id: Mapped[str | None] = mapped_column(String(36), default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)


class Vendor(_NameKeyed, IdMixin, TimestampMixin, TenantScoped, QboSynced, Base):
    __tablename__ = "vendors"
    # Unique per tenant on the folded name: "Ölaf Heating" and "ölaf  heating" are one vendor.
    __table_args__ = (UniqueConstraint("tenant_id", "name_key", name="uq_vendors_name_key"),)

    display_name: Mapped[str] = mapped_column(String(500))
    name_key: Mapped[str] = mapped_column(String(NAME_KEY_LENGTH))
    company_name: Mapped[str | None] = mapped_column(String(500), default=None)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Item(_NameKeyed, IdMixin, TimestampMixin, TenantScoped, QboSynced, Base):
    __tablename__ = "items"
    # Unique per tenant on the folded name: "ＰＥＸ Elbow" and "pex  elbow" are one item.
    __table_args__ = (UniqueConstraint("tenant_id", "name_key", name="uq_items_name_key"),)

    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(NAME_KEY_LENGTH))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    type: Mapped[ItemType] = mapped_column()
    unit_of_measure: Mapped[str | None] = mapped_column(String(20), default=None)
    rate: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    cost: Mapped[Decimal | None] = mapped_column(default=None)
    taxable: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    income_account_ref: Mapped[str | None] = mapped_column(String(32), default=None)
    expense_account_ref: Mapped[str | None] = mapped_column(String(32), default=None)
    cost_code: Mapped[str | None] = mapped_column(String(50), default=None)
    # Words staff use for this item ("water heater", "50 gallon"); helps drafting match plain language.
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)


class TaxRate(IdMixin, TimestampMixin, TenantScoped, QboSynced, Base):
    __tablename__ = "tax_rates"

    name: Mapped[str] = mapped_column(String(100))
    rate_percent: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    qbo_tax_code_id: Mapped[str | None] = mapped_column(String(32), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Term(IdMixin, TimestampMixin, TenantScoped, QboSynced, Base):
    __tablename__ = "terms"

    name: Mapped[str] = mapped_column(String(100))
    due_days: Mapped[int] = mapped_column(default=30)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Account(IdMixin, TimestampMixin, TenantScoped, QboSynced, Base):
    __tablename__ = "accounts"

    name: Mapped[str] = mapped_column(String(200))
    account_type: Mapped[str] = mapped_column(String(60))
    account_sub_type: Mapped[str | None] = mapped_column(String(60), default=None)
    acct_num: Mapped[str | None] = mapped_column(String(20), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


__all__ = ["Account", "Customer", "Item", "ItemType", "TaxRate", "Term", "Vendor"]
