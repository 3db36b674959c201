"""Books sources: QboBooks answers over real HTTP from the sandbox on a loopback port; QuickBooks failures
become expected errors the agent hands back to the model instead of crashing the turn."""

from __future__ import annotations

import json
import uuid
from datetime import date

import httpx
import pytest
import respx
from langchain_core.messages import HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy.orm import sessionmaker

from agent.context import Context
from agent.graph import build_graph
from domain.errors import UnknownName
from domain.intent import QboIntent
from domain.models import Role
from domain.services.tenants import create_tenant
from integrations.quickbooks.api.client import QboClient
from integrations.quickbooks.api.errors import QboError
from integrations.quickbooks.api.retry import RetryPolicy
from integrations.quickbooks.sandbox.app import create_sandbox_app
from integrations.quickbooks.sandbox.config import SandboxConfig
from integrations.quickbooks.sandbox.fixture import fixture_as_of
from integrations.quickbooks.sandbox.server import run_sandbox_server
from tests.agent.fakes import ScriptedModel, call, says
from tools.base import Toolbox, ToolDeps
from tools.books import QboBooks
from tools.read import QueryBooks

OPEN_FOR_BOB = QboIntent.model_validate(
    {
        "operation": "LIST_INVOICES",
        "filters": {"customerName": "bobs bakery", "status": "open"},
        "aggregate": "sum",
    }
)


async def _token(*, force_refresh: bool = False) -> str:
    return "token"


async def test_qbo_books_over_real_http_from_the_sandbox() -> None:
    today = fixture_as_of()
    app = create_sandbox_app(SandboxConfig(today=today))
    sandbox = app.state.sandbox
    token = sandbox.issue_tokens()["access_token"]

    async def tokens(*, force_refresh: bool = False) -> str:
        return token

    with run_sandbox_server(app) as base:
        async with httpx.AsyncClient(timeout=10) as http:
            books = QboBooks(QboClient(http, tokens, sandbox.default_realm_id, base))
            out = await books.run_intent(OPEN_FOR_BOB, today=today)
            with pytest.raises(UnknownName):
                await books.run_intent(
                    QboIntent.model_validate(
                        {"operation": "LIST_INVOICES", "filters": {"customerName": "Zed"}}
                    ),
                    today=today,
                )
    assert out["results"] and {r["CustomerRef"]["name"] for r in out["results"]} == {"Bob's Bakery"}
    assert all(float(r["Balance"]) > 0 for r in out["results"])
    assert out["aggregate"]["kind"] == "sum"
    assert out["aggregate"]["value"] == pytest.approx(sum(float(r["Balance"]) for r in out["results"]))
    assert out["query"].startswith("SELECT * FROM Invoice WHERE CustomerRef = ")


QBO = "http://qbo.test"


def _books() -> QboBooks:
    # One attempt: the error path, not the retry policy, is under test.
    return QboBooks(QboClient(httpx.AsyncClient(), _token, "9130", QBO, retry=RetryPolicy(max_attempts=1)))


@respx.mock
async def test_a_qbo_fault_is_a_typed_error() -> None:
    respx.post(url__regex=rf"{QBO}/v3/company/9130/query.*").mock(
        return_value=httpx.Response(
            400,
            json={
                "Fault": {
                    "Error": [{"Message": "Invalid query", "Detail": "QueryParserError", "code": "4000"}],
                    "type": "ValidationFault",
                }
            },
        )
    )
    intent = QboIntent.model_validate({"operation": "LIST_INVOICES", "filters": {"status": "paid"}})
    with pytest.raises(QboError) as info:
        await _books().run_intent(intent, today=date(2026, 3, 18))
    assert info.value.status >= 400
    sent = respx.calls.last.request
    assert sent.headers["authorization"] == "Bearer token"
    assert b"SELECT * FROM Invoice WHERE Balance = '0'" in sent.content


@respx.mock
async def test_qbo_failures_go_back_to_the_model_as_tool_messages(engine) -> None:
    respx.post(url__regex=rf"{QBO}/v3/company/9130/query.*").mock(
        return_value=httpx.Response(503, text="down")
    )
    sm = sessionmaker(engine, expire_on_commit=False)
    with sm() as s, s.begin():
        tenant = create_tenant(s, f"Books {uuid.uuid4().hex[:6]}")
    books = _books()
    deps = ToolDeps(sessionmaker=sm, books_for=lambda session, actor: books)
    model = ScriptedModel(
        script=[
            says("", call("query_books", intent={"operation": "LIST_INVOICES"})),
            says("QuickBooks is down."),
        ]
    )
    graph = build_graph(model, Toolbox(tools=[QueryBooks()], deps=deps), InMemorySaver())
    ctx = Context(tenant_id=tenant.id, user_id="u", role=Role.OFFICE, user_name="O", today=date(2026, 3, 18))
    out = await graph.ainvoke(
        {"messages": [HumanMessage("invoices?")]}, {"configurable": {"thread_id": "b"}}, context=ctx
    )
    [tool] = [m for m in out["messages"] if isinstance(m, ToolMessage)]
    assert tool.status == "error" and json.loads(tool.content)["code"].startswith("qbo")
    assert out["messages"][-1].content == "QuickBooks is down."


async def test_a_live_read_holds_no_database_connection_while_quickbooks_answers(engine) -> None:
    # Over real HTTP from the sandbox: each request QuickBooks gets is checked against the pool, so a read
    # transaction left open across the network wait (on PostgreSQL an idle-in-transaction connection, held for
    # as long as QBO or its rate limit takes) fails the test on either database.
    today = fixture_as_of()
    app = create_sandbox_app(SandboxConfig(today=today))
    sandbox = app.state.sandbox
    token = sandbox.issue_tokens()["access_token"]
    sm = sessionmaker(engine, expire_on_commit=False)
    with sm() as s, s.begin():
        tenant = create_tenant(s, f"Live {uuid.uuid4().hex[:6]}")
    held: list[int] = []

    async def check_pool(request: httpx.Request) -> None:
        held.append(engine.pool.checkedout())

    async def tokens(*, force_refresh: bool = False) -> str:
        return token

    model = ScriptedModel(
        script=[
            says("", call("query_books", intent=OPEN_FOR_BOB.to_json())),
            says("Bob owes that much."),
        ]
    )
    with run_sandbox_server(app) as base:
        async with httpx.AsyncClient(timeout=10, event_hooks={"request": [check_pool]}) as http:
            books = QboBooks(QboClient(http, tokens, sandbox.default_realm_id, base))
            deps = ToolDeps(sessionmaker=sm, books_for=lambda session, actor: books)
            graph = build_graph(model, Toolbox(tools=[QueryBooks()], deps=deps), InMemorySaver())
            ctx = Context(tenant_id=tenant.id, user_id="u", role=Role.OFFICE, user_name="O", today=today)
            out = await graph.ainvoke(
                {"messages": [HumanMessage("what does bob owe")]},
                {"configurable": {"thread_id": uuid.uuid4().hex}},
                context=ctx,
            )
    [tool] = [m for m in out["messages"] if isinstance(m, ToolMessage)]
    assert tool.status == "success", tool.content
    assert json.loads(tool.content)["results"], "the answer came from QuickBooks"
    assert len(held) >= 2  # the customer list and the invoices
    assert held == [0] * len(held), f"connections held while QuickBooks answered: {held}"
