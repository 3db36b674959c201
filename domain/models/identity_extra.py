"""Records the service keeps about callers: idempotency keys of POST requests, chat threads, turn leases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.db import Base, IdMixin, TenantScoped, utcnow


class IdempotencyRecord(IdMixin, Base):
    """One POST made with an ``Idempotency-Key``; the response is kept so a retry gets the same answer.

    Keyed by a hash of the caller's credential rather than a tenant: the record is claimed before the
    credential is checked, and a key is per-user anyway.
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("owner_hash", "key"),)

    owner_hash: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status_code: Mapped[int | None] = mapped_column(default=None)
    content_type: Mapped[str | None] = mapped_column(String(100), default=None)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)


class ChatThread(IdMixin, TenantScoped, Base):
    """A conversation with the assistant; its messages live in the agent's checkpointer under this id."""

    __tablename__ = "chat_threads"

    user_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TurnLease(Base):
    """Who runs a chat thread's turn right now, across every process; deleted when the turn ends.

    ``expires_at`` lets another process take over the thread of a worker that died mid-turn.
    """

    __tablename__ = "turn_leases"

    thread_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column()
