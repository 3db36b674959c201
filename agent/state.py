"""Graph state: the conversation plus the writes waiting for a decision."""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages


class PendingAction(TypedDict):
    """A write the model asked for, validated and previewed, not yet decided (plain JSON: it is checkpointed)."""

    tool_call_id: str
    name: str
    args: dict[str, Any]
    description: str
    preview: dict[str, Any]
    permission: str


class State(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    pending: list[PendingAction]
    # Consecutive failed tool calls; the graph stops the turn when it reaches the bound.
    tool_failures: int
    # Why the last decision was refused (wrong role, stale hash); shown on the re-asked approval.
    refusal: str | None
    # What follow-ups refer to: the last query and results, customer, document and draft (agent.working_set).
    working_set: dict[str, Any]
