"""Chat with the assistant: one turn as JSON or as Server-Sent Events; threads and their history."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.chat.decide import resume_from_words
from api.chat.events import ChatEvent
from api.chat.runner import TurnResult, approval_prompt, collect, serialize_history, stream_turn
from api.chat.threads import get_thread, list_threads, open_thread
from api.deps import ReaderDep, SessionDep, StateDep
from api.state import AppState
from domain.context import Actor
from domain.db import DURABLE, READ_ONLY
from domain.errors import AppError
from domain.services import approvals as approvals_svc

T = TypeVar("T")

router = APIRouter(prefix="/api", tags=["chat"])

ChatText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8000)]


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: ChatText
    thread_id: str | None = Field(default=None, max_length=36)


class TurnPublic(BaseModel):
    thread_id: str
    status: str = Field(description="complete | awaiting_approval | error")
    reply: str
    tools: list[dict[str, Any]]
    approvals: list[dict[str, Any]]
    error: dict[str, Any] | None = None


class ThreadPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    title: str
    created_at: datetime
    updated_at: datetime


class HistoryPublic(BaseModel):
    thread_id: str
    messages: list[dict[str, Any]]
    pending_approvals: list[dict[str, Any]]


def turn_public(result: TurnResult) -> TurnPublic:
    return TurnPublic(
        thread_id=result.thread_id,
        status=result.status,
        reply=result.reply,
        tools=result.tools,
        approvals=result.approvals,
        error=result.error,
    )


def agent_of(state: AppState) -> Any:
    if state.agent is None:
        raise AppError("The assistant is not available on this server")
    return state.agent


async def locked_events(
    state: AppState, thread_id: str, events: AsyncIterator[ChatEvent]
) -> AsyncIterator[ChatEvent]:
    """Hold the thread's lock for the whole turn, including while a stream is being read."""
    async with state.turns.turn(thread_id):
        async for event in events:
            yield event


async def sse_body(events: AsyncIterator[ChatEvent]) -> AsyncIterator[bytes]:
    n = 0
    try:
        async for event in events:
            n += 1
            yield event.sse(n)
    except Exception:
        # A bug mid-stream: the status line is already sent, so tell the client in-band, then let it raise
        # (the server logs the traceback; nothing is swallowed).
        problem = {
            "status": 500,
            "code": "internal_error",
            "detail": "The assistant failed; the error was logged.",
        }
        yield ChatEvent("error", problem).sse(n + 1)
        yield ChatEvent("done", {"status": "error"}).sse(n + 2)
        raise


def sse_response(events: AsyncIterator[ChatEvent]) -> StreamingResponse:
    return StreamingResponse(
        sse_body(events),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _start_turn(
    state: AppState, session: Any, actor: Actor, data: ChatIn, *, tokens: bool
) -> tuple[str, AsyncIterator[ChatEvent]]:
    agent = agent_of(state)
    # The request's session is used only in worker threads, each step ending its transaction: on SQLite a
    # transaction holds the write lock, which must never be waited for on the event loop nor held across an await.

    def open_turn() -> tuple[Any, str, bool]:
        # The thread row must exist for the agent's own transactions (other sessions) before the graph runs.
        thread = open_thread(session, actor, data.thread_id, data.message)
        # The approval row is committed before the graph pauses on it, so a thread with none pending has no
        # interrupt either, and its checkpoint (the whole conversation) need not be read here.
        waiting = data.thread_id is not None and approvals_svc.has_pending(
            session, actor.tenant_id, thread.id
        )
        return agent.context_for(session, actor), thread.id, waiting

    # Only the thread's row and its time of last use change: bookkeeping whose commit need not wait for the disk
    # (a power cut may lose it, as it may the conversation's last checkpoint it goes with).
    context, thread_id, waiting = await asyncio.to_thread(_in_transaction, session, open_turn, durable=False)
    if waiting:
        _messages, pending = await pending_interrupts(agent.graph, thread_id)
        if pending:
            # The thread waits on an approval: the message is the reviewer's answer ("yes", "no, because …").
            resume = await asyncio.to_thread(
                _in_transaction, session, lambda: resume_from_words(session, actor, pending[0], data.message)
            )
            if resume is None:
                return thread_id, _ask_for_decision(thread_id, pending[0])
            events = stream_turn(
                agent.graph, thread_id=thread_id, context=context, resume=resume, tokens=tokens
            )
            return thread_id, locked_events(state, thread_id, events)
    events = stream_turn(
        agent.graph, thread_id=thread_id, context=context, message=data.message, tokens=tokens
    )
    return thread_id, locked_events(state, thread_id, events)


def _in_transaction(
    session: Any, work: Callable[[], T], *, read_only: bool = False, durable: bool = True
) -> T:
    """Run ``work`` and commit, in the calling (worker) thread; a failure rolls back.

    ``read_only`` work runs as a reader (on SQLite it neither waits for nor blocks the writer); work that is not
    ``durable`` commits without waiting for the disk on SQLite (see ``domain.db.DURABLE``).
    """
    try:
        if read_only or not durable:
            session.connection(execution_options={READ_ONLY: read_only, DURABLE: durable})
        result = work()
        session.commit()
        return result
    except BaseException:
        session.rollback()
        raise


async def _ask_for_decision(thread_id: str, payload: dict[str, Any]) -> AsyncIterator[ChatEvent]:
    yield ChatEvent("message", {"role": "assistant", "text": approval_prompt(payload, waiting=True)})
    yield ChatEvent("approval_required", payload)
    yield ChatEvent("done", {"thread_id": thread_id, "status": "awaiting_approval"})


@router.post("/chat")
async def chat(data: ChatIn, actor: ReaderDep, session: SessionDep, state: StateDep) -> TurnPublic:
    thread_id, events = await _start_turn(state, session, actor, data, tokens=False)
    return turn_public(await collect(events, thread_id))


@router.post(
    "/chat/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "token, tool_start, tool_end, approval_required, message, error and done events",
        }
    },
)
async def chat_stream(
    data: ChatIn, actor: ReaderDep, session: SessionDep, state: StateDep
) -> StreamingResponse:
    _thread_id, events = await _start_turn(state, session, actor, data, tokens=True)
    return sse_response(events)


@router.get("/threads")
def threads(actor: ReaderDep, session: SessionDep) -> list[ThreadPublic]:
    return [ThreadPublic.model_validate(t) for t in list_threads(session, actor)]


async def pending_interrupts(graph: Any, thread_id: str) -> tuple[list[Any], list[dict[str, Any]]]:
    snapshot = await graph.aget_state({"configurable": {"thread_id": thread_id}})
    messages = list((snapshot.values or {}).get("messages", []))
    pending = [
        dict(i.value)
        for task in (snapshot.tasks or ())
        for i in (task.interrupts or ())
        if isinstance(i.value, dict)
    ]
    return messages, pending


@router.get("/threads/{thread_id}/messages")
async def history(thread_id: str, actor: ReaderDep, session: SessionDep, state: StateDep) -> HistoryPublic:
    thread = await asyncio.to_thread(
        _in_transaction, session, lambda: get_thread(session, actor, thread_id), read_only=True
    )
    messages, pending = await pending_interrupts(agent_of(state).graph, thread.id)
    return HistoryPublic(thread_id=thread.id, messages=serialize_history(messages), pending_approvals=pending)
