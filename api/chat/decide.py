"""Turning a reviewer's decision (a card's button or words in chat) into the resume value of DESIGN §3.3."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from domain.context import Actor
from domain.digests import same_secret
from domain.errors import Conflict
from domain.models import Approval, ApprovalStatus
from domain.services import approvals as approvals_svc


def check_pending(approval: Approval) -> None:
    if approval.status != ApprovalStatus.PENDING:
        raise Conflict(
            f"This action was already {approval.status} by {approval.decided_by or 'someone else'}",
            approval_id=approval.id,
            status=str(approval.status),
        )


def build_resume(
    session: Session,
    actor: Actor,
    approval_id: str,
    decision: dict[str, Any],
    seen_hash: str | None,
) -> tuple[Approval, dict[str, Any]]:
    """Check the decision before the graph resumes: tenant, still pending, role, the hash the reviewer saw."""
    approval = approvals_svc.get_approval(session, actor.tenant_id, approval_id)
    check_pending(approval)
    approvals_svc.check_decider(actor, approval, decision["type"])
    if seen_hash is not None and not same_secret(seen_hash, approval.action_hash):
        raise Conflict("The action changed since you saw it; review it again", approval_id=approval.id)
    if decision["type"] in ("edit", "revise") and not decision.get("edited_action"):
        raise Conflict("An edit needs the edited action", approval_id=approval.id)
    bound = {**decision, "approval_id": approval.id, "action_hash": seen_hash or approval.action_hash}
    return approval, {"decisions": [bound], "approval_id": approval.id}


def resume_from_words(
    session: Session, actor: Actor, payload: dict[str, Any], text: str
) -> dict[str, Any] | None:
    """The resume value for "yes" / "no, because …" / a simple edit; None when the words decide nothing."""
    from agent.language.decisions import decision_from_words

    decision = decision_from_words(text, (payload.get("action_requests") or [{}])[0])
    if decision is None:
        return None
    if decision["type"] == "edit":
        # A change said in words is shown on a revised card and waits for a yes; it never runs at once.
        decision = {**decision, "type": "revise"}
    _approval, resume = build_resume(
        session, actor, str(payload.get("approval_id")), decision, payload.get("action_hash")
    )
    return resume
