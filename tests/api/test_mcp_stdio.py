"""``qbo-agent mcp`` over stdio, driven by the SDK's client in a subprocess: reads answer, a write waits in the
service's inbox and runs once approved there; and a LangGraph agent uses the tools through langchain-mcp-adapters."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi.testclient import TestClient
from langchain_mcp_adapters.tools import load_mcp_tools
from langgraph.prebuilt import create_react_agent
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from api.app import create_app
from api.settings import Settings
from domain.models import Customer, Role
from tests.agent.fakes import ScriptedModel, call, says
from tests.api.conftest import SECRET, TenantKeys, make_settings, seed_tenant
from tools.registry import all_tools


def _settings(tmp_path: Path) -> Settings:
    return make_settings(var_dir=tmp_path / "var", database_url=f"sqlite:///{tmp_path / 'api.sqlite'}")


@asynccontextmanager
async def stdio_session(tmp_path: Path, key: str) -> AsyncIterator[ClientSession]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "QBO_AGENT_DATABASE_URL": f"sqlite:///{tmp_path / 'api.sqlite'}",
        "QBO_AGENT_VAR_DIR": str(tmp_path / "var"),
        "QBO_AGENT_SECRET_KEY": SECRET,
        "QBO_AGENT_API_KEY": key,
    }
    params = StdioServerParameters(
        command=str(Path(sys.executable).with_name("qbo-agent")), args=["mcp"], env=env, cwd=str(tmp_path)
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


def _count(engine: Engine, tenant: TenantKeys, name: str) -> int:
    with Session(engine) as s:
        query = select(func.count()).where(
            Customer.tenant_id == tenant.tenant_id, Customer.display_name == name
        )
        return int(s.scalar(query) or 0)


async def test_stdio_write_waits_for_the_inbox_and_runs_once(api_engine: Engine, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    tenant = seed_tenant(api_engine, "Northwind Plumbing", settings)
    async with stdio_session(tmp_path, tenant.keys[Role.TECHNICIAN]) as mcp:
        names = [t.name for t in (await mcp.list_tools()).tools]
        assert names == [t.name for t in all_tools()] + ["get_approval"]
        read = await mcp.call_tool("get_customer", {"name": "jane cooper"})
        assert not read.isError and read.structuredContent is not None
        assert read.structuredContent["results"][0]["DisplayName"] == "Jane Cooper (Northwind Plumbing)"
        write = await mcp.call_tool("create_customer", {"display_name": "Stdio Heating"})
        assert write.structuredContent is not None, write.content
        assert write.structuredContent["status"] == "pending_approval"
    assert _count(api_engine, tenant, "Stdio Heating") == 0

    approval_id = write.structuredContent["approval_id"]
    with TestClient(create_app(settings, engine=api_engine)) as service:  # the service, same database
        inbox = service.get("/api/approvals", params={"status": "pending"}, headers=tenant.headers()).json()
        assert [a["id"] for a in inbox["items"]] == [approval_id]
        url = f"/api/approvals/{approval_id}/decision"
        decided = service.post(
            url, json={"decisions": [{"type": "approve"}]}, headers=tenant.headers(Role.OFFICE)
        )
        assert decided.status_code == 200, decided.text
        assert decided.json()["approval"]["status"] == "executed"
        again = service.post(url, json={"decisions": [{"type": "approve"}]}, headers=tenant.headers())
        assert again.status_code == 409
    assert _count(api_engine, tenant, "Stdio Heating") == 1


async def test_a_langgraph_agent_uses_the_tools_through_the_adapters(
    api_engine: Engine, tmp_path: Path
) -> None:
    tenant = seed_tenant(api_engine, "Northwind Plumbing", _settings(tmp_path))
    async with stdio_session(tmp_path, tenant.keys[Role.OFFICE]) as mcp:
        tools = await load_mcp_tools(mcp)
        assert {"query_books", "record_payment", "create_customer"} <= {t.name for t in tools}
        model = ScriptedModel(
            script=[
                says(
                    "",
                    {
                        "name": "get_customer",
                        "args": {"name": "Jane Cooper"},
                        "id": "c1",
                        "type": "tool_call",
                    },
                ),
                says("", call("create_customer", display_name="Adapter Air")),
                says("Jane is a customer; adding Adapter Air waits for approval."),
            ]
        )
        agent = create_react_agent(model, tools)
        out = await agent.ainvoke({"messages": [("user", "is jane a customer? then add Adapter Air")]})
    tool_texts = [str(m.content) for m in out["messages"] if m.type == "tool"]
    assert "Jane Cooper (Northwind Plumbing)" in tool_texts[0]
    assert "pending_approval" in tool_texts[1]
    assert out["messages"][-1].content.startswith("Jane is a customer")
    assert _count(api_engine, tenant, "Adapter Air") == 0
