"""The approval step: a proposed write becomes an ``interrupt()``; the human's decision executes, edits or drops it.

The node re-runs from its start when resumed, so everything before ``interrupt()`` is idempotent: the approval
record is got-or-created by (thread, tool call) and the "proposed" audit row is written only on creation. The
decision, the execution and their audit rows share one transaction, so a committed approval is either still
pending, rejected, executed or failed — never "approved, execution unknown". That transaction is begun, worked
and committed inside one worker thread (the tools' writes are synchronous domain work), so the write lock is never
held across an await and no SQL that may wait for it runs on the event loop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from agent.audit import audit_approval
from agent.context import Context
from agent.errors import EXPECTED_ERRORS, describe_error
from agent.state import PendingAction, State
from agent.tool_node import make_env, thread_id_of, tool_message
from domain.context import Actor
from domain.db import run_transaction
from domain.errors import PermissionDenied, ValidationFailed
from domain.models.approvals import Approval, ApprovalStatus
from domain.models.tenancy import Role
from domain.permissions import Permission
from domain.services import approvals as approvals_svc
from tools.base import ProposedAction, Toolbox, ToolEnv, WriteTool, dump_args

ALLOWED_DECISIONS = ["approve", "edit", "reject"]


class EditedAction(BaseModel):
    name: str
    args: dict[str, Any]


class Decision(BaseModel):
    # "revise" is ours, for a change typed in chat ("make it 700"): the card is shown again with it, and
    # waits for a yes. The protocol's "edit" keeps HITL semantics and executes the edited action at once.
    type: Literal["approve", "edit", "reject", "revise"]
    edited_action: EditedAction | None = None
    message: str | None = None
    # Our additions: bind the decision to the card the reviewer saw.
    approval_id: str | None = None
    action_hash: str | None = None


class DecidedBy(BaseModel):
    user_id: str | None = None
    role: Role
    name: str = Field(min_length=1)


class Resume(BaseModel):
    model_config = ConfigDict(extra="ignore")

    decisions: list[Decision] = Field(min_length=1, max_length=1)
    decided_by: DecidedBy | None = None
    approval_id: str | None = None
    action_hash: str | None = None


def interrupt_payload(approval: Approval, refusal: str | None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "action_requests": [
            {"name": approval.action_name, "args": approval.args, "description": approval.description}
        ],
        "review_configs": [
            {"action_name": approval.action_name, "allowed_decisions": list(ALLOWED_DECISIONS)}
        ],
        "approval_id": approval.id,
        "action_hash": approval.action_hash,
        "preview": approval.preview,
        "required_role": approval.required_role,
        "proposed_by": approval.proposed_by,
    }
    if refusal:
        payload["refused"] = refusal
    return payload


def _decider(resume: Resume, ctx: Context) -> Actor:
    if resume.decided_by is None:
        return ctx.actor
    who = resume.decided_by
    return Actor(tenant_id=ctx.tenant_id, user_id=who.user_id, role=who.role, name=who.name)


def make_approval_node(toolbox: Toolbox) -> Callable[..., Awaitable[Command[Any]]]:
    sm = toolbox.deps.sessionmaker

    async def approve(state: State, config: RunnableConfig, runtime: Runtime[Context]) -> Command[Any]:
        ctx = runtime.context
        thread_id = thread_id_of(config)
        item: PendingAction = state["pending"][0]
        rest = list(state["pending"][1:])

        def record_proposal(session: Session) -> tuple[dict[str, Any], ApprovalStatus, str]:
            # Off the event loop: taking SQLite's write lock may wait for another writer.
            approval, created = approvals_svc.propose(
                session,
                ctx.actor,
                approvals_svc.ProposalIn(
                    thread_id=thread_id,
                    tool_call_id=item["tool_call_id"],
                    action_name=item["name"],
                    args=item["args"],
                    description=item["description"],
                    preview=item["preview"],
                    permission=Permission(item["permission"]),
                ),
            )
            if created:
                audit_approval(
                    session,
                    ctx.actor,
                    "agent.action_proposed",
                    approval.id,
                    {
                        "thread_id": thread_id,
                        "tool": item["name"],
                        "args": item["args"],
                        "preview": item["preview"],
                        "required_role": approval.required_role,
                    },
                )
            payload = interrupt_payload(approval, state.get("refusal"))
            return payload, approval.status, approval.id

        payload, status, approval_id = await run_transaction(sm, record_proposal)

        if status != ApprovalStatus.PENDING:
            # Decided elsewhere (another process won the race): report what happened, do not ask again.
            return _done(
                item,
                rest,
                {
                    "status": str(status),
                    "approval_id": approval_id,
                    "note": "this action was already decided",
                },
            )

        raw = interrupt(payload)
        try:
            resume = Resume.model_validate(raw)
        except ValidationError as exc:
            return await _refuse(
                sm, ctx.actor, approval_id, f"The decision could not be read: {describe_error(exc)}"
            )
        decision = resume.decisions[0]
        decider = _decider(resume, ctx)
        bound_id = decision.approval_id or resume.approval_id
        if bound_id is not None and bound_id != approval_id:
            return await _refuse(
                sm,
                _decider(resume, ctx),
                approval_id,
                "The decision was for a different approval; review this one",
            )
        seen_hash = decision.action_hash or resume.action_hash
        return await _apply(toolbox, ctx, thread_id, item, rest, approval_id, decision, decider, seen_hash)

    return approve


async def _apply(
    toolbox: Toolbox,
    ctx: Context,
    thread_id: str,
    item: PendingAction,
    rest: list[PendingAction],
    approval_id: str,
    decision: Decision,
    decider: Actor,
    seen_hash: str | None,
) -> Command[Any]:
    sm = toolbox.deps.sessionmaker
    tool = toolbox.get(item["name"])
    if not isinstance(tool, WriteTool):  # the tool set changed between proposal and decision (a deploy)
        raise ValidationFailed(f"the action '{item['name']}' is no longer available")
    args = item["args"]
    if decision.type in ("edit", "revise"):
        edited = decision.edited_action
        if edited is None or edited.name != item["name"]:
            return await _refuse(
                sm, decider, approval_id, "An edit must keep the same action and give its new arguments"
            )
        try:
            args = dump_args(tool.validate_args(edited.args))
        except ValidationError as exc:
            return await _refuse(
                sm, decider, approval_id, f"The edited action is not valid: {describe_error(exc)}"
            )
    if decision.type == "revise":
        return await _revise(toolbox, ctx, thread_id, item, rest, approval_id, args, decider, seen_hash)
    step = _Step(toolbox, ctx, thread_id, item, approval_id, decider)
    try:
        # Decide, execute, finish and audit in one transaction, begun and committed in one worker thread.
        outcome = await run_transaction(
            sm, lambda session: step.decide_and_execute(session, tool, decision, args, seen_hash)
        )
    except (PermissionDenied, approvals_svc.StaleDecision) as exc:
        return await _refuse(sm, decider, approval_id, exc.message)
    # AlreadyDecided propagates: another decider won, this resume loses loudly and the winner's outcome stands.
    return _done(item, rest, outcome, error="error" in outcome)


async def _revise(
    toolbox: Toolbox,
    ctx: Context,
    thread_id: str,
    item: PendingAction,
    rest: list[PendingAction],
    approval_id: str,
    args: dict[str, Any],
    decider: Actor,
    seen_hash: str | None,
) -> Command[Any]:
    """Re-propose with the changed arguments (the same checks, a new preview), then ask again."""
    sm = toolbox.deps.sessionmaker
    tool = toolbox.get(item["name"])
    assert isinstance(tool, WriteTool)  # checked by the caller
    step = _Step(toolbox, ctx, thread_id, item, approval_id, decider)
    try:
        proposed = await run_transaction(sm, lambda session: step.revise(session, tool, args, seen_hash))
    except EXPECTED_ERRORS as exc:
        return await _refuse(sm, decider, approval_id, f"That change cannot be made: {describe_error(exc)}")
    revised: PendingAction = {
        **item,
        "args": proposed.args,
        "description": proposed.description,
        "preview": proposed.preview,
    }
    return Command(update={"pending": [revised, *rest], "refusal": None}, goto="approval")


@dataclass(frozen=True, slots=True)
class _Step:
    """The synchronous work of one decision, run inside a worker thread's transaction (``session``)."""

    toolbox: Toolbox
    ctx: Context
    thread_id: str
    item: PendingAction
    approval_id: str
    decider: Actor

    def env(self, session: Session, actor: Actor) -> ToolEnv:
        env = make_env(self.toolbox, session, self.ctx, self.thread_id, with_books=False)
        env.actor = actor
        return env

    def decide_and_execute(
        self,
        session: Session,
        tool: WriteTool,
        decision: Decision,
        args: dict[str, Any],
        seen_hash: str | None,
    ) -> dict[str, Any]:
        approvals_svc.decide(
            session,
            self.decider,
            self.approval_id,
            decision=decision.type,
            seen_hash=seen_hash,
            final_args=args if decision.type != "reject" else None,
            message=decision.message,
        )
        audit_approval(
            session,
            self.decider,
            "agent.action_decided",
            self.approval_id,
            {
                "thread_id": self.thread_id,
                "decision": decision.type,
                "tool": self.item["name"],
                "edited_args": args if decision.type == "edit" else None,
                "message": decision.message,
            },
        )
        if decision.type == "reject":
            return {
                "status": "rejected",
                "approval_id": self.approval_id,
                "message": decision.message or "The reviewer declined this action.",
            }
        outcome = self.execute(self.env(session, self.decider), tool, args)  # the approver makes the change
        approvals_svc.finish(
            session,
            self.ctx.tenant_id,
            self.approval_id,
            result=outcome.get("result"),
            error=outcome.get("error"),
        )
        return outcome

    def execute(self, env: ToolEnv, tool: WriteTool, args: dict[str, Any]) -> dict[str, Any]:
        """Run the write inside a savepoint: a domain / QuickBooks failure undoes only the write itself."""
        try:
            with env.session.begin_nested():
                validated = tool.validate_args(args)
                # Edited args must pass the same checks a proposal does (balances, catalog, prices).
                tool.propose(validated, env)
                result = tool.execute(validated, env)
        except EXPECTED_ERRORS as exc:
            message = describe_error(exc)
            self.audit(env, "agent.action_failed", {"tool": tool.name, "args": args, "error": message})
            return {"status": "failed", "approval_id": self.approval_id, "error": message}
        self.audit(env, "agent.action_executed", {"tool": tool.name, "args": args, "result": result})
        return {"status": "executed", "approval_id": self.approval_id, "result": result}

    def revise(
        self, session: Session, tool: WriteTool, args: dict[str, Any], seen_hash: str | None
    ) -> ProposedAction:
        with session.begin_nested():
            # Proposed again as the turn's user, as the first proposal was; the decider only asked for the change.
            proposed = tool.propose(tool.validate_args(args), self.env(session, self.ctx.actor))
        approvals_svc.revise(
            session,
            self.decider,
            self.approval_id,
            seen_hash=seen_hash,
            args=proposed.args,
            description=proposed.description,
            preview=proposed.preview,
        )
        audit_approval(
            session,
            self.decider,
            "agent.action_revised",
            self.approval_id,
            {
                "thread_id": self.thread_id,
                "tool": self.item["name"],
                "before": self.item["args"],
                "after": proposed.args,
            },
        )
        return proposed

    def audit(self, env: ToolEnv, action: str, detail: dict[str, Any]) -> None:
        audit_approval(
            env.session, env.actor, action, self.approval_id, {"thread_id": self.thread_id, **detail}
        )


def _done(
    item: PendingAction, rest: list[PendingAction], payload: dict[str, Any], *, error: bool = False
) -> Command[Any]:
    return Command(
        update={
            "messages": [tool_message(item["tool_call_id"], item["name"], payload, error=error)],
            "pending": rest,
            "refusal": None,
        },
        goto="approval" if rest else "model",
    )


async def _refuse(sm: Any, actor: Actor, approval_id: str, reason: str) -> Command[Any]:
    """The approval stays pending; audit the refusal and ask again with the reason on the card."""

    await run_transaction(
        sm, lambda s: audit_approval(s, actor, "agent.decision_refused", approval_id, {"reason": reason})
    )
    return Command(update={"refusal": reason}, goto="approval")
