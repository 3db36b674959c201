"""Audit log rows and the chain check."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    detail: dict[str, Any] | None
    hash: str


class AuditChainPublic(BaseModel):
    ok: bool
    rows: int
    broken_at_seq: int | None = None
    reason: str | None = None
