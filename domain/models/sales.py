"""Estimates and invoices with their lines (seed 000 §4.1 and §5.1)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.db import Base, IdMixin, QboSynced, TenantScoped, TimestampMixin

ZERO = Decimal("0.00")


class LineType(enum.StrEnum):
    LABOR = "labor"
    MATERIAL = "material"
    DISCOUNT = "discount"
    FEE = "fee"
    OTHER = "other"
    TEXT = "text"


class EstimateStatus(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    VIEWED = "viewed"
    APPROVED = "approved"
    REJECTED = "rejected"
    CONVERTED = "converted"
    EXPIRED = "expired"


class InvoiceStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    PARTIAL = "partial"
    PAID = "paid"
    VOID = "void"
    WRITTEN_OFF = "written_off"


class _DocumentTotals:
    subtotal: Mapped[Decimal] = mapped_column(default=ZERO)
    discount_total: Mapped[Decimal] = mapped_column(default=ZERO)
    tax_total: Mapped[Decimal] = mapped_column(default=ZERO)
    total: Mapped[Decimal] = mapped_column(default=ZERO)
    tax_rate_id: Mapped[str | None] = mapped_column(String(36), default=None)
    tax_rate_percent: Mapped[Decimal] = mapped_column(Numeric(7, 4), default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), default="USD")


class _Line:
    position: Mapped[int] = mapped_column(default=1)
    item_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("items.id", ondelete="SET NULL"), default=None
    )
    type: Mapped[LineType] = mapped_column()
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    unit_price: Mapped[Decimal] = mapped_column()
    markup_percent: Mapped[Decimal] = mapped_column(Numeric(7, 3), default=Decimal("0"))
    markup_amount: Mapped[Decimal] = mapped_column(default=ZERO)
    line_subtotal: Mapped[Decimal] = mapped_column(default=ZERO)
    taxable: Mapped[bool] = mapped_column(Boolean, default=True)


class Estimate(IdMixin, TimestampMixin, TenantScoped, QboSynced, _DocumentTotals, Base):
    __tablename__ = "estimates"
    __table_args__ = (UniqueConstraint("tenant_id", "doc_number"),)

    doc_number: Mapped[str | None] = mapped_column(String(21), default=None)
    customer_id: Mapped[str] = mapped_column(String(36), ForeignKey("customers.id"), index=True)
    status: Mapped[EstimateStatus] = mapped_column(default=EstimateStatus.DRAFT)
    title: Mapped[str | None] = mapped_column(String(200), default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    txn_date: Mapped[date] = mapped_column()
    valid_until: Mapped[date | None] = mapped_column(default=None)
    terms: Mapped[str | None] = mapped_column(Text, default=None)
    internal_notes: Mapped[str | None] = mapped_column(Text, default=None)
    customer_notes: Mapped[str | None] = mapped_column(Text, default=None)
    created_by_user_id: Mapped[str | None] = mapped_column(String(36), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    viewed_at: Mapped[datetime | None] = mapped_column(default=None)
    approved_at: Mapped[datetime | None] = mapped_column(default=None)
    approved_by: Mapped[str | None] = mapped_column(String(200), default=None)
    approval_ip: Mapped[str | None] = mapped_column(String(64), default=None)
    # How the customer said yes: "signature" on the public page, or what staff recorded ("phone", "in person").
    approval_method: Mapped[str | None] = mapped_column(String(40), default=None)
    rejected_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # {"prompt", "model", "confidence"} when a draft came from the assistant.
    ai_origin: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)

    lines: Mapped[list[EstimateLine]] = relationship(
        back_populates="estimate", cascade="all, delete-orphan", order_by="EstimateLine.position"
    )


class EstimateLine(IdMixin, TenantScoped, _Line, Base):
    __tablename__ = "estimate_lines"

    estimate_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("estimates.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[str | None] = mapped_column(String(36), default=None)
    rationale: Mapped[str | None] = mapped_column(Text, default=None)

    estimate: Mapped[Estimate] = relationship(back_populates="lines")


class Invoice(IdMixin, TimestampMixin, TenantScoped, QboSynced, _DocumentTotals, Base):
    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("tenant_id", "doc_number"),)

    doc_number: Mapped[str | None] = mapped_column(String(21), default=None)
    estimate_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("estimates.id"), default=None)
    customer_id: Mapped[str] = mapped_column(String(36), ForeignKey("customers.id"), index=True)
    status: Mapped[InvoiceStatus] = mapped_column(default=InvoiceStatus.OPEN)
    issue_date: Mapped[date] = mapped_column()
    due_date: Mapped[date | None] = mapped_column(default=None)
    term_id: Mapped[str | None] = mapped_column(String(36), default=None)
    amount_paid: Mapped[Decimal] = mapped_column(default=ZERO)
    written_off: Mapped[Decimal] = mapped_column(default=ZERO)
    balance_due: Mapped[Decimal] = mapped_column(default=ZERO)
    terms: Mapped[str | None] = mapped_column(Text, default=None)
    customer_notes: Mapped[str | None] = mapped_column(Text, default=None)
    internal_notes: Mapped[str | None] = mapped_column(Text, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    voided_at: Mapped[datetime | None] = mapped_column(default=None)
    void_reason: Mapped[str | None] = mapped_column(Text, default=None)

    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.position"
    )


class InvoiceLine(IdMixin, TenantScoped, _Line, Base):
    __tablename__ = "invoice_lines"

    invoice_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    estimate_line_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("estimate_lines.id", ondelete="SET NULL"), default=None
    )

    invoice: Mapped[Invoice] = relationship(back_populates="lines")
