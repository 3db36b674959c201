"""The outbox: domain writes enqueue a sync job in the same transaction; a worker pushes it to QBO."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from domain.db import Base, IdMixin, TenantScoped, TimestampMixin, utcnow


class SyncJobStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # will be retried
    DEAD = "dead"  # out of retries; shown as an alert until retried or dismissed
    DISMISSED = "dismissed"
    CONFLICT = "conflict"


class SyncJob(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "sync_jobs"
    __table_args__ = (Index("ix_sync_jobs_status_next", "status", "next_attempt_at"),)

    entity: Mapped[str] = mapped_column(String(32))  # customer, item, estimate, invoice, payment, ...
    entity_id: Mapped[str] = mapped_column(String(36))
    operation: Mapped[str] = mapped_column(String(16))  # upsert, delete, void, send
    status: Mapped[SyncJobStatus] = mapped_column(default=SyncJobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    locked_by: Mapped[str | None] = mapped_column(String(64), default=None)
    locked_at: Mapped[datetime | None] = mapped_column(default=None)
