"""The real ChatOpenAI path over HTTP (respx): the request carries our tools and prompt, tool calls run, and
malformed or out-of-bounds arguments come back as messages the model corrects."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import respx
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from agent.context import Context
from agent.graph import build_graph
from agent.models import ModelSettings, make_chat_model
from domain.models import Customer, Role
from tests.agent.fakes import AddCustomer, FindCustomers
from tools.base import Toolbox, ToolDeps

LLM = "http://llm.test/v1"


def completion(*, content: str | None = None, calls: list[tuple[str, str]] = ()) -> httpx.Response:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = [
            {
                "id": f"call_{uuid.uuid4().hex[:8]}",
                "type": "function",
                "function": {"name": name, "arguments": args},
            }
            for name, args in calls
        ]
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": "test-model",
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        },
    )


def graph_for(sm: sessionmaker[Session]) -> Any:
    model = make_chat_model(
        ModelSettings(api_key="sk-test", base_url=LLM, model="test-model"),
        http_async_client=httpx.AsyncClient(),
    )
    assert type(model).__name__ == "ChatOpenAI"
    tools = Toolbox(tools=[FindCustomers(), AddCustomer()], deps=ToolDeps(sessionmaker=sm))
    return build_graph(model, tools, InMemorySaver())


def ctx(tenant_id: str, role: Role = Role.OFFICE) -> Context:
    return Context(tenant_id=tenant_id, user_id="u1", role=role, user_name="Olivia", company_name="Northwind")


@respx.mock
async def test_tool_calls_run_and_bad_arguments_are_corrected(sm, tenant_id) -> None:
    route = respx.post(f"{LLM}/chat/completions").mock(
        side_effect=[
            completion(calls=[("find_customers", '{"name_contains": ')]),  # malformed JSON
            completion(calls=[("find_customers", '{"name_contains": ""}')]),  # out of bounds (min length 1)
            completion(calls=[("find_customers", '{"name_contains": "Bakery"}')]),
            completion(content="Bob's Bakery is your only bakery customer."),
        ]
    )
    out = await graph_for(sm).ainvoke(
        {"messages": [HumanMessage("which bakery do we bill?")]},
        {"configurable": {"thread_id": "t1"}},
        context=ctx(tenant_id),
    )
    assert out["messages"][-1].content == "Bob's Bakery is your only bakery customer."
    bodies = [json.loads(call.request.content) for call in route.calls]
    assert len(bodies) == 4
    first = bodies[0]
    assert first["model"] == "test-model"
    tools = {t["function"]["name"]: t["function"] for t in first["tools"]}
    assert set(tools) == {"find_customers", "add_customer"}
    assert tools["find_customers"]["parameters"]["properties"]["name_contains"]["maxLength"] == 50
    assert first["messages"][0]["role"] == "system" and "untrusted" in first["messages"][0]["content"]
    assert first["messages"][1] == {"role": "user", "content": "which bakery do we bill?"}
    assert (
        bodies[1]["messages"][-1]["role"] == "tool"
        and "not valid JSON" in bodies[1]["messages"][-1]["content"]
    )
    second_error = bodies[2]["messages"][-1]["content"]
    assert "name_contains" in second_error and "at least 1 character" in second_error
    answered = json.loads(bodies[3]["messages"][-1]["content"])
    assert answered["results"] == [{"DisplayName": "Bob's Bakery"}]
    # Every tool call id the model sent was answered before the model was asked again.
    for body in bodies[1:]:
        asked = {
            c["id"] for m in body["messages"] if m["role"] == "assistant" for c in m.get("tool_calls", [])
        }
        answered_ids = {m["tool_call_id"] for m in body["messages"] if m["role"] == "tool"}
        assert asked == answered_ids


@respx.mock
async def test_a_write_from_the_llm_waits_for_approval(sm, tenant_id) -> None:
    respx.post(f"{LLM}/chat/completions").mock(
        side_effect=[
            completion(calls=[("add_customer", '{"display_name": "Harbor Cafe"}')]),
            completion(content="Added Harbor Cafe."),
        ]
    )
    graph = graph_for(sm)
    config = {"configurable": {"thread_id": "t2"}}
    out = await graph.ainvoke(
        {"messages": [HumanMessage("add Harbor Cafe")]}, config, context=ctx(tenant_id, Role.TECHNICIAN)
    )
    assert out["__interrupt__"][0].value["action_requests"][0]["name"] == "add_customer"
    with sm() as s:
        assert (
            s.scalar(
                select(Customer).where(
                    Customer.display_name == "Harbor Cafe", Customer.tenant_id == tenant_id
                )
            )
            is None
        )
    out = await graph.ainvoke(
        Command(resume={"decisions": [{"type": "approve"}]}), config, context=ctx(tenant_id)
    )
    assert out["messages"][-1].content == "Added Harbor Cafe."
    with sm() as s:
        assert (
            s.scalar(
                select(Customer).where(
                    Customer.display_name == "Harbor Cafe", Customer.tenant_id == tenant_id
                )
            )
            is not None
        )


@respx.mock
async def test_the_intent_reader_forces_query_books_with_the_shorthand_rules() -> None:
    from datetime import date

    from agent.intent_reader import read_with_model

    intent = {"operation": "LIST_INVOICES", "filters": {"status": "open"}, "aggregate": "sum"}
    route = respx.post(f"{LLM}/chat/completions").mock(
        return_value=completion(calls=[("query_books", json.dumps({"intent": intent}))])
    )
    model = make_chat_model(
        ModelSettings(api_key="sk-test", base_url=LLM, model="test-model"),
        http_async_client=httpx.AsyncClient(),
    )
    got = await read_with_model(model, "whats our total AR rn", date(2026, 3, 18), timezone="America/Chicago")
    assert got.to_json()["filters"]["status"] == "open" and got.aggregate == "sum"
    body = json.loads(route.calls[0].request.content)
    assert body["tool_choice"] == {"type": "function", "function": {"name": "query_books"}}
    system = body["messages"][0]["content"]
    assert (
        "2026-03-18" in system and "AR / A/R = open invoices" in system and "Monday through today" in system
    )
    assert body["messages"][1] == {"role": "user", "content": "whats our total AR rn"}
