"""The assistant as the API sees it: a compiled graph plus how to build a run's Context for an actor."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.context import DEFAULT_MARKUP_PERCENT, Context
from api.qbo_wiring import QboServices
from api.state import AppState
from domain.clock import Clock, system_clock
from domain.context import Actor
from domain.models import ConnectionStatus, QboConnection, Tenant


@dataclass
class AgentHandle:
    graph: Any
    model_name: str = "offline"
    today: date | None = None  # pinned in the demo and tests; None = the company's current date
    clock: Clock = system_clock
    toolbox: Any = None  # the graph's tools, served over MCP too
    stack: AsyncExitStack = field(default_factory=AsyncExitStack)

    def context_for(self, session: Session, actor: Actor) -> Context:
        from agent.prompts import catalog_summary
        from tools.lookup import prompt_catalog

        tenant = session.get(Tenant, actor.tenant_id)
        return Context(
            tenant_id=actor.tenant_id,
            user_id=actor.user_id,
            role=actor.role,
            user_name=actor.name,
            today=self.today,
            clock=self.clock,
            timezone=tenant.timezone if tenant else "America/Los_Angeles",
            company_name=tenant.name if tenant else "",
            # The model prices from the company's own catalog (an LLM sees it in its system prompt).
            catalog_summary=catalog_summary(prompt_catalog(session, actor.tenant_id)),
            markup_percent=tenant.default_markup_percent if tenant else DEFAULT_MARKUP_PERCENT,
        )

    async def aclose(self) -> None:
        await self.stack.aclose()


def checkpoint_url(state: AppState) -> str:
    """Checkpoints live beside the domain data: the same PostgreSQL, or a SQLite file next to the database."""
    url = state.settings.database_url
    if url.startswith("sqlite"):
        state.settings.var_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{state.settings.var_dir / 'checkpoints.sqlite'}"
    return url


def make_books_for(qbo: QboServices) -> Callable[[Session, Actor], Any]:
    """Questions are answered live from QuickBooks when the tenant is connected, else from the local store."""
    from tools.books import LocalBooks, QboBooks

    def books_for(session: Session, actor: Actor) -> Any:
        # Asked on every read: only the realm id, not the whole connection row.
        realm_id = session.scalar(
            select(QboConnection.realm_id).where(
                QboConnection.tenant_id == actor.tenant_id,
                QboConnection.status == ConnectionStatus.CONNECTED.value,
            )
        )
        if realm_id is None:
            return LocalBooks(session, actor.tenant_id)
        return QboBooks(qbo.client_for_realm(actor.tenant_id, realm_id))

    return books_for


async def build_agent_runtime(
    state: AppState, books_for: Callable[[Session, Actor], Any] | None = None
) -> AgentHandle:
    """The production graph: the tool registry, the configured chat model and a durable checkpointer."""
    from agent.checkpoint import make_checkpointer
    from agent.graph import build_graph
    from agent.models import make_chat_model
    from tools.base import ToolDeps
    from tools.registry import make_toolbox

    handle = AgentHandle(graph=None, today=state.settings.today, clock=state.clock)
    checkpointer = await handle.stack.enter_async_context(make_checkpointer(checkpoint_url(state)))
    model = make_chat_model(state.settings)
    books_for = books_for or make_books_for(state.qbo)
    toolbox = make_toolbox(ToolDeps(sessionmaker=state.sessionmaker, books_for=books_for))
    handle.graph = build_graph(model, toolbox, checkpointer)
    handle.toolbox = toolbox
    handle.model_name = str(getattr(model, "model_name", None) or getattr(model, "_llm_type", "offline"))
    return handle
