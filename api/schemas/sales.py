"""Estimates, invoices, payments and write-offs as the API shows them (money as exact decimal strings)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, computed_field

from domain.estimate_stages import stage_of
from domain.fields import Money


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class LinePublic(_Public):
    id: str
    position: int
    item_id: str | None
    type: str
    name: str
    description: str | None
    quantity: Decimal
    unit_price: Money
    markup_percent: Decimal
    markup_amount: Money
    line_subtotal: Money
    taxable: bool


class _Totals(_Public):
    subtotal: Money
    discount_total: Money
    tax_total: Money
    total: Money
    currency: str


class _Staged(_Totals):
    status: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def stage(self) -> str:
        """Where it stands in the words chat uses: pending, accepted, closed or rejected (open = first two)."""
        return stage_of(self.status)


class EstimatePublic(_Staged):
    id: str
    doc_number: str | None
    customer_id: str
    status: str
    title: str | None
    description: str | None
    txn_date: date
    valid_until: date | None
    customer_notes: str | None
    internal_notes: str | None
    sent_at: datetime | None
    viewed_at: datetime | None
    approved_at: datetime | None
    approved_by: str | None
    approval_ip: str | None
    approval_method: str | None
    rejected_reason: str | None
    ai_origin: dict[str, Any] | None
    qbo_id: str | None
    sync_status: str
    created_at: datetime
    updated_at: datetime
    lines: list[LinePublic]
    # A signed customer link, present on the response to "send".
    public_url: str | None = None


class EstimateSummary(_Staged):
    id: str
    doc_number: str | None
    customer_id: str
    status: str
    title: str | None
    txn_date: date
    valid_until: date | None
    created_at: datetime


class InvoicePublic(_Totals):
    id: str
    doc_number: str | None
    customer_id: str
    estimate_id: str | None
    status: str
    issue_date: date
    due_date: date | None
    amount_paid: Money
    written_off: Money
    balance_due: Money
    customer_notes: str | None
    sent_at: datetime | None
    voided_at: datetime | None
    void_reason: str | None
    qbo_id: str | None
    sync_status: str
    created_at: datetime
    updated_at: datetime
    lines: list[LinePublic]
    public_url: str | None = None


class InvoiceSummary(_Totals):
    id: str
    doc_number: str | None
    customer_id: str
    status: str
    issue_date: date
    due_date: date | None
    balance_due: Money
    created_at: datetime


class PaymentApplicationPublic(_Public):
    invoice_id: str
    amount: Money


class PaymentPublic(_Public):
    id: str
    customer_id: str
    amount: Money
    unapplied_amount: Money
    currency: str
    payment_date: date
    payment_method: str
    reference_number: str | None
    memo: str | None
    voided: bool
    void_reason: str | None
    qbo_id: str | None
    created_at: datetime
    applications: list[PaymentApplicationPublic]


class WriteOffPublic(_Public):
    id: str
    invoice_id: str
    amount: Money
    reason: str
    written_off_on: date
    created_at: datetime


Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class EstimateApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    signed_by: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class EstimateRejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason = ""


class EstimateConvertIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    issue_date: date | None = None
    term_id: str | None = Field(default=None, max_length=36)


class InvoiceVoidIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason = ""
