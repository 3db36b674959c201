"""``qbo-agent mcp``: the agent's tools over MCP stdio, as the user of ``QBO_AGENT_API_KEY``.

It opens the service's own database and checkpoints, so a write it proposes waits in the same approvals inbox
and, once a person approves it there (or in the chat or console), the service executes it.
"""

from __future__ import annotations

import asyncio
import os
from datetime import date
from typing import Annotated, Any

import httpx
import typer

from api.agent_wiring import build_agent_runtime
from api.identity import authenticate_api_key
from api.settings import Settings
from api.state import build_state
from domain.db import READ_ONLY, make_engine, make_sessionmaker
from tools.books import LocalBooks

API_KEY_VAR = "QBO_AGENT_API_KEY"


async def _serve_stdio(demo: bool, today: date | None) -> None:
    # The MCP SDK adds about a second to start-up; only this command needs it.
    from mcp.server.stdio import stdio_server

    from api.mcp.bridge import McpBridge, build_server

    settings = Settings()
    if demo:  # the database `serve --demo` keeps under ./var
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        db = f"sqlite:///{settings.var_dir / 'qbo_agent.sqlite'}"
        settings = settings.model_copy(update={"demo": True, "database_url": db})
    if today is not None:
        settings = settings.model_copy(update={"today": today})
    key = os.environ.get(API_KEY_VAR, "")
    if not key:
        raise typer.BadParameter(f"set {API_KEY_VAR} to the API key of the user the tools act as")
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        # Look-ups only: on SQLite a WAL reader, which never waits for nor blocks a writer.
        session.connection(execution_options={READ_ONLY: True})
        actor = authenticate_api_key(session, settings.secret, key)
    async with httpx.AsyncClient(timeout=30) as http:
        state = build_state(settings, engine, http)
        # The demo's QuickBooks lives inside the `serve --demo` process; its imported books answer here.
        local = (lambda session, who: LocalBooks(session, who.tenant_id)) if demo else None
        agent = await build_agent_runtime(state, books_for=local)
        try:

            def context() -> Any:
                with sessions() as session:
                    session.connection(execution_options={READ_ONLY: True})
                    return agent.context_for(session, actor)

            server = build_server(McpBridge(agent.graph, agent.toolbox, context, transport="stdio"))
            async with stdio_server() as (read, write):
                await server.run(read, write, server.create_initialization_options())
        finally:
            await agent.aclose()
            engine.dispose()


def register(app: typer.Typer) -> None:
    @app.command("mcp")
    def mcp(
        demo: Annotated[bool, typer.Option("--demo", help="Use the demo's database under ./var")] = False,
        today: Annotated[str | None, typer.Option("--today", help="Pin today (YYYY-MM-DD)")] = None,
    ) -> None:
        """Serve the assistant's tools over MCP stdio; writes wait for approval in the inbox."""
        day = None
        if today is not None:
            try:
                day = date.fromisoformat(today)
            except ValueError as exc:
                raise typer.BadParameter(f"expected YYYY-MM-DD, got {today!r}") from exc
        asyncio.run(_serve_stdio(demo, day))
