"""The agent's tools over MCP streamable HTTP at /mcp, driven by the SDK's own client against uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from langchain_core.utils.function_calling import convert_to_openai_tool
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from api.app import create_app
from domain.models import Approval, AuditLog, Customer, Role
from tests.agent.transaction_watch import watch_write_transactions
from tests.api.conftest import TenantKeys, make_settings, seed_tenant
from tests.api.live import serve
from tools.registry import all_tools


@dataclass
class Live:
    base: str
    engine: Engine
    tenant: TenantKeys
    other: TenantKeys

    @asynccontextmanager
    async def session(self, key: str) -> AsyncIterator[ClientSession]:
        http = httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30)
        async with (
            http,
            streamable_http_client(f"{self.base}/mcp", http_client=http) as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            yield session


@pytest.fixture()
def live(api_engine: Engine, tmp_path: Path) -> Iterator[Live]:
    settings = make_settings(var_dir=tmp_path / "var")
    tenant = seed_tenant(api_engine, "Northwind Plumbing", settings)
    other = seed_tenant(api_engine, "Other Heating", settings)
    app = create_app(settings, engine=api_engine)  # the production agent wiring, offline model
    with serve(app) as base:
        yield Live(base, api_engine, tenant, other)


def _customers(engine: Engine, tenant_id: str, name: str) -> int:
    with Session(engine) as s:
        query = select(func.count()).where(Customer.tenant_id == tenant_id, Customer.display_name == name)
        return int(s.scalar(query) or 0)


async def test_tools_match_the_agent_and_a_write_waits_for_approval(live: Live) -> None:
    async with live.session(live.tenant.keys[Role.TECHNICIAN]) as mcp:
        listed = (await mcp.list_tools()).tools
        agent_tools = {t.name: convert_to_openai_tool(t)["function"]["parameters"] for t in all_tools()}
        served = {t.name: t.inputSchema for t in listed}
        assert {n: served[n] for n in agent_tools} == agent_tools
        assert set(served) == {*agent_tools, "get_approval"}

        read = await mcp.call_tool("get_customer", {"name": "Jane Cooper"})
        assert not read.isError, read.content
        assert read.structuredContent is not None
        assert read.structuredContent["results"][0]["DisplayName"] == "Jane Cooper (Northwind Plumbing)"

        write = await mcp.call_tool("create_customer", {"display_name": "Mcp Mechanical"})
        assert not write.isError, write.content
        pending = write.structuredContent
        assert pending is not None and pending["status"] == "pending_approval"
        assert pending["card"]["action_requests"][0]["name"] == "create_customer"
        assert "Mcp Mechanical" in pending["summary"]
        assert _customers(live.engine, live.tenant.tenant_id, "Mcp Mechanical") == 0

        bad = await mcp.call_tool("create_customer", {"display_name": ""})
        assert bad.isError
        unknown = await mcp.call_tool("drop_tables", {})
        assert unknown.isError

    approval_id = pending["approval_id"]
    with Session(live.engine) as s:
        row = s.get(Approval, approval_id)
        assert row is not None and row.status == "pending" and row.tenant_id == live.tenant.tenant_id
    # Another company's key sees neither the approval nor can decide it.
    async with live.session(live.other.keys[Role.OWNER]) as mcp:
        assert (await mcp.call_tool("get_approval", {"approval_id": approval_id})).isError
    decision = {"decisions": [{"type": "approve"}]}
    url = f"{live.base}/api/approvals/{approval_id}/decision"
    assert httpx.post(url, json=decision, headers=live.other.headers(Role.OWNER)).status_code == 404
    assert _customers(live.engine, live.tenant.tenant_id, "Mcp Mechanical") == 0

    decided = httpx.post(url, json=decision, headers=live.tenant.headers(Role.OFFICE), timeout=30)
    assert decided.status_code == 200, decided.text
    assert decided.json()["approval"]["status"] == "executed"
    assert httpx.post(url, json=decision, headers=live.tenant.headers(Role.OWNER)).status_code == 409
    assert _customers(live.engine, live.tenant.tenant_id, "Mcp Mechanical") == 1

    async with live.session(live.tenant.keys[Role.TECHNICIAN]) as mcp:
        status = await mcp.call_tool("get_approval", {"approval_id": approval_id})
        assert status.structuredContent is not None and status.structuredContent["status"] == "executed"
    with Session(live.engine) as s:
        calls = s.scalars(select(AuditLog).where(AuditLog.action == "mcp.tool_call")).all()
        assert [c.detail["tool"] for c in calls] == [
            "get_customer",
            "create_customer",
            "create_customer",
            "drop_tables",
            "get_approval",
            "get_approval",
        ]


def test_mcp_needs_an_api_key(live: Live) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Bearer qbo_not-a-key"}):
        response = httpx.post(f"{live.base}/mcp", json=body, headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_mcp_calls_hold_no_write_transaction_on_the_event_loop(live: Live) -> None:
    """Authentication, the caller's context, a proposal, its approval card, the audit row and a status look-up."""
    with watch_write_transactions(live.engine) as watch:
        async with live.session(live.tenant.keys[Role.TECHNICIAN]) as mcp:
            write = await mcp.call_tool("create_customer", {"display_name": "Loop Free Heating"})
            assert write.structuredContent is not None, write.content
            approval_id = write.structuredContent["approval_id"]
            status = await mcp.call_tool("get_approval", {"approval_id": approval_id})
            assert status.structuredContent is not None and status.structuredContent["status"] == "pending"
    assert watch.violations == []
    assert watch.watched >= 3  # the approval record and the two audit rows, at least
