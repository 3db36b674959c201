"""The agent graph, shaped like LangGraph's react agent: model ⇄ tools, with an approval step for writes.

START → model ─(tool calls)→ tools ─(writes proposed)→ approval ⟲ (one interrupt per write) → model
              └─(no calls)→ END          └─(too many failures)→ give_up → END
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, SystemMessage
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Checkpointer

from agent.approval_node import make_approval_node
from agent.context import Context
from agent.estimating.planner import plan_estimate
from agent.prompts import render_system_prompt, render_working_set
from agent.state import State
from agent.tool_node import make_tool_node, tool_message
from agent.working_set import fold
from tools.base import Toolbox

DEFAULT_MAX_TOOL_FAILURES = 3


def plan_lines(job: str, catalog: list[Any]) -> tuple[list[Any], list[str]]:
    """The estimate planner the draft tool falls back on when a model names no lines."""
    plan = plan_estimate(job, catalog)
    return [*plan.lines, *plan.discounts], list(plan.warnings)


def build_graph(
    model: BaseChatModel,
    tools: Toolbox,
    checkpointer: Checkpointer = None,
    *,
    max_tool_failures: int = DEFAULT_MAX_TOOL_FAILURES,
    system_prompt: Callable[[Context], str] = render_system_prompt,
) -> Any:
    """Compile the graph; the caller owns the model, the tools' dependencies and the checkpointer."""
    if tools.deps.planner is None:
        tools = replace(tools, deps=replace(tools.deps, planner=plan_lines))
    bound = model.bind_tools(list(tools))

    async def call_model(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        working_set = fold(state.get("working_set"), state["messages"])
        system = system_prompt(runtime.context) + render_working_set(working_set)
        prompt = [SystemMessage(system), *state["messages"]]
        return {"messages": [await bound.ainvoke(prompt)], "working_set": working_set}

    # Routing and give_up are coroutines although they never wait: LangGraph runs a plain function in a worker
    # thread, and those hops cost a read turn more than the routing itself.
    async def after_model(state: State) -> str:
        last = state["messages"][-1]
        calls = isinstance(last, AIMessage) and (last.tool_calls or last.invalid_tool_calls)
        return "tools" if calls else END

    async def after_tools(state: State) -> str:
        if (state.get("tool_failures") or 0) >= max_tool_failures:
            return "give_up"
        return "approval" if state.get("pending") else "model"

    async def give_up(state: State) -> dict[str, Any]:
        errors = [m.content for m in state["messages"][-6:] if getattr(m, "status", None) == "error"]
        last = errors[-1] if errors else "the tools kept failing"
        text = (
            f"I stopped after {max_tool_failures} failed attempts and changed nothing. "
            f"The last problem was: {last}"
        )
        # Writes proposed in the same step are dropped, but every tool call still gets its answer.
        dropped = [
            tool_message(
                p["tool_call_id"], p["name"], {"status": "not_proposed", "error": "stopped"}, error=True
            )
            for p in state.get("pending") or []
        ]
        return {"messages": [*dropped, AIMessage(text)], "tool_failures": 0, "pending": []}

    graph = StateGraph(State, context_schema=Context)
    graph.add_node("model", call_model)
    graph.add_node("tools", make_tool_node(tools))
    graph.add_node("approval", make_approval_node(tools), destinations=("approval", "model"))
    graph.add_node("give_up", give_up)
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", after_model, ["tools", END])
    graph.add_conditional_edges("tools", after_tools, ["give_up", "approval", "model"])
    graph.add_edge("give_up", END)
    return graph.compile(checkpointer=checkpointer)
