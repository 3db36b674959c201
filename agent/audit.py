"""Audit rows for every step the agent takes (seed 001 §11.3: intent, request, result count, user context)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from domain.context import Actor
from domain.services.audit import record_audit

THREAD_ENTITY = "agent_thread"
APPROVAL_ENTITY = "approval"


def audit_thread(session: Session, actor: Actor, action: str, thread_id: str, detail: dict[str, Any]) -> None:
    # entity_id holds at most 64 characters; the full thread id stays in the detail.
    record_audit(
        session, actor, action, THREAD_ENTITY, thread_id[:64], detail={"thread_id": thread_id, **detail}
    )


def audit_approval(
    session: Session, actor: Actor, action: str, approval_id: str, detail: dict[str, Any]
) -> None:
    record_audit(session, actor, action, APPROVAL_ENTITY, approval_id, detail=detail)
