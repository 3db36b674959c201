"""The tool step: run read tools, turn write calls into pending proposals, hand expected errors back.

Argument errors and expected domain / QuickBooks errors become tool messages so the model can correct itself;
anything else is a bug and propagates. Each call runs in its own transaction and leaves an audit row. A write's
proposal is synchronous and runs wholly in a worker thread; only a read awaits inside its (read-only) transaction.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime
from pydantic import BaseModel

from agent.audit import audit_thread
from agent.context import Context
from agent.errors import EXPECTED_ERRORS, describe_error, error_code
from agent.state import PendingAction, State
from domain.db import READ_ONLY, run_transaction
from tools.base import BooksTool, Toolbox, ToolEnv, WriteTool, dump_args


def thread_id_of(config: RunnableConfig) -> str:
    return str(config.get("configurable", {}).get("thread_id") or "no-thread")


def tool_message(call_id: str, name: str, payload: dict[str, Any], *, error: bool = False) -> ToolMessage:
    return ToolMessage(
        content=json.dumps(payload, default=str),
        tool_call_id=call_id,
        name=name,
        status="error" if error else "success",
        artifact=payload,
    )


def make_env(
    toolbox: Toolbox, session: Any, ctx: Context, thread_id: str, *, with_books: bool = True
) -> ToolEnv:
    """The environment of one call; a write is local domain work and is given no books to read."""
    actor = ctx.actor
    books = toolbox.deps.books_for(session, actor) if with_books and toolbox.deps.books_for else None
    return ToolEnv(
        session=session,
        actor=actor,
        today=ctx.resolved_today(),
        timezone=ctx.timezone,
        thread_id=thread_id,
        books=books,
        planner=toolbox.deps.planner,
    )


def _audit_detail(name: str, call_id: str, args: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    detail: dict[str, Any] = {"tool": name, "tool_call_id": call_id, "args": args}
    for key in ("intent", "query"):
        if key in out:
            detail[key] = out[key]
    if isinstance(out.get("results"), list):
        detail["result_count"] = len(out["results"])
    return detail


def make_tool_node(toolbox: Toolbox) -> Callable[..., Awaitable[dict[str, Any]]]:
    async def run_tools(state: State, config: RunnableConfig, runtime: Runtime[Context]) -> dict[str, Any]:
        ctx = runtime.context
        thread_id = thread_id_of(config)
        last = state["messages"][-1]
        assert isinstance(last, AIMessage), "the tool step follows a model message with tool calls"
        messages: list[ToolMessage] = []
        pending: list[PendingAction] = list(state.get("pending") or [])
        failures = 0
        for bad in last.invalid_tool_calls:
            # Arguments that were not even JSON: say so, so the model can send them again.
            messages.append(
                tool_message(
                    bad.get("id") or "",
                    bad.get("name") or "unknown",
                    {
                        "error": f"The arguments were not valid JSON ({bad.get('error') or 'unparseable'}); "
                        "send the call again with a JSON object.",
                        "code": "invalid_arguments",
                    },
                    error=True,
                )
            )
            failures += 1
        for call in last.tool_calls:
            call_id, name, raw = call["id"] or "", call["name"], call.get("args") or {}
            tool = toolbox.get(name)
            if tool is None:
                known = ", ".join(t.name for t in toolbox)
                messages.append(
                    tool_message(
                        call_id, name, {"error": f"Unknown tool '{name}'. Tools: {known}"}, error=True
                    )
                )
                failures += 1
                continue
            outcome = await run_tool_call(toolbox, tool, call_id, raw, ctx, thread_id)
            if isinstance(outcome, ToolMessage):
                messages.append(outcome)
                failures += outcome.status == "error"
            else:
                pending.append(outcome)
        count = (state.get("tool_failures") or 0) + failures if failures else 0
        return {"messages": messages, "pending": pending, "tool_failures": count}

    return run_tools


async def run_tool_call(
    toolbox: Toolbox, tool: BooksTool, call_id: str, raw: dict[str, Any], ctx: Context, thread_id: str
) -> ToolMessage | PendingAction:
    """One call: a read answers (a tool message), a write becomes a pending action; both are audited."""
    sm = toolbox.deps.sessionmaker
    try:
        if isinstance(tool, WriteTool):
            # Propose only: validation and a preview, no change; the approval step decides (and audits it).
            return await asyncio.to_thread(_propose, toolbox, tool, call_id, raw, ctx, thread_id)
        args, out = await _answer(toolbox, tool, raw, ctx, thread_id)
        # The audit row is its own transaction, begun and committed in one worker thread.
        detail = _audit_detail(tool.name, call_id, dump_args(args), out)
        await run_transaction(sm, lambda s: audit_thread(s, ctx.actor, "agent.tool_call", thread_id, detail))
        return tool_message(call_id, tool.name, out)
    except EXPECTED_ERRORS as exc:
        message = describe_error(exc)
        failed = {
            "tool": tool.name,
            "tool_call_id": call_id,
            "args": raw,
            "error": message,
            "code": error_code(exc),
        }
        await run_transaction(
            sm, lambda s: audit_thread(s, ctx.actor, "agent.tool_failed", thread_id, failed)
        )
        return tool_message(call_id, tool.name, {"error": message, "code": error_code(exc)}, error=True)


async def _answer(
    toolbox: Toolbox, tool: BooksTool, raw: dict[str, Any], ctx: Context, thread_id: str
) -> tuple[BaseModel, dict[str, Any]]:
    """A read, in a read-only transaction (on SQLite a WAL reader: no lock) that ends before any network wait.

    Local books answer inside the transaction without suspending. Live books answer over the network, so the
    transaction is over first: on PostgreSQL an open one would hold a pooled connection, idle in transaction, for
    as long as QuickBooks takes (or its rate limit makes us wait).
    """
    session = toolbox.deps.sessionmaker()
    try:
        await asyncio.to_thread(session.connection, execution_options={READ_ONLY: True})
        env = make_env(toolbox, session, ctx, thread_id)
        tool.check_proposer(env)
        args = tool.validate_args(raw)
        if env.books is not None and env.books.live and not tool.local_only:
            await asyncio.to_thread(session.close)
        return args, await tool.answer(args, env)
    finally:
        await asyncio.shield(asyncio.to_thread(session.close))


def _propose(
    toolbox: Toolbox, tool: WriteTool, call_id: str, raw: dict[str, Any], ctx: Context, thread_id: str
) -> PendingAction:
    """In a worker thread, in a read-only transaction that is never committed: a proposal changes nothing."""
    with toolbox.deps.sessionmaker() as session:
        # On SQLite a WAL reader: it neither waits for the writer nor blocks it.
        session.connection(execution_options={READ_ONLY: True})
        env = make_env(toolbox, session, ctx, thread_id, with_books=False)
        tool.check_proposer(env)
        args = tool.validate_args(raw)
        proposal = tool.propose(args, env)
    return PendingAction(
        tool_call_id=call_id,
        name=tool.name,
        args=dump_args(args),
        description=proposal.description,
        preview=proposal.preview,
        permission=proposal.permission.value,
    )
