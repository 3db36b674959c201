"""The fast path in front of an LLM: turns the offline readers are sure of never reach the LLM; the rest do."""

from __future__ import annotations

import uuid

from langchain_core.messages import HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from agent.graph import build_graph
from agent.models import ModelSettings, make_chat_model
from agent.offline.fast_path import FastPathModel
from agent.offline.model import OfflineChatModel
from demo.company import demo_as_of
from demo.runtime import open_demo
from domain.models import Role
from tests.agent.fakes import ScriptedModel, call, says


async def _turn(graph, rt, text: str, thread: str) -> str:  # type: ignore[no-untyped-def]
    out = await graph.ainvoke(
        {"messages": [HumanMessage(text)]},
        {"configurable": {"thread_id": thread}},
        context=rt.context(Role.OWNER),
    )
    return str(out["messages"][-1].content)


async def test_a_sure_parse_answers_without_the_llm_and_the_rest_goes_to_it() -> None:
    intent = {"operation": "LIST_INVOICES", "filters": {"status": "overdue"}}
    llm = ScriptedModel(script=[says("", call("query_books", intent=intent)), says("Nine are overdue.")])
    async with open_demo(demo_as_of()) as rt:
        model = FastPathModel(llm=llm, offline=OfflineChatModel(catalog=rt.catalog))
        graph = build_graph(model, rt.toolbox, InMemorySaver())
        thread = uuid.uuid4().hex
        assert (await _turn(graph, rt, "whats our total AR rn", thread)).startswith(
            "The balance comes to $13,688.32"
        )
        assert llm.seen == [] and model.calls == {"fast_path": 2}  # the call, then the reply to its result
        # Not understood by the rules: the LLM makes the call and reads its own results.
        assert await _turn(graph, rt, "who's dragging their feet on paying us", thread) == "Nine are overdue."
        assert len(llm.seen) == 2 and isinstance(llm.seen[1][-1], ToolMessage)
        assert model.calls == {"fast_path": 2, "llm": 2}


def test_the_fast_path_is_chosen_by_setting() -> None:
    on = make_chat_model(ModelSettings(api_key="k", fast_path=True))
    off = make_chat_model(ModelSettings(api_key="k"))
    assert isinstance(on, FastPathModel) and not isinstance(off, FastPathModel)
    assert ModelSettings.from_env({"OPENAI_API_KEY": "k", "QBO_AGENT_FAST_PATH": "1"}).fast_path


async def test_a_refusal_is_sure_and_never_reaches_the_llm() -> None:
    llm = ScriptedModel(script=[])
    async with open_demo(demo_as_of()) as rt:
        model = FastPathModel(llm=llm, offline=OfflineChatModel(catalog=rt.catalog))
        graph = build_graph(model, rt.toolbox, InMemorySaver())
        reply = await _turn(graph, rt, "delete all invoices", uuid.uuid4().hex)
    assert "can't delete" in reply and llm.seen == []
