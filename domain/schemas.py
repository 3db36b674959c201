"""Validated inputs to the domain services (pydantic). Output shapes belong to the API."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from domain.fields import DisplayName, ItemName, MoneyIn, PositiveMoney
from domain.models.catalog import ItemType
from domain.models.sales import LineType

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]

__all__ = ["MoneyIn", "PositiveMoney"]  # re-exported: inputs elsewhere take money from here


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Patch(_Input):
    """A partial update: a field left out stays as it is; null clears only fields that may be empty."""

    # Fields where ``None`` only means "not sent": an explicit null has no meaning and is refused.
    not_null: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_null(cls, value: Any, info: ValidationInfo) -> Any:
        # Runs only for fields the client sent, so a left-out field still means "unchanged".
        if value is None and info.field_name in cls.not_null:
            raise ValueError(f"{info.field_name} cannot be null; leave it out to keep the current value")
        return value


class Address(_Input):
    line1: str = Field(default="", max_length=500)
    line2: str | None = Field(default=None, max_length=500)
    city: str = Field(default="", max_length=255)
    region: str = Field(default="", max_length=255)
    postal_code: str = Field(default="", max_length=30)
    country: str = Field(default="", max_length=255)


class CustomerCreate(_Input):
    display_name: DisplayName
    company_name: str | None = Field(default=None, max_length=500)
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=40)
    billing_address: Address = Field(default_factory=Address)
    shipping_address: Address = Field(default_factory=Address)
    tax_exempt: bool = False
    notes: str | None = Field(default=None, max_length=4000)


class CustomerUpdate(_Patch):
    not_null = frozenset({"display_name", "billing_address", "shipping_address", "tax_exempt", "active"})

    display_name: DisplayName | None = None
    company_name: str | None = Field(default=None, max_length=500)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=40)
    billing_address: Address | None = None
    shipping_address: Address | None = None
    tax_exempt: bool | None = None
    active: bool | None = None
    notes: str | None = Field(default=None, max_length=4000)


class ItemCreate(_Input):
    name: ItemName
    type: ItemType
    rate: MoneyIn
    cost: MoneyIn | None = None
    unit_of_measure: str | None = Field(default=None, max_length=20)
    taxable: bool = True
    description: str | None = Field(default=None, max_length=4000)
    keywords: list[Annotated[str, StringConstraints(max_length=60)]] = Field(
        default_factory=list, max_length=50
    )
    income_account_ref: str | None = None
    expense_account_ref: str | None = None


class LineCreate(_Input):
    type: LineType
    name: Name
    quantity: Annotated[Decimal, Field(ge=0, le=Decimal("100000"), max_digits=12, decimal_places=4)]
    unit_price: MoneyIn | None = None  # None: the catalog price of item_id
    item_id: str | None = None
    description: str | None = Field(default=None, max_length=4000)
    markup_percent: Annotated[Decimal, Field(ge=0, le=1000)] | None = None
    taxable: bool | None = None  # None: the item's setting (or True for free text)
    group_id: str | None = None
    rationale: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _quantity_positive(self) -> LineCreate:
        if self.type is not LineType.TEXT and self.quantity <= 0:
            raise ValueError(f"quantity for '{self.name}' must be greater than 0")
        return self


class EstimateCreate(_Input):
    customer_id: str
    lines: list[LineCreate] = Field(min_length=1, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    description: ShortText | None = None
    txn_date: date | None = None
    valid_until: date | None = None
    tax_rate_id: str | None = None
    customer_notes: ShortText | None = None
    internal_notes: ShortText | None = None
    ai_origin: dict[str, object] | None = None

    @field_validator("ai_origin")
    @classmethod
    def _ai_origin_keys(cls, value: dict[str, object] | None) -> dict[str, object] | None:
        if value is not None and not set(value) <= {"prompt", "model", "confidence"}:
            raise ValueError("ai_origin holds only prompt, model and confidence")
        return value


class EstimateUpdate(_Patch):
    not_null = frozenset({"lines"})

    lines: list[LineCreate] | None = Field(default=None, min_length=1, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    description: ShortText | None = None
    valid_until: date | None = None
    customer_notes: ShortText | None = None
    internal_notes: ShortText | None = None


class InvoiceCreate(_Input):
    customer_id: str
    lines: list[LineCreate] = Field(min_length=1, max_length=200)
    issue_date: date | None = None
    term_id: str | None = None
    due_date: date | None = None
    tax_rate_id: str | None = None
    customer_notes: ShortText | None = None


class PaymentApplicationIn(_Input):
    invoice_id: str
    amount: PositiveMoney


class PaymentCreate(_Input):
    customer_id: str
    amount: PositiveMoney
    payment_date: date
    payment_method: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] = (
        "check"
    )
    reference_number: str | None = Field(default=None, max_length=40)
    memo: str | None = Field(default=None, max_length=4000)
    # Explicit applications; when empty and auto_apply is set, the oldest open invoices are paid first.
    applications: list[PaymentApplicationIn] = Field(default_factory=list, max_length=100)
    auto_apply: bool = False


class WriteOffCreate(_Input):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]
    amount: PositiveMoney | None = None  # None: the whole remaining balance
    on: date | None = None
