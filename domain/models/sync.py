"""Sync bookkeeping: the outbox/inbox queue, webhook events, runs, per-record history and state, conflicts,
account mappings (versioned) with their review queue, and in-app alerts.

QBO is the accounting truth and this app the workflow truth; these tables remember what each side last agreed
on (``SyncState``) so a change on either side can be told apart from a conflict.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, String, Text, UniqueConstraint
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


class SyncDirection(enum.StrEnum):
    PUSH = "push"
    PULL = "pull"


class SyncJob(IdMixin, TimestampMixin, TenantScoped, Base):
    """One unit of sync work. Push jobs name a local record; pull jobs name a QBO entity and its Id."""

    __tablename__ = "sync_jobs"
    __table_args__ = (
        Index("ix_sync_jobs_status_next", "status", "next_attempt_at"),
        # A record's open jobs (the claim skips a record already running; a new change reuses a waiting job).
        Index("ix_sync_jobs_record", "tenant_id", "entity", "entity_id", "direction"),
    )

    entity: Mapped[str] = mapped_column(String(32))  # customer, item, estimate, invoice, payment, ...
    entity_id: Mapped[str] = mapped_column(String(36))  # local id (push) or QBO Id (pull)
    operation: Mapped[str] = mapped_column(String(16))  # upsert, delete, void, send, fetch, merge
    direction: Mapped[SyncDirection] = mapped_column(default=SyncDirection.PUSH)
    status: Mapped[SyncJobStatus] = mapped_column(default=SyncJobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    # auth | validation | rate_limit | network | server | conflict | not_found | dependency
    error_kind: Mapped[str | None] = mapped_column(String(20), default=None)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    locked_by: Mapped[str | None] = mapped_column(String(64), default=None)
    # When the holder last claimed or renewed the job; a running job not renewed within the lease is taken over.
    locked_at: Mapped[datetime | None] = mapped_column(default=None)
    # A fresh token per claim: only the claim holding it may settle the job (a finisher whose lease ran out
    # and whose job was claimed again, even by the same worker, cannot overwrite the new claim's result).
    claim_token: Mapped[str | None] = mapped_column(String(36), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class WebhookEvent(IdMixin, Base):
    """One entity change QBO told us about; the dedup key makes a redelivered or repeated event a no-op."""

    __tablename__ = "sync_webhook_events"
    __table_args__ = (UniqueConstraint("dedup_key"),)

    dedup_key: Mapped[str] = mapped_column(String(64))  # sha256 of realm|entity|id|operation|time
    tenant_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    realm_id: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    qbo_id: Mapped[str] = mapped_column(String(32))
    operation: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[str] = mapped_column(String(40))
    deleted_id: Mapped[str | None] = mapped_column(String(32), default=None)
    source_format: Mapped[str] = mapped_column(String(12))  # legacy | cloudevents | cdc
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    job_id: Mapped[str | None] = mapped_column(String(36), default=None)


class SyncRun(IdMixin, TenantScoped, Base):
    """A sync pass (a push drain, an import, a CDC poll) with its counts — the dashboard's log."""

    __tablename__ = "sync_runs"

    kind: Mapped[str] = mapped_column(String(16))  # push | pull | import | cdc | webhook
    trigger: Mapped[str] = mapped_column(String(16), default="scheduled")  # manual | scheduled | real_time
    status: Mapped[str] = mapped_column(String(16), default="started")  # started|completed|partial|failed
    processed: Mapped[int] = mapped_column(default=0)
    succeeded: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    error_summary: Mapped[str | None] = mapped_column(Text, default=None)
    # Per entity: {"Customer": {"done": 10, "total": 12}}; import progress and breakdowns.
    progress: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SyncRecord(IdMixin, TenantScoped, Base):
    """History per record: every push, pull, conflict and error that touched it."""

    __tablename__ = "sync_records"
    __table_args__ = (Index("ix_sync_records_entity", "tenant_id", "entity", "entity_id"),)

    run_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    job_id: Mapped[str | None] = mapped_column(String(36), default=None)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(36), default=None)
    qbo_id: Mapped[str | None] = mapped_column(String(32), default=None)
    direction: Mapped[str] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(16))  # create, update, delete, void, send, fetch, merge
    status: Mapped[str] = mapped_column(String(16))  # synced | conflict | error | skipped
    message: Mapped[str | None] = mapped_column(Text, default=None)
    checksum: Mapped[str | None] = mapped_column(String(64), default=None)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncState(IdMixin, TenantScoped, Base):
    """What both sides last agreed on for one record: the base a three-way comparison starts from."""

    __tablename__ = "sync_states"
    __table_args__ = (UniqueConstraint("tenant_id", "entity", "entity_id"),)

    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(36))
    qbo_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    # Each side is compared with its own last-synced self, so the two vocabularies never need to match.
    base_checksum: Mapped[str | None] = mapped_column(String(64), default=None)  # local key fields
    base_values: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    remote_checksum: Mapped[str | None] = mapped_column(String(64), default=None)  # QBO key fields
    remote_values: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    remote_sync_token: Mapped[str | None] = mapped_column(String(16), default=None)
    # Checksum of the whole payload last sent or received: a change outside the key fields still syncs.
    payload_checksum: Mapped[str | None] = mapped_column(String(64), default=None)
    remote_updated_at: Mapped[str | None] = mapped_column(String(40), default=None)
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConflictStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class SyncConflict(IdMixin, TimestampMixin, TenantScoped, Base):
    """Both sides changed the key fields of one record; kept for a person to resolve side by side."""

    __tablename__ = "sync_conflicts"
    __table_args__ = (Index("ix_sync_conflicts_open", "tenant_id", "status"),)

    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(36))
    qbo_id: Mapped[str | None] = mapped_column(String(32), default=None)
    strategy: Mapped[str] = mapped_column(String(20))
    local_values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    remote_values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    base_values: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    local_checksum: Mapped[str] = mapped_column(String(64))
    remote_checksum: Mapped[str] = mapped_column(String(64))
    remote_sync_token: Mapped[str | None] = mapped_column(String(16), default=None)
    status: Mapped[ConflictStatus] = mapped_column(default=ConflictStatus.OPEN)
    resolution: Mapped[str | None] = mapped_column(String(16), default=None)  # platform | qbo
    resolved_by: Mapped[str | None] = mapped_column(String(200), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    job_id: Mapped[str | None] = mapped_column(String(36), default=None)


class AccountMapping(IdMixin, TenantScoped, Base):
    """Item or cost code → QBO account, per profile. Versioned: a change adds a row and retires the old one,
    so documents synced under the old mapping keep pointing where they did."""

    __tablename__ = "sync_account_mappings"
    __table_args__ = (
        Index("ix_sync_account_mappings_key", "tenant_id", "profile", "source_kind", "source_key", "active"),
    )

    profile: Mapped[str] = mapped_column(String(16))  # revenue | expense | asset | liability
    source_kind: Mapped[str] = mapped_column(String(16))  # item | cost_code
    source_key: Mapped[str] = mapped_column(String(100))  # item id or cost code
    account_qbo_id: Mapped[str] = mapped_column(String(32))
    account_name: Mapped[str | None] = mapped_column(String(200), default=None)
    version: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(default=None)


class MappingReview(IdMixin, TenantScoped, Base):
    """A record held back from sync because its item or cost code has no account mapping yet."""

    __tablename__ = "sync_mapping_reviews"
    __table_args__ = (Index("ix_sync_mapping_reviews_open", "tenant_id", "status"),)

    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(36))
    profile: Mapped[str] = mapped_column(String(16))
    source_kind: Mapped[str] = mapped_column(String(16))
    source_key: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | released
    job_id: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(default=None)


class SyncAlert(IdMixin, TenantScoped, Base):
    """An in-app alert (dead-lettered job, lost connection) until someone acknowledges it."""

    __tablename__ = "sync_alerts"

    kind: Mapped[str] = mapped_column(String(24))  # dead_letter | auth | conflict
    message: Mapped[str] = mapped_column(Text)
    job_id: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)


class RealmLease(Base):
    """Which sync worker owns one QBO company's sync work, until when (QBO's per-realm throttles are kept by the
    shared budget, ``QboRateSlot``). Keyed by realm (or, on SQLite, one key for the one worker)."""

    __tablename__ = "sync_realm_leases"

    realm_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    owner: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime]


__all__ = [
    "AccountMapping",
    "ConflictStatus",
    "MappingReview",
    "RealmLease",
    "SyncAlert",
    "SyncConflict",
    "SyncDirection",
    "SyncJob",
    "SyncJobStatus",
    "SyncRecord",
    "SyncRun",
    "SyncState",
    "WebhookEvent",
]
