"""Money received, how it is applied to invoices, write-offs, and vendor bills."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.db import Base, IdMixin, QboSynced, TenantScoped, TimestampMixin, utcnow

ZERO = Decimal("0.00")


class Payment(IdMixin, TimestampMixin, TenantScoped, QboSynced, Base):
    __tablename__ = "payments"

    customer_id: Mapped[str] = mapped_column(String(36), ForeignKey("customers.id"), index=True)
    amount: Mapped[Decimal] = mapped_column()
    unapplied_amount: Mapped[Decimal] = mapped_column(default=ZERO)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    payment_date: Mapped[date] = mapped_column()
    payment_method: Mapped[str] = mapped_column(String(40), default="check")
    reference_number: Mapped[str | None] = mapped_column(String(40), default=None)
    memo: Mapped[str | None] = mapped_column(Text, default=None)
    voided: Mapped[bool] = mapped_column(default=False)
    void_reason: Mapped[str | None] = mapped_column(Text, default=None)

    applications: Mapped[list[PaymentApplication]] = relationship(
        back_populates="payment", cascade="all, delete-orphan"
    )


class PaymentMethod(IdMixin, TenantScoped, Base):
    """One of the company's QBO payment methods (Cash, Check, ACH...); a payment names one by ``key``."""

    __tablename__ = "payment_methods"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    name: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(40))  # the lower-case name a payment stores
    qbo_id: Mapped[str | None] = mapped_column(String(32), default=None)
    active: Mapped[bool] = mapped_column(default=True)


class PaymentApplication(IdMixin, TenantScoped, Base):
    __tablename__ = "payment_applications"
    __table_args__ = (UniqueConstraint("payment_id", "invoice_id"),)

    payment_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("payments.id", ondelete="CASCADE"), index=True
    )
    invoice_id: Mapped[str] = mapped_column(String(36), ForeignKey("invoices.id"), index=True)
    amount: Mapped[Decimal] = mapped_column()
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)

    payment: Mapped[Payment] = relationship(back_populates="applications")


class WriteOff(IdMixin, TimestampMixin, TenantScoped, QboSynced, Base):
    """Part or all of an invoice's balance given up. In QBO it is a credit memo (``qbo_id``) applied to the
    invoice by a zero-amount payment (``settlement_qbo_id``); both ids are kept so a retry never repeats one."""

    __tablename__ = "write_offs"

    invoice_id: Mapped[str] = mapped_column(String(36), ForeignKey("invoices.id"), index=True)
    amount: Mapped[Decimal] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    written_off_on: Mapped[date] = mapped_column()
    user_id: Mapped[str | None] = mapped_column(String(36), default=None)
    settlement_qbo_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)


class Bill(IdMixin, TimestampMixin, TenantScoped, QboSynced, Base):
    """A vendor bill, mirrored from QBO so the assistant can answer questions about payables."""

    __tablename__ = "bills"

    vendor_id: Mapped[str] = mapped_column(String(36), ForeignKey("vendors.id"), index=True)
    doc_number: Mapped[str | None] = mapped_column(String(21), default=None)
    txn_date: Mapped[date] = mapped_column()
    due_date: Mapped[date | None] = mapped_column(default=None)
    total: Mapped[Decimal] = mapped_column(default=ZERO)
    balance: Mapped[Decimal] = mapped_column(default=ZERO)
    memo: Mapped[str | None] = mapped_column(Text, default=None)
