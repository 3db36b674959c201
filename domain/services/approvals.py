"""Approval records for writes the assistant proposed.

A proposal is created idempotently (one per thread + tool call), because the agent's approval step re-runs from
its start when it resumes. A decision binds to the exact action it saw (``action_hash``), is checked against the
deciding user's role, and is taken with a conditional update so that of two concurrent deciders exactly one wins.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.context import Actor
from domain.db import utcnow
from domain.digests import same_secret
from domain.errors import Conflict, PermissionDenied, ValidationFailed
from domain.models.approvals import Approval, ApprovalStatus
from domain.permissions import Permission, can, roles_with, sentence, with_article
from domain.services.common import get_scoped
from domain.services.snapshots import jsonable

DECISIONS = ("approve", "edit", "reject")


class StaleDecision(Conflict):
    """The decision carried the hash of a different action than the one pending: review it again."""

    code = "stale_decision"


class AlreadyDecided(Conflict):
    """Someone else decided first; their decision stands."""

    code = "already_decided"


def action_hash(name: str, args: dict[str, Any]) -> str:
    """SHA-256 over the action name and its canonical JSON args (Decimals and dates as strings)."""
    encoded = json.dumps({"name": name, "args": jsonable(args)}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def required_role(permission: Permission) -> str:
    """The most junior role that may approve an action needing ``permission``."""
    for role in roles_with(permission):
        if can(role, Permission.APPROVE_ACTIONS):
            return role.value
    raise ValidationFailed(f"no role may approve an action needing {permission.value}")


@dataclass(frozen=True, slots=True)
class ProposalIn:
    thread_id: str
    tool_call_id: str
    action_name: str
    args: dict[str, Any]
    description: str
    preview: dict[str, Any]
    permission: Permission


def propose(session: Session, actor: Actor, proposal: ProposalIn) -> tuple[Approval, bool]:
    """Get or create the approval for this thread + tool call; returns ``(approval, created)``."""
    existing = _find(session, actor.tenant_id, proposal.thread_id, proposal.tool_call_id)
    if existing is not None:
        return existing, False
    args = jsonable(proposal.args)
    row = Approval(
        tenant_id=actor.tenant_id,
        thread_id=proposal.thread_id,
        tool_call_id=proposal.tool_call_id,
        action_name=proposal.action_name,
        args=args,
        action_hash=action_hash(proposal.action_name, args),
        description=proposal.description,
        preview=jsonable(proposal.preview),
        permission=proposal.permission.value,
        required_role=required_role(proposal.permission),
        proposed_by_user_id=actor.user_id,
        proposed_by=actor.label,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # Another process created it between our look-up and insert: theirs is the record.
        found = _find(session, actor.tenant_id, proposal.thread_id, proposal.tool_call_id)
        if found is None:
            raise
        return found, False
    return row, True


def _find(session: Session, tenant_id: str, thread_id: str, tool_call_id: str) -> Approval | None:
    return session.scalars(
        select(Approval).where(
            Approval.tenant_id == tenant_id,
            Approval.thread_id == thread_id,
            Approval.tool_call_id == tool_call_id,
        )
    ).first()


def get_approval(session: Session, tenant_id: str, approval_id: str) -> Approval:
    return get_scoped(session, Approval, tenant_id, approval_id)


def list_pending(session: Session, tenant_id: str, *, thread_id: str | None = None) -> list[Approval]:
    query = select(Approval).where(Approval.tenant_id == tenant_id, Approval.status == ApprovalStatus.PENDING)
    if thread_id is not None:
        query = query.where(Approval.thread_id == thread_id)
    return list(session.scalars(query.order_by(Approval.created_at)))


def has_pending(session: Session, tenant_id: str, thread_id: str) -> bool:
    """Whether an approval on the thread still waits for a decision (one indexed look-up)."""
    query = select(Approval.id).where(
        Approval.tenant_id == tenant_id,
        Approval.thread_id == thread_id,
        Approval.status == ApprovalStatus.PENDING,
    )
    return session.scalar(query.limit(1)) is not None


def check_decider(actor: Actor, approval: Approval, decision: str) -> None:
    """Who may approve may also edit or reject; a proposer may withdraw (reject) their own proposal."""
    if decision == "reject" and actor.user_id is not None and actor.user_id == approval.proposed_by_user_id:
        return
    verb = "reject" if decision == "reject" else "approve"
    for needed in (Permission.APPROVE_ACTIONS, Permission(approval.permission)):
        if not can(actor.role, needed):
            raise PermissionDenied(
                sentence(
                    f"{with_article(actor.role.value)} may not {verb} '{approval.action_name}'; "
                    f"it needs {with_article(approval.required_role)} or above"
                ),
                role=actor.role.value,
                permission=needed.value,
                approval_id=approval.id,
            )


def decide(
    session: Session,
    actor: Actor,
    approval_id: str,
    *,
    decision: str,
    seen_hash: str | None,
    final_args: dict[str, Any] | None = None,
    message: str | None = None,
) -> Approval:
    """Record a decision on a pending approval; exactly one of concurrent deciders succeeds."""
    if decision not in DECISIONS:
        raise ValidationFailed(f"unknown decision '{decision}'; expected one of {', '.join(DECISIONS)}")
    approval = get_approval(session, actor.tenant_id, approval_id)
    check_decider(actor, approval, decision)
    if seen_hash is not None and not same_secret(seen_hash, approval.action_hash):
        raise StaleDecision(
            "The decision was made on a different version of this action; review it again",
            approval_id=approval_id,
        )
    status = ApprovalStatus.REJECTED if decision == "reject" else ApprovalStatus.APPROVED
    values: dict[str, Any] = {
        "status": status,
        "decision": decision,
        "decision_message": message,
        "final_args": jsonable(final_args) if final_args is not None else None,
        "decided_by_user_id": actor.user_id,
        "decided_by": actor.label,
        "decided_at": utcnow(),
        "updated_at": utcnow(),
    }
    result = session.execute(
        update(Approval)
        .where(
            Approval.id == approval_id,
            Approval.tenant_id == actor.tenant_id,
            Approval.status == ApprovalStatus.PENDING,
            # The version checked above: a revision committed meanwhile must not be approved unseen.
            Approval.action_hash == approval.action_hash,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(approval)
        if approval.status == ApprovalStatus.PENDING:
            raise StaleDecision(
                "This action was changed while you decided; review it again", approval_id=approval_id
            )
        raise _already_decided(approval)
    session.refresh(approval)
    return approval


def _already_decided(approval: Approval) -> AlreadyDecided:
    return AlreadyDecided(
        f"This action was already {approval.status} by {approval.decided_by or 'someone else'}",
        approval_id=approval.id,
        status=str(approval.status),
    )


def revise(
    session: Session,
    actor: Actor,
    approval_id: str,
    *,
    seen_hash: str | None,
    args: dict[str, Any],
    description: str,
    preview: dict[str, Any],
) -> Approval:
    """A change asked for in words: the pending action gets new arguments and a new hash, and waits again.

    Only from the version the reviewer saw, and only while pending; the new hash voids any decision on the old."""
    approval = get_approval(session, actor.tenant_id, approval_id)
    check_decider(actor, approval, "edit")
    if seen_hash is not None and not same_secret(seen_hash, approval.action_hash):
        raise StaleDecision(
            "The change was asked for on a different version of this action; review it again",
            approval_id=approval_id,
        )
    kept = jsonable(args)
    result = session.execute(
        update(Approval)
        .where(
            Approval.id == approval_id,
            Approval.tenant_id == actor.tenant_id,
            Approval.status == ApprovalStatus.PENDING,
            Approval.action_hash == approval.action_hash,
        )
        .values(
            args=kept,
            action_hash=action_hash(approval.action_name, kept),
            description=description,
            preview=jsonable(preview),
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(approval)
        raise _already_decided(approval)
    session.refresh(approval)
    return approval


def finish(
    session: Session,
    tenant_id: str,
    approval_id: str,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> Approval:
    """Mark an approved action as executed (``result``) or failed (``error``)."""
    approval = get_approval(session, tenant_id, approval_id)
    if approval.status != ApprovalStatus.APPROVED:
        raise Conflict(f"approval {approval_id} is {approval.status}, not approved", approval_id=approval_id)
    approval.status = ApprovalStatus.FAILED if error else ApprovalStatus.EXECUTED
    approval.result = jsonable(result) if result is not None else None
    approval.error = error
    session.flush()
    return approval
