"""Run one chat turn (or resume after a decision) on the compiled graph and translate it into ChatEvents.

The graph is streamed with ``messages`` (tokens as the model produces them) and ``updates`` (node results:
tool calls, tool outcomes, interrupts). One turn per thread at a time across processes; decisions are also
serialised in the database (``approvals.decide``), so two processes cannot both execute one approval.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langgraph.types import Command

from api.chat.events import ChatEvent
from domain.errors import AppError
from domain.permissions import with_article

log = logging.getLogger(__name__)


@dataclass
class TurnResult:
    """A turn collected for the JSON endpoints."""

    thread_id: str
    status: str = "complete"
    reply: str = ""
    tools: list[dict[str, Any]] = field(default_factory=list)
    approvals: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


def _tool_outcome(message: ToolMessage) -> dict[str, Any]:
    try:
        payload = json.loads(_text(message))
    except ValueError:
        payload = {"text": _text(message)}
    return {
        "tool_call_id": message.tool_call_id,
        "name": message.name,
        "status": "error" if getattr(message, "status", "success") == "error" else "ok",
        "result": payload,
    }


def approval_prompt(payload: dict[str, Any], *, waiting: bool = False) -> str:
    """The short text of an approval turn: what waits, for whom, and how to answer it in words."""
    action = (payload.get("action_requests") or [{}])[0]
    what = action.get("description") or action.get("name") or "An action"
    role = payload.get("required_role")
    head = f"“{what}” is waiting for a decision." if waiting else f"{what}: this needs approval"
    if not waiting:
        head += f" by {with_article(str(role))} or above." if role else "."
    refused = f" {payload['refused']}" if payload.get("refused") else ""
    return f"{head}{refused} Reply yes to approve, no (with a reason) to decline, or say what to change."


def _update_events(update: dict[str, Any], streamed_text: bool) -> list[ChatEvent]:
    events: list[ChatEvent] = []
    for node, value in update.items():
        if node == "__interrupt__":
            for item in value:
                payload = getattr(item, "value", item)
                data = dict(payload) if isinstance(payload, dict) else {"value": payload}
                events.append(ChatEvent("approval_required", data))
                # Never an empty reply: the turn says in words what the card asks.
                text = approval_prompt(data)
                events.append(
                    ChatEvent(
                        "message", {"role": "assistant", "text": text, "node": "approval", "streamed": False}
                    )
                )
            continue
        if not isinstance(value, dict):
            continue
        for message in value.get("messages", []) or []:
            if isinstance(message, AIMessage):
                for call in message.tool_calls:
                    events.append(
                        ChatEvent(
                            "tool_start",
                            {"tool_call_id": call["id"], "name": call["name"], "args": call["args"]},
                        )
                    )
                text = _text(message)
                if text and not message.tool_calls:
                    events.append(
                        ChatEvent(
                            "message",
                            {"role": "assistant", "text": text, "node": node, "streamed": streamed_text},
                        )
                    )
            elif isinstance(message, ToolMessage):
                events.append(ChatEvent("tool_end", _tool_outcome(message)))
    return events


def durability_for(resume: dict[str, Any] | None) -> str:
    """When the turn's checkpoints are written.

    A turn from a message is checkpointed once, when it ends (finished, failed or interrupted for an approval):
    its steps change nothing outside the checkpoint but audit rows and proposed approvals, which are committed
    before the step returns, so a crash mid-turn loses only the unanswered question, which the user asks again.
    A resume carries a decision that executes a write, so its every step is checkpointed before the next runs.
    """
    return "sync" if resume is not None else "exit"


async def stream_turn(
    graph: Any,
    *,
    thread_id: str,
    context: Any,
    message: str | None = None,
    resume: dict[str, Any] | None = None,
    tokens: bool = True,
) -> AsyncIterator[ChatEvent]:
    """Run the graph from a user message or a resume value; always ends with ``done``.

    ``tokens=False`` leaves out the ``token`` events (a caller that waits for the whole reply): the model then
    answers in one piece instead of streaming through the callbacks word by word.
    """
    config = {"configurable": {"thread_id": thread_id}}
    graph_input: Any = (
        Command(resume=resume) if resume is not None else {"messages": [HumanMessage(message or "")]}
    )
    awaiting = False
    streamed_text = False
    try:
        async for mode, chunk in graph.astream(
            graph_input,
            config,
            context=context,
            stream_mode=["messages", "updates"] if tokens else ["updates"],
            durability=durability_for(resume),
        ):
            if mode == "messages":
                piece, meta = chunk
                if isinstance(piece, AIMessageChunk | AIMessage) and meta.get("langgraph_node") in (
                    "model",
                    "give_up",
                ):
                    text = _text(piece)
                    if text:
                        streamed_text = True
                        yield ChatEvent("token", {"text": text})
            elif mode == "updates":
                for event in _update_events(chunk, streamed_text):
                    if event.event == "approval_required":
                        awaiting = True
                    if event.event == "message":
                        streamed_text = False
                    yield event
    except AppError as exc:
        yield ChatEvent("error", exc.to_problem())
        yield ChatEvent("done", {"thread_id": thread_id, "status": "error"})
        return
    yield ChatEvent(
        "done", {"thread_id": thread_id, "status": "awaiting_approval" if awaiting else "complete"}
    )


async def collect(events: AsyncIterator[ChatEvent], thread_id: str) -> TurnResult:
    result = TurnResult(thread_id=thread_id)
    replies: list[str] = []
    async for event in events:
        if event.event == "message":
            replies.append(str(event.data.get("text", "")))
        elif event.event == "tool_end":
            result.tools.append(event.data)
        elif event.event == "approval_required":
            result.approvals.append(event.data)
        elif event.event == "error":
            result.error = event.data
        elif event.event == "done":
            result.status = str(event.data.get("status", "complete"))
    result.reply = "\n\n".join(r for r in replies if r)
    return result


def serialize_history(messages: list[BaseMessage]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, HumanMessage):
            out.append({"role": "user", "text": _text(message)})
        elif isinstance(message, AIMessage):
            entry: dict[str, Any] = {"role": "assistant", "text": _text(message)}
            if message.tool_calls:
                entry["tool_calls"] = [
                    {"id": c["id"], "name": c["name"], "args": c["args"]} for c in message.tool_calls
                ]
            out.append(entry)
        elif isinstance(message, ToolMessage):
            out.append({"role": "tool", **_tool_outcome(message)})
    return out
