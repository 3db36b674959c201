"""The approval step holds no transaction across an await, and of two concurrent decisions exactly one executes.

Both on SQLite (where a write transaction holds the database's write lock) and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from pydantic import PrivateAttr
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from agent.checkpoint import make_checkpointer
from agent.graph import build_graph
from domain.models import Approval, ApprovalStatus, AuditLog, Customer, Role
from domain.services.approvals import AlreadyDecided
from tests.agent.fakes import AddCustomer, FindCustomers, NewCustomer, ScriptedModel, call, says
from tests.agent.test_graph import audit_actions, cfg, ctx, customer_names, tool_payloads, toolbox
from tests.agent.transaction_watch import on_event_loop, watch_write_transactions
from tools.base import ProposedAction, Toolbox, ToolDeps, ToolEnv

APPROVE = {"decisions": [{"type": "approve"}]}
# Long enough for any loaded machine; the test never waits this long unless the loop is blocked.
PATIENCE_SECONDS = 10


async def _propose(tenant_id: str, graph: Any) -> tuple[dict, str]:
    config = cfg()
    out = await graph.ainvoke(
        {"messages": [HumanMessage("please")]},
        config,
        context=ctx(tenant_id, Role.TECHNICIAN, "Tim"),
    )
    return config, out["__interrupt__"][0].value["approval_id"]


async def test_no_write_transaction_runs_on_the_loop_or_spans_an_await(sm, tenant_id) -> None:
    """Propose, revise, approve, a failed write and a reject: every write transaction lives in one worker thread."""
    model = ScriptedModel(
        script=[
            says("", call("add_customer", display_name="Harbor Cafe")),
            says("added"),
            says("", call("add_customer", display_name="Bob's Bakery")),
            says("it already exists"),
            says("", call("add_customer", display_name="Never Added")),
            says("fine"),
        ]
    )
    graph = build_graph(model, toolbox(sm), InMemorySaver())
    first, second, third = cfg(), cfg(), cfg()
    office = ctx(tenant_id, Role.OFFICE, "Olivia")
    revise = {
        "decisions": [
            {
                "type": "revise",
                "edited_action": {"name": "add_customer", "args": {"display_name": "Harbor Cafe & Co"}},
            }
        ]
    }
    with watch_write_transactions(sm.kw["bind"]) as watch:
        await graph.ainvoke({"messages": [HumanMessage("add")]}, first, context=office)
        out = await graph.ainvoke(Command(resume=revise), first, context=office)
        assert out["__interrupt__"][0].value["action_requests"][0]["args"]["display_name"] == (
            "Harbor Cafe & Co"
        )
        out = await graph.ainvoke(Command(resume=APPROVE), first, context=office)
        # A customer by that name exists: the write fails at approval, inside its savepoint, and is audited.
        await graph.ainvoke({"messages": [HumanMessage("add bob")]}, second, context=office)
        failed = await graph.ainvoke(Command(resume=APPROVE), second, context=office)
        await graph.ainvoke({"messages": [HumanMessage("add")]}, third, context=office)
        await graph.ainvoke(Command(resume={"decisions": [{"type": "reject"}]}), third, context=office)
    assert watch.violations == []
    # Proposals (again after the revision), the revision and three decisions: the watch saw the step's work.
    assert watch.watched >= 8
    assert out["messages"][-1].content == "added"
    assert tool_payloads(failed)[-1]["status"] == "failed"
    assert customer_names(sm, tenant_id) == {"Bob's Bakery", "Harbor Cafe & Co"}
    assert audit_actions(sm, tenant_id).count("agent.action_failed") == 1


async def test_the_watch_sees_a_write_transaction_worked_on_the_event_loop(sm, tenant_id) -> None:
    """The watch itself can fail: a write transaction begun in a thread, then worked on the loop, is reported."""
    session = sm()
    try:
        with watch_write_transactions(sm.kw["bind"]) as watch:
            await asyncio.to_thread(session.connection)
            session.scalars(select(Customer).where(Customer.tenant_id == tenant_id)).all()
            await asyncio.to_thread(session.rollback)
    finally:
        session.close()
    assert watch.violations and all("event loop" in v for v in watch.violations)


class WaitsForTheLoop(AddCustomer):
    """``add_customer`` whose write finishes only once a coroutine on the event loop has let it."""

    _started: threading.Event = PrivateAttr(default_factory=threading.Event)
    _go: threading.Event = PrivateAttr(default_factory=threading.Event)
    _on_loop: list[bool] = PrivateAttr(default_factory=list)  # per call: did it run on the event loop?

    def propose(self, args: NewCustomer, env: ToolEnv) -> ProposedAction:
        self._on_loop.append(on_event_loop())
        return super().propose(args, env)

    def execute(self, args: NewCustomer, env: ToolEnv) -> dict[str, Any]:
        self._on_loop.append(on_event_loop())
        self._started.set()
        loop_was_free = self._go.wait(timeout=PATIENCE_SECONDS)
        return {**super().execute(args, env), "loop_was_free": loop_was_free}


async def test_the_event_loop_stays_free_while_an_approved_write_executes(sm, tenant_id) -> None:
    tool = WaitsForTheLoop()
    model = ScriptedModel(script=[says("", call("add_customer", display_name="Harbor Cafe")), says("added")])
    graph = build_graph(
        model, Toolbox(tools=[FindCustomers(), tool], deps=ToolDeps(sessionmaker=sm)), InMemorySaver()
    )
    config, _ = await _propose(tenant_id, graph)
    decision = asyncio.create_task(graph.ainvoke(Command(resume=APPROVE), config, context=ctx(tenant_id)))
    # This coroutine runs only if the write is off the loop; a write on the loop would wait out its patience.
    await asyncio.to_thread(tool._started.wait, PATIENCE_SECONDS)
    tool._go.set()
    out = await decision
    [payload] = [p for p in tool_payloads(out) if p.get("status") == "executed"]
    assert payload["result"]["loop_was_free"] is True
    # Proposed by the tool step, proposed again and executed by the approval step: never on the loop.
    assert tool._on_loop == [False, False, False]
    assert "Harbor Cafe" in customer_names(sm, tenant_id)


class SlowAddCustomer(AddCustomer):
    """``add_customer`` that takes a moment, so a rival decision arrives while the winner's transaction is open."""

    def execute(self, args: NewCustomer, env: ToolEnv) -> dict[str, Any]:
        time.sleep(0.2)
        return super().execute(args, env)


def test_two_decisions_from_two_threads_execute_once(
    sm: sessionmaker[Session], tenant_id: str, tmp_path: Path
) -> None:
    """Two processes (each its own event loop, graph and checkpointer connection) approve the same card at once."""
    url = f"sqlite:///{tmp_path / 'checkpoints.sqlite'}"

    def tools() -> Toolbox:
        return Toolbox(tools=[FindCustomers(), SlowAddCustomer()], deps=ToolDeps(sessionmaker=sm))

    async def propose() -> tuple[dict, str]:
        async with make_checkpointer(url) as saver:
            model = ScriptedModel(script=[says("", call("add_customer", display_name="Harbor Cafe"))])
            return await _propose(tenant_id, build_graph(model, tools(), saver))

    config, approval_id = asyncio.run(propose())
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    async def decide(name: str) -> str:
        async with make_checkpointer(url) as saver:
            graph = build_graph(ScriptedModel(script=[says("added")]), tools(), saver)
            barrier.wait()
            try:
                out = await graph.ainvoke(
                    Command(resume=APPROVE), config, context=ctx(tenant_id, Role.OWNER, name)
                )
            except AlreadyDecided:
                return "lost"
        status = next(p for p in reversed(tool_payloads(out)) if p.get("approval_id") == approval_id)
        # Reaching the step after the winner committed: reported as decided elsewhere, not executed again.
        return "lost" if status.get("note") == "this action was already decided" else status["status"]

    threads = [
        threading.Thread(target=lambda n=name: outcomes.append(asyncio.run(decide(n))))
        for name in ("Owen", "Ada")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["executed", "lost"]
    with sm() as s:
        assert s.get(Approval, approval_id).status == ApprovalStatus.EXECUTED
        harbor = select(func.count()).where(
            Customer.tenant_id == tenant_id, Customer.display_name == "Harbor Cafe"
        )
        assert s.scalar(harbor) == 1
        executed = select(func.count()).where(
            AuditLog.tenant_id == tenant_id, AuditLog.action == "agent.action_executed"
        )
        assert s.scalar(executed) == 1
