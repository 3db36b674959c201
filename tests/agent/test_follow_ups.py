"""Multi-turn threads through the real graph (offline model, demo company): follow-ups refine or act on the
thread working set — the last query and results, the last customer and document, the last draft."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from agent.checkpoint import make_checkpointer
from agent.graph import build_graph
from demo.company import demo_as_of
from demo.runtime import DemoRuntime, open_demo
from domain.models import Role


class Thread:
    """One chat thread: say() a message, decide() an approval; the last reply and interrupt are kept."""

    def __init__(self, rt: DemoRuntime, graph: Any, thread_id: str | None = None) -> None:
        self.rt, self.graph = rt, graph
        self.config = {"configurable": {"thread_id": thread_id or uuid.uuid4().hex}}
        self.out: dict[str, Any] = {}

    async def say(self, text: str) -> str:
        self.out = await self.graph.ainvoke(
            {"messages": [HumanMessage(text)]}, self.config, context=self.rt.context(Role.OWNER)
        )
        return str(self.out["messages"][-1].content)

    async def decide(self, kind: str = "approve") -> str:
        decision = {"type": kind} if kind == "approve" else {"type": "reject", "message": "not now"}
        self.out = await self.graph.ainvoke(
            Command(resume={"decisions": [decision]}), self.config, context=self.rt.context(Role.OWNER)
        )
        return str(self.out["messages"][-1].content)

    @property
    def proposal(self) -> dict[str, Any]:
        assert self.out.get("__interrupt__"), self.out["messages"][-1].content
        request: dict[str, Any] = self.out["__interrupt__"][0].value["action_requests"][0]
        return request

    async def working_set(self) -> dict[str, Any]:
        state = await self.graph.aget_state(self.config)
        return dict(state.values.get("working_set") or {})


async def test_of_those_narrows_and_what_about_swaps_the_period() -> None:
    async with open_demo(demo_as_of()) as rt:
        t = Thread(rt, build_graph(rt.model(), rt.toolbox, InMemorySaver()))
        assert "I found 16 invoices" in await t.say("show open invoices")
        reply = await t.say("and which of those are over 60 days?")
        assert reply.startswith("I found 5 invoices")
        intent = (await t.working_set())["last_query"]["intent"]
        assert intent["filters"]["status"] == "open" and intent["filters"]["dateTo"] == "2026-01-17"
        reply = await t.say("what about last year?")
        intent = (await t.working_set())["last_query"]["intent"]
        assert (intent["filters"]["dateFrom"], intent["filters"]["dateTo"]) == ("2025-01-01", "2025-12-31")
        assert intent["filters"]["status"] == "open"  # the rest of the question stays
        assert (
            await t.say("how many of those")
            == "There are 4 invoices.\n(open invoices, dated 2025-01-01 to 2025-12-31)"
        )


async def test_a_bare_total_or_a_payment_for_it_uses_the_last_query_and_document() -> None:
    async with open_demo(demo_as_of()) as rt:
        t = Thread(rt, build_graph(rt.model(), rt.toolbox, InMemorySaver()))
        await t.say("whats overdue rn")
        narrowed = await t.say("just the ones over $500")
        total = await t.say("whats the total")
        assert total.startswith("The balance comes to") and narrowed.split("(")[1].split()[0] in total
        await t.say("show me inv 1086")
        await t.say("record $1,732.55 ach from bobs bakery for it")
        assert t.proposal["name"] == "record_payment"
        assert t.proposal["args"]["invoices"] == ["1086"] and t.proposal["args"]["method"] == "ach"


async def test_send_it_acts_on_the_one_document_or_asks_which() -> None:
    async with open_demo(demo_as_of()) as rt:
        t = Thread(rt, build_graph(rt.model(), rt.toolbox, InMemorySaver()))
        await t.say("open inv for acme")
        reply = await t.say("send it")
        assert "Which document do you mean?" in reply and "1096" in reply and "1047" in reply
        assert not t.out.get("__interrupt__")
        await t.say("inv 1041")
        await t.say("send it")
        assert t.proposal["name"] == "send_invoice" and t.proposal["args"] == {"doc_number": "1041"}


async def test_a_draft_is_reworked_sent_and_its_estimate_converted() -> None:
    async with open_demo(demo_as_of()) as rt:
        t = Thread(rt, build_graph(rt.model(), rt.toolbox, InMemorySaver()))
        await t.say("draft for jane cooper - swap 40 gal gas heater, 3 hrs")
        assert t.proposal["name"] == "draft_estimate"
        assert "I did not do that" in await t.decide("reject")
        await t.say("make it 4 hours instead")  # not saved yet: a new draft with the new hours
        labor = [ln for ln in t.proposal["args"]["lines"] if ln.get("hours")]
        assert t.proposal["name"] == "draft_estimate" and [ln["hours"] for ln in labor] == ["4"]
        saved = await t.decide()
        number = saved.split("Saved draft estimate ")[1].split()[0]
        await t.say("actually make it 2.5 hrs")  # saved: the estimate itself is updated
        assert t.proposal["name"] == "update_estimate" and t.proposal["args"]["doc_number"] == number
        assert "now totals" in await t.decide()
        await t.say("send it")
        assert t.proposal == {**t.proposal, "name": "send_estimate", "args": {"doc_number": number}}


async def test_turn_it_into_an_invoice_then_send_the_new_invoice() -> None:
    async with open_demo(demo_as_of()) as rt:
        t = Thread(rt, build_graph(rt.model(), rt.toolbox, InMemorySaver()))
        await t.say("show est 5030")
        await t.say("turn it into an invoice")
        assert t.proposal["args"] == {"doc_number": "5030", "send": False}
        done = await t.decide()
        invoice = done.split("is now invoice ")[1].split()[0]
        await t.say("send it")
        assert t.proposal["name"] == "send_invoice" and t.proposal["args"] == {"doc_number": invoice}


async def _restart_keeps_the_working_set(url: str) -> None:
    thread_id = uuid.uuid4().hex
    async with open_demo(demo_as_of()) as rt:
        async with make_checkpointer(url) as saver:
            t = Thread(rt, build_graph(rt.model(), rt.toolbox, saver), thread_id)
            await t.say("total invoiced this qtr")
        # A new process: a new checkpointer connection, model and graph.
        async with make_checkpointer(url) as saver:
            t = Thread(rt, build_graph(rt.model(), rt.toolbox, saver), thread_id)
            assert (await t.working_set())["last_query"]["intent"]["aggregate"] == "sum"
            await t.say("and for acme?")
            intent = (await t.working_set())["last_query"]["intent"]
            assert intent["filters"]["customerName"] == "ACME Corp"
            assert intent["filters"]["dateFrom"] == "2026-01-01" and intent["aggregate"] == "sum"


async def test_the_working_set_survives_a_restart_in_the_sqlite_checkpointer(tmp_path: Path) -> None:
    await _restart_keeps_the_working_set(f"sqlite:///{tmp_path / 'checkpoints.db'}")


async def test_the_working_set_survives_a_restart_in_the_postgres_checkpointer(postgres_url: str) -> None:
    await _restart_keeps_the_working_set(postgres_url)


async def test_an_llm_sees_the_working_set_and_the_results_on_the_next_turn() -> None:
    from tests.agent.fakes import ScriptedModel, call, says

    intent = {"operation": "LIST_INVOICES", "filters": {"customerName": "ACME Corp", "status": "open"}}
    model = ScriptedModel(script=[says("", call("query_books", intent=intent)), says("two"), says("ok")])
    async with open_demo(demo_as_of()) as rt:
        t = Thread(rt, build_graph(model, rt.toolbox, InMemorySaver()))
        await t.say("open inv for acme")
        await t.say("which of those are over 60 days?")
    system = str(model.seen[2][0].content)
    assert "## Thread working set" in system and '"doc_numbers": ["1096", "1047"]' in system
    assert '"customer": "ACME Corp"' in system
    assert "what about" in system and "ask which one" in system  # how to refer back
    # The earlier tool result is in the history the model sees.
    assert any(getattr(m, "name", None) == "query_books" for m in model.seen[2])
    assert "ytd = year to date" in system and "Never delete anything" in system
