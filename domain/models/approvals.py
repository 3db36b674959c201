"""Writes the assistant proposed, waiting for (or past) a human decision."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.db import Base, IdMixin, TenantScoped, TimestampMixin


class ApprovalStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXECUTED = "executed"
    FAILED = "failed"


class Approval(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "approvals"
    # One record per proposed tool call: the agent's approval step re-runs on resume and must find it again.
    __table_args__ = (UniqueConstraint("tenant_id", "thread_id", "tool_call_id"),)

    thread_id: Mapped[str] = mapped_column(String(128), index=True)
    tool_call_id: Mapped[str] = mapped_column(String(128))
    action_name: Mapped[str] = mapped_column(String(100))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    # SHA-256 of name + canonical args: a decision must carry the hash of the action it saw.
    action_hash: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    preview: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    permission: Mapped[str] = mapped_column(String(40))
    required_role: Mapped[str] = mapped_column(String(16))
    proposed_by_user_id: Mapped[str | None] = mapped_column(String(36), default=None)
    proposed_by: Mapped[str] = mapped_column(String(200))
    status: Mapped[ApprovalStatus] = mapped_column(String(16), default=ApprovalStatus.PENDING, index=True)
    decision: Mapped[str | None] = mapped_column(String(16), default=None)
    decision_message: Mapped[str | None] = mapped_column(Text, default=None)
    # The args that were finally executed (differ from ``args`` when the reviewer edited them).
    final_args: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    decided_by_user_id: Mapped[str | None] = mapped_column(String(36), default=None)
    decided_by: Mapped[str | None] = mapped_column(String(200), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
