"""Streamable HTTP at ``/mcp``: the same API keys (``Authorization: Bearer``), each call as the key's user."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from api.errors import problem_response
from api.mcp.bridge import McpBridge, build_server
from api.state import AppState
from domain.context import Actor
from domain.db import READ_ONLY
from domain.errors import AppError, Unauthenticated

_caller: contextvars.ContextVar[Actor] = contextvars.ContextVar("mcp_caller")


class McpHttp:
    """An ASGI endpoint: authenticate, then hand the request to the SDK's session manager (stateless)."""

    def __init__(self, services: Callable[[], AppState]) -> None:
        self._services = services
        self._manager: StreamableHTTPSessionManager | None = None

    @asynccontextmanager
    async def running(self, state: AppState) -> AsyncIterator[None]:
        agent = state.agent
        if agent is None or getattr(agent, "toolbox", None) is None:
            yield  # no agent in this app (some tests): /mcp answers 503
            return

        def context() -> Any:  # in a worker thread, which carries the caller's context variables
            with state.sessionmaker() as session:
                session.connection(execution_options={READ_ONLY: True})
                return agent.context_for(session, _caller.get())

        gate = state.turns.turn
        bridge = McpBridge(agent.graph, agent.toolbox, context, transport="http", gate=gate)
        # Stateless: every request carries its key, so no session outlives the caller's authentication.
        self._manager = StreamableHTTPSessionManager(build_server(bridge), json_response=True, stateless=True)
        async with self._manager.run():
            yield
        self._manager = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            # Off the event loop: it reads the database.
            actor = await asyncio.to_thread(self._authenticate, request)
        except AppError as exc:
            await problem_response(exc.status, exc.to_problem(), request)(scope, receive, send)
            return
        if self._manager is None:
            body = {"title": "MCP is not available", "status": 503, "detail": "the agent is not running"}
            await problem_response(503, body, request)(scope, receive, send)
            return
        token = _caller.set(actor)
        try:
            await self._manager.handle_request(scope, receive, send)
        finally:
            _caller.reset(token)

    def _authenticate(self, request: Request) -> Actor:
        from api.deps import bearer_token
        from api.identity import authenticate_api_key
        from api.security.keys import KEY_PREFIX

        state = self._services()
        token = bearer_token(request)
        if not token.startswith(KEY_PREFIX):
            raise Unauthenticated("MCP takes an API key: 'Authorization: Bearer <API key>'")
        with state.sessionmaker() as session:
            session.connection(execution_options={READ_ONLY: True})
            return authenticate_api_key(session, state.settings.secret, token)
