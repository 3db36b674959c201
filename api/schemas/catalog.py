"""Customers and items as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.fields import Money


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class CustomerPublic(_Public):
    id: str
    display_name: str
    company_name: str | None
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    billing_address: dict[str, Any]
    shipping_address: dict[str, Any]
    tax_exempt: bool
    active: bool
    notes: str | None
    qbo_id: str | None
    sync_status: str
    created_at: datetime
    updated_at: datetime


class ItemPublic(_Public):
    id: str
    name: str
    description: str | None
    type: str
    unit_of_measure: str | None
    rate: Money
    cost: Money | None
    taxable: bool
    active: bool
    keywords: list[str]
    qbo_id: str | None
    sync_status: str
    created_at: datetime
