"""The demo in one process (ask, draft, chat, MCP, benchmarks): sandbox QBO in-process, local store, tools, graph.

The QBO sandbox runs inside this process behind ``httpx.ASGITransport``; the local store is seeded from the same
demo company with ``import_company_snapshot``, dates shifted so the company's ``asOf`` is *today*. The service
reuses these pieces; nothing here runs at import time.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

import httpx
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, ToolMessage
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

import domain.models  # noqa: F401 - registers every table before create_all
from agent.context import DEFAULT_MARKUP_PERCENT, Context
from agent.models import ModelSettings, make_chat_model
from agent.prompts import catalog_summary
from demo.company import DEMO_TIMEZONE, DEMO_USERS, demo_clock, demo_sandbox_config
from domain.clock import Clock, local_today, system_clock
from domain.context import Actor
from domain.db import Base, make_engine, transaction
from domain.drafting import CatalogEntry
from domain.models.tenancy import Role, Tenant
from domain.services.tenants import add_user, create_tenant
from integrations.quickbooks.api.client import QboClient
from integrations.quickbooks.sandbox.app import create_sandbox_app
from integrations.quickbooks.sync.importer import import_company_snapshot
from tools.base import BooksSource, Toolbox, ToolDeps
from tools.books import LocalBooks, QboBooks
from tools.lookup import catalog as load_catalog
from tools.registry import make_toolbox

SANDBOX_URL = "http://qbo-sandbox.internal"


@dataclass
class DemoRuntime:
    today: date
    company: dict[str, Any]
    engine: Engine
    sessionmaker: sessionmaker[Session]
    tenant_id: str
    company_name: str
    client: QboClient
    toolbox: Toolbox
    catalog: list[CatalogEntry]
    user_ids: dict[Role, str] = field(default_factory=dict)
    clock: Clock = system_clock

    def context(self, role: Role = Role.OWNER) -> Context:
        return Context(
            tenant_id=self.tenant_id,
            user_id=self.user_ids.get(role),
            role=role,
            user_name=DEMO_USERS[role].name,
            today=self.today,
            timezone=DEMO_TIMEZONE,
            company_name=self.company_name,
            clock=self.clock,
            catalog_summary=catalog_summary(self.catalog),
            markup_percent=self._markup_percent(),
        )

    def _markup_percent(self) -> Decimal:
        with self.sessionmaker() as s:
            tenant = s.get(Tenant, self.tenant_id)
            return tenant.default_markup_percent if tenant else DEFAULT_MARKUP_PERCENT

    def actor(self, role: Role = Role.OWNER) -> Actor:
        return self.context(role).actor

    def model(self, settings: ModelSettings | None = None, provider: str | None = None) -> BaseChatModel:
        return make_chat_model(settings, catalog=self.catalog, provider=provider)


@asynccontextmanager
async def open_demo(
    today: date | None = None,
    *,
    db_url: str = "sqlite://",
    books: Literal["qbo", "local"] = "qbo",
    clock: Clock = system_clock,
) -> AsyncIterator[DemoRuntime]:
    """The demo company in a sandbox and a local store; ``books`` picks where questions are answered."""
    clock = demo_clock(today, clock)
    day = local_today(clock, DEMO_TIMEZONE)
    app = create_sandbox_app(demo_sandbox_config(clock), clock=clock)
    sandbox = app.state.sandbox
    # The local store mirrors exactly what the sandbox seeded (the same shift of every date and stamp).
    company = sandbox.seeded[sandbox.default_realm_id]
    token = sandbox.issue_tokens()["access_token"]

    async def tokens(*, force_refresh: bool = False) -> str:
        return str(token)

    # An in-memory SQLite database lives as long as its one connection: share it across threads.
    kwargs: dict[str, Any] = (
        {"poolclass": StaticPool} if db_url in ("sqlite://", "sqlite:///:memory:") else {}
    )
    engine = make_engine(db_url, **kwargs)
    Base.metadata.create_all(engine)
    sm = sessionmaker(engine, expire_on_commit=False)
    name = company.get("CompanyInfo", {}).get("CompanyName") or "Demo Company"
    with transaction(sm) as session:
        tenant = create_tenant(session, name, timezone=DEMO_TIMEZONE)
        users = {
            role: add_user(session, tenant, email=user.email, name=user.name, role=role).id
            for role, user in DEMO_USERS.items()
        }
        import_company_snapshot(session, tenant.id, company)
        tenant_id = tenant.id
        entries = load_catalog(session, tenant_id)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=SANDBOX_URL, timeout=30
        ) as http:
            client = QboClient(http, tokens, sandbox.default_realm_id, SANDBOX_URL)

            def books_for(session: Session, actor: Actor) -> BooksSource:
                return QboBooks(client) if books == "qbo" else LocalBooks(session, actor.tenant_id)

            toolbox = make_toolbox(ToolDeps(sessionmaker=sm, books_for=books_for))
            yield DemoRuntime(
                today=day,
                company=company,
                engine=engine,
                sessionmaker=sm,
                tenant_id=tenant_id,
                company_name=name,
                client=client,
                toolbox=toolbox,
                catalog=entries,
                user_ids=users,
                clock=clock,
            )
    finally:
        sandbox.close()
        engine.dispose()


async def ask_once(
    runtime: DemoRuntime, graph: Any, question: str, *, role: Role = Role.OWNER
) -> dict[str, Any]:
    """One question through the whole read path → the ``ask --json`` object (DESIGN §3.2)."""
    config = {"configurable": {"thread_id": f"ask-{uuid.uuid4().hex}"}}
    out = await graph.ainvoke({"messages": [HumanMessage(question)]}, config, context=runtime.context(role))
    result: dict[str, Any] = {"intent": None, "query": None, "results": [], "aggregate": None}
    for message in out["messages"]:
        if isinstance(message, ToolMessage) and message.name in (
            "query_books",
            "get_invoice",
            "get_estimate",
            "get_customer",
        ):
            data = message.artifact if isinstance(message.artifact, dict) else {}
            if "results" in data:
                result = {
                    "intent": data.get("intent"),
                    "query": data.get("query"),
                    "results": data.get("results") or [],
                    "aggregate": data.get("aggregate"),
                }
            elif "error" in data:
                result["error"] = data["error"]
    if out.get("__interrupt__"):
        result["pending_approval"] = out["__interrupt__"][0].value
    last = out["messages"][-1]
    result["answer"] = str(last.content) if last.type == "ai" else ""
    return result
