"""The assistant as the API sees it: a compiled graph plus how to build a run's Context for an actor."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from agent.context import Context
from api.state import AppState
from domain.context import Actor
from domain.models import Tenant


@dataclass
class AgentHandle:
    graph: Any
    model_name: str = "offline"
    today: date | None = None  # pinned in the demo and tests; None = the company's current date
    stack: AsyncExitStack = field(default_factory=AsyncExitStack)

    def context_for(self, session: Session, actor: Actor) -> Context:
        tenant = session.get(Tenant, actor.tenant_id)
        return Context(
            tenant_id=actor.tenant_id, user_id=actor.user_id, role=actor.role, user_name=actor.name,
            today=self.today, timezone=tenant.timezone if tenant else "America/Los_Angeles",
            company_name=tenant.name if tenant else "",
        )

    async def aclose(self) -> None:
        await self.stack.aclose()


def checkpoint_url(state: AppState) -> str:
    """Checkpoints live beside the domain data: the same PostgreSQL, or a SQLite file next to the database."""
    url = state.settings.database_url
    if url.startswith("sqlite"):
        return f"sqlite:///{state.settings.var_dir / 'checkpoints.sqlite'}"
    return url


async def build_agent_runtime(state: AppState) -> AgentHandle:
    """The production graph: the tool registry, the configured chat model and a durable checkpointer."""
    from agent.models import make_chat_model

    from agent.checkpoint import make_checkpointer
    from agent.graph import build_graph
    from tools.base import ToolDeps
    from tools.registry import make_toolbox

    handle = AgentHandle(graph=None, today=state.settings.today)
    checkpointer = await handle.stack.enter_async_context(make_checkpointer(checkpoint_url(state)))
    model, model_name = make_chat_model(state.settings)
    toolbox = make_toolbox(ToolDeps(sessionmaker=state.sessionmaker))
    handle.graph = build_graph(model, toolbox, checkpointer)
    handle.model_name = model_name
    return handle


