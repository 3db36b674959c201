"""The agent's own tools as MCP tools: same names and JSON schemas; reads answer, writes wait for a person.

A write is validated and previewed exactly as in chat, then placed on a new agent thread as if the model had
called it, so the thread stops at the approval interrupt. A person decides in the inbox, the chat or the
console; that decision resumes the thread and the approval step executes the write once.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import mcp.types as types
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.utils.function_calling import convert_to_openai_tool
from mcp.server.lowlevel import Server

from agent.audit import audit_thread
from agent.context import Context
from agent.tool_node import run_tool_call
from domain.db import READ_ONLY, run_transaction
from domain.errors import AppError
from domain.services import approvals as approvals_svc
from tools.base import Toolbox

GET_APPROVAL = "get_approval"
_GET_APPROVAL_SCHEMA = {
    "type": "object",
    "properties": {"approval_id": {"type": "string", "maxLength": 64}},
    "required": ["approval_id"],
    "additionalProperties": False,
}


@asynccontextmanager
async def _no_gate(_thread_id: str) -> AsyncIterator[None]:
    yield


@dataclass
class McpBridge:
    """Tools and graph of one agent, called on behalf of whoever ``context()`` says is calling."""

    graph: Any
    toolbox: Toolbox
    # Called in a worker thread: it reads the database, which never happens on the event loop.
    context: Callable[[], Context]
    transport: str
    # One turn per thread across processes, shared with chat and decisions.
    gate: Callable[[str], AbstractAsyncContextManager[None]] = _no_gate

    def tools(self) -> list[types.Tool]:
        listed = []
        for tool in self.toolbox:
            # The schema a chat model is given when the agent binds its tools.
            function = convert_to_openai_tool(tool)["function"]
            listed.append(
                types.Tool(
                    name=tool.name,
                    description=function.get("description") or tool.description,
                    inputSchema=function.get("parameters") or {"type": "object", "properties": {}},
                    annotations=types.ToolAnnotations(readOnlyHint=not tool.writes),
                )
            )
        listed.append(
            types.Tool(
                name=GET_APPROVAL,
                description="The status of an approval a write returned (pending, rejected, executed, failed).",
                inputSchema=_GET_APPROVAL_SCHEMA,
                annotations=types.ToolAnnotations(readOnlyHint=True),
            )
        )
        return listed

    async def call(self, name: str, args: dict[str, Any]) -> types.CallToolResult:
        ctx = await asyncio.to_thread(self.context)
        thread_id = f"mcp-{uuid.uuid4().hex}"
        try:
            outcome, error = await self._call(ctx, thread_id, name, args)
        except AppError as exc:
            outcome, error = exc.to_problem(), True
        detail = {
            "tool": name,
            "transport": self.transport,
            "status": "error" if error else str(outcome.get("status", "ok")),
            "approval_id": outcome.get("approval_id"),
        }
        await run_transaction(
            self.toolbox.deps.sessionmaker,
            lambda s: audit_thread(s, ctx.actor, "mcp.tool_call", thread_id, detail),
        )
        text = json.dumps(outcome, default=str)
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=text)], structuredContent=outcome, isError=error
        )

    async def _call(
        self, ctx: Context, thread_id: str, name: str, args: dict[str, Any]
    ) -> tuple[dict[str, Any], bool]:
        if name == GET_APPROVAL:
            return await asyncio.to_thread(self._approval, ctx, str(args.get("approval_id", ""))), False
        tool = self.toolbox.get(name)
        if tool is None:
            known = ", ".join([t.name for t in self.toolbox] + [GET_APPROVAL])
            return {"error": f"Unknown tool '{name}'. Tools: {known}", "code": "unknown_tool"}, True
        call_id = f"mcp-{uuid.uuid4().hex[:16]}"
        async with self.gate(thread_id):
            outcome = await run_tool_call(self.toolbox, tool, call_id, args, ctx, thread_id)
            if isinstance(outcome, ToolMessage):
                payload = outcome.artifact if isinstance(outcome.artifact, dict) else {}
                return payload, outcome.status == "error"
            # The write is valid: put it on its own thread as the model's call; the graph stops for approval.
            config = {"configurable": {"thread_id": thread_id}}
            request = AIMessage("", tool_calls=[{"name": name, "args": outcome["args"], "id": call_id}])
            await self.graph.aupdate_state(
                config,
                {"messages": [HumanMessage(f"(MCP) {name}"), request], "pending": [outcome]},
                as_node="tools",
            )
            out = await self.graph.ainvoke(None, config, context=ctx)
        interrupts = out.get("__interrupt__") or []
        if (
            not interrupts
        ):  # decided already (cannot happen on a new thread) or refused: report what the step said
            last = out["messages"][-1]
            return {"status": "not_pending", "detail": str(last.content)}, True
        card = dict(interrupts[0].value)
        return {
            "status": "pending_approval",
            "approval_id": card["approval_id"],
            "summary": card["action_requests"][0]["description"],
            "required_role": card.get("required_role"),
            "card": card,
        }, False

    def _approval(self, ctx: Context, approval_id: str) -> dict[str, Any]:
        with self.toolbox.deps.sessionmaker() as session:
            # A look-up: on SQLite a WAL reader, which takes no write lock.
            session.connection(execution_options={READ_ONLY: True})
            row = approvals_svc.get_approval(session, ctx.tenant_id, approval_id)
            return {
                "approval_id": row.id,
                "status": str(row.status),
                "action_name": row.action_name,
                "args": row.args,
                "decided_by": row.decided_by,
                "result": row.result,
                "error": row.error,
            }


def build_server(bridge: McpBridge) -> Server[Any, Any]:
    server: Server[Any, Any] = Server("qbo-agent", instructions=__doc__)

    @server.list_tools()  # type: ignore[no-untyped-call,untyped-decorator]
    async def list_tools() -> list[types.Tool]:
        return bridge.tools()

    # Arguments are validated by the tools' own models, so a bad call is audited and explained the same way.
    @server.call_tool(validate_input=False)  # type: ignore[untyped-decorator]
    async def call_tool(name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        return await bridge.call(name, arguments)

    return server
