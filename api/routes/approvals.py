"""The approvals inbox and decisions (DESIGN §3.3): a decision resumes the thread that proposed the write.

Checks made here before the graph resumes — the approval is the tenant's, still pending, the decider's role
suffices, the decision names the action hash it saw — turn the common refusals into clean 4xx answers; the
domain's conditional update remains the guard that lets exactly one of two concurrent deciders win.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.chat.decide import build_resume, check_pending
from api.chat.events import ChatEvent
from api.chat.runner import collect, stream_turn
from api.deps import ActorDep, ReaderDep, SessionDep, StateDep
from api.errors import problem_response
from api.pagination import ListingDep, Page
from api.routes.chat import TurnPublic, agent_of, sse_response, turn_public
from api.state import AppState
from domain.errors import Conflict, ValidationFailed
from domain.models import Approval, ApprovalStatus
from domain.services import approvals as approvals_svc

router = APIRouter(prefix="/api/approvals", tags=["approvals"])


class ApprovalPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    thread_id: str
    action_name: str
    args: dict[str, Any]
    action_hash: str
    description: str
    preview: dict[str, Any]
    required_role: str
    proposed_by: str
    status: str
    decision: str | None
    decision_message: str | None
    decided_by: str | None
    decided_at: datetime | None
    final_args: dict[str, Any] | None = Field(
        description="The arguments that ran (an edit's, else the card's)"
    )
    result: dict[str, Any] | None
    error: str | None
    created_at: datetime


class EditedActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=100)
    args: dict[str, Any]


class DecisionItemIn(BaseModel):
    """One reviewer decision, as LangChain's HumanInTheLoopMiddleware shapes it."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["approve", "edit", "reject"]
    edited_action: EditedActionIn | None = None
    message: str | None = Field(default=None, max_length=2000)
    action_hash: str | None = Field(default=None, max_length=64, description="The hash shown on the card")

    def as_resume(self) -> dict[str, Any]:
        decision: dict[str, Any] = {"type": self.type}
        if self.edited_action is not None:
            decision["edited_action"] = self.edited_action.model_dump()
        if self.message:
            decision["message"] = self.message
        return decision


class DecisionIn(BaseModel):
    """``{"decisions": [...]}`` (one per pending action, in order), or the bare shorthand ``{"type": ...}``."""

    model_config = ConfigDict(extra="forbid")
    decisions: list[DecisionItemIn] | None = Field(
        default=None, description="One decision per action request of the approval, in order"
    )
    type: Literal["approve", "edit", "reject"] | None = Field(
        default=None, description="Shorthand for a single decision"
    )
    edited_action: EditedActionIn | None = None
    message: str | None = Field(default=None, max_length=2000)
    action_hash: str | None = Field(default=None, max_length=64, description="The hash shown on the card")
    stream: bool = Field(default=False, description="Answer with Server-Sent Events instead of JSON")

    @model_validator(mode="after")
    def _one_form(self) -> DecisionIn:
        if self.decisions is None and self.type is None:
            raise ValueError("give 'decisions' (one per pending action) or a bare 'type'")
        if self.decisions is not None and (self.type or self.edited_action or self.message):
            raise ValueError("give either 'decisions' or a bare 'type', not both")
        return self

    def items(self) -> list[DecisionItemIn]:
        if self.decisions is not None:
            return self.decisions
        assert self.type is not None  # the validator guarantees one form
        return [DecisionItemIn(type=self.type, edited_action=self.edited_action, message=self.message)]


class DecisionOutcome(BaseModel):
    approval: ApprovalPublic
    turn: TurnPublic


@router.get("", response_model=Page[ApprovalPublic])
def inbox(listing: ListingDep, status: ApprovalStatus | None = None) -> Page[ApprovalPublic]:
    return listing.newest(ApprovalPublic, Approval, status=status)


@router.get("/{approval_id}")
def get_approval(approval_id: str, actor: ReaderDep, session: SessionDep) -> ApprovalPublic:
    return ApprovalPublic.model_validate(approvals_svc.get_approval(session, actor.tenant_id, approval_id))


@router.post(
    "/{approval_id}/decision",
    response_model=DecisionOutcome,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def decide(
    approval_id: str,
    data: DecisionIn,
    actor: ActorDep,
    session: SessionDep,
    state: StateDep,
    request: Request,
) -> Any:
    agent = agent_of(state)
    items = data.items()
    # An approval holds one action request, so exactly one decision answers it.
    if len(items) != 1:
        raise ValidationFailed(
            f"this approval has 1 pending action; give exactly 1 decision (got {len(items)})",
            approval_id=approval_id,
        )
    item = items[0]

    def prepare() -> tuple[Any, dict[str, Any], str]:
        # In a worker thread: on SQLite the transaction waits for the write lock, never on the event loop.
        approval, resume = build_resume(
            session, actor, approval_id, item.as_resume(), item.action_hash or data.action_hash
        )
        context = agent.context_for(session, actor)
        thread_id = approval.thread_id
        session.commit()
        return context, resume, thread_id

    context, resume, thread_id = await asyncio.to_thread(prepare)
    gate = state.turns

    async def events() -> Any:
        # Re-check under the lock: a decision that waited behind the winner must lose with a 409, not resume.
        async with gate.turn(thread_id):
            current = await asyncio.to_thread(_read_approval, state, actor.tenant_id, approval_id)
            try:
                check_pending(current)
            except Conflict as exc:
                if not data.stream:
                    raise
                yield ChatEvent("error", exc.to_problem())
                yield ChatEvent("done", {"thread_id": thread_id, "status": "error"})
                return
            async for event in stream_turn(agent.graph, thread_id=thread_id, context=context, resume=resume):
                yield event

    if data.stream:
        return sse_response(events())
    result = await collect(events(), thread_id)
    if result.error is not None:
        # e.g. another process decided first (409): the loser gets the problem, not a 200 with a note.
        return problem_response(int(result.error.get("status", 500)), dict(result.error), request)
    outcome = ApprovalPublic.model_validate(
        await asyncio.to_thread(_read_approval, state, actor.tenant_id, approval_id)
    )
    return DecisionOutcome(approval=outcome, turn=turn_public(result))


def _read_approval(state: AppState, tenant_id: str, approval_id: str) -> Any:
    with state.sessionmaker() as session:
        return approvals_svc.get_approval(session, tenant_id, approval_id)
