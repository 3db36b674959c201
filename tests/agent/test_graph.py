"""The agent graph with a scripted model: reads, proposals, approve / edit / reject, roles, hashes, restarts."""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from agent.checkpoint import make_checkpointer
from agent.context import Context
from agent.graph import build_graph
from domain.errors import AppError
from domain.models import Approval, ApprovalStatus, AuditLog, Customer, Role
from domain.services.audit import verify_chain
from tests.agent.fakes import AddCustomer, DeactivateCustomer, FindCustomers, ScriptedModel, call, says
from tools.base import Toolbox, ToolDeps

TODAY = date(2026, 3, 18)


def ctx(tenant_id: str, role: Role = Role.OFFICE, name: str = "Olivia") -> Context:
    return Context(
        tenant_id=tenant_id,
        user_id=f"u-{name}",
        role=role,
        user_name=name,
        today=TODAY,
        company_name="Graph Plumbing",
    )


def toolbox(sm: sessionmaker[Session]) -> Toolbox:
    return Toolbox(
        tools=[FindCustomers(), AddCustomer(), DeactivateCustomer()], deps=ToolDeps(sessionmaker=sm)
    )


def cfg(thread: str | None = None) -> dict:
    return {"configurable": {"thread_id": thread or uuid.uuid4().hex}}


def audit_actions(sm: sessionmaker[Session], tenant_id: str) -> list[str]:
    with sm() as s:
        return list(
            s.scalars(select(AuditLog.action).where(AuditLog.tenant_id == tenant_id).order_by(AuditLog.seq))
        )


def customer_names(sm: sessionmaker[Session], tenant_id: str) -> set[str]:
    with sm() as s:
        return set(
            s.scalars(
                select(Customer.display_name).where(
                    Customer.tenant_id == tenant_id, Customer.active.is_(True)
                )
            )
        )


def tool_payloads(result: dict) -> list[dict]:
    return [json.loads(m.content) for m in result["messages"] if isinstance(m, ToolMessage)]


async def test_read_path_answers_and_is_audited(sm, tenant_id) -> None:
    model = ScriptedModel(
        script=[says("", call("find_customers", name_contains="Bakery")), says("One: Bob's Bakery")]
    )
    graph = build_graph(model, toolbox(sm), InMemorySaver())
    out = await graph.ainvoke(
        {"messages": [HumanMessage("who is the bakery?")]}, cfg(), context=ctx(tenant_id)
    )
    assert out["messages"][-1].content == "One: Bob's Bakery"
    assert tool_payloads(out)[0]["results"] == [{"DisplayName": "Bob's Bakery"}]
    # The model saw the system prompt with the company and the rules, then the tool result.
    system = model.seen[0][0].content
    assert "Graph Plumbing" in system and "untrusted" in system and "2026-03-18" in system
    assert isinstance(model.seen[1][-1], ToolMessage)
    assert model._bound == ["find_customers", "add_customer", "deactivate_customer"]
    assert audit_actions(sm, tenant_id) == ["agent.tool_call"]
    with sm() as s:
        row = s.scalars(select(AuditLog).where(AuditLog.tenant_id == tenant_id)).one()
        assert row.detail["result_count"] == 1 and row.detail["query"] == "contains Bakery"


async def _propose(sm, tenant_id, *calls, checkpointer=None, role=Role.TECHNICIAN, after=("done",)):
    model = ScriptedModel(script=[says("", *calls), *[says(t) for t in after]])
    graph = build_graph(model, toolbox(sm), checkpointer or InMemorySaver())
    config = cfg()
    out = await graph.ainvoke(
        {"messages": [HumanMessage("please")]}, config, context=ctx(tenant_id, role, "Tim")
    )
    return graph, model, config, out


async def test_write_interrupts_with_the_approval_payload_then_approve_executes(sm, tenant_id) -> None:
    graph, _model, config, out = await _propose(
        sm, tenant_id, call("add_customer", display_name="Harbor Cafe")
    )
    [intr] = out["__interrupt__"]
    payload = intr.value
    assert payload["action_requests"] == [
        {
            "name": "add_customer",
            "args": {"display_name": "Harbor Cafe"},
            "description": "Add customer Harbor Cafe",
        }
    ]
    assert payload["review_configs"] == [
        {"action_name": "add_customer", "allowed_decisions": ["approve", "edit", "reject"]}
    ]
    assert payload["required_role"] == "office" and payload["preview"]["target"] == "Customer (new)"
    assert "Harbor Cafe" not in customer_names(sm, tenant_id)  # nothing written before approval
    assert audit_actions(sm, tenant_id) == ["agent.action_proposed"]

    out = await graph.ainvoke(
        Command(resume={"decisions": [{"type": "approve"}], "action_hash": payload["action_hash"]}),
        config,
        context=ctx(tenant_id, Role.OFFICE),
    )
    assert "Harbor Cafe" in customer_names(sm, tenant_id)
    assert tool_payloads(out)[-1]["status"] == "executed"
    assert out["messages"][-1].content == "done"
    assert audit_actions(sm, tenant_id) == [
        "agent.action_proposed",
        "customer.created",
        "agent.action_decided",
        "agent.action_executed",
    ] or audit_actions(sm, tenant_id) == [
        "agent.action_proposed",
        "agent.action_decided",
        "customer.created",
        "agent.action_executed",
    ]
    with sm() as s:
        approval = s.scalars(select(Approval).where(Approval.tenant_id == tenant_id)).one()
        assert approval.status == ApprovalStatus.EXECUTED and approval.proposed_by == "Tim (technician)"
        assert approval.decided_by == "Olivia (office)"
        assert verify_chain(s, tenant_id).ok


async def test_edit_is_revalidated_and_executes_the_edited_args(sm, tenant_id) -> None:
    graph, _, config, out = await _propose(sm, tenant_id, call("add_customer", display_name="Harbr Cafe"))
    bad = {
        "decisions": [
            {
                "type": "edit",
                "edited_action": {"name": "add_customer", "args": {"display_name": "H", "email": "nope"}},
            }
        ]
    }
    out = await graph.ainvoke(Command(resume=bad), config, context=ctx(tenant_id))
    [intr] = out["__interrupt__"]
    assert "not valid" in intr.value["refused"] and "display_name" in intr.value["refused"]
    assert customer_names(sm, tenant_id) == {"Bob's Bakery"}
    good = {
        "decisions": [
            {
                "type": "edit",
                "edited_action": {"name": "add_customer", "args": {"display_name": "Harbor Cafe"}},
            }
        ]
    }
    out = await graph.ainvoke(Command(resume=good), config, context=ctx(tenant_id))
    assert "Harbor Cafe" in customer_names(sm, tenant_id) and "Harbr Cafe" not in customer_names(
        sm, tenant_id
    )
    with sm() as s:
        approval = s.scalars(select(Approval).where(Approval.tenant_id == tenant_id)).one()
        assert approval.decision == "edit" and approval.final_args == {"display_name": "Harbor Cafe"}
    assert "agent.decision_refused" in audit_actions(sm, tenant_id)


async def test_reject_tells_the_model_with_the_message(sm, tenant_id) -> None:
    graph, model, config, _ = await _propose(
        sm, tenant_id, call("add_customer", display_name="Harbor Cafe"), after=("ok, I will not add it",)
    )
    out = await graph.ainvoke(
        Command(resume={"decisions": [{"type": "reject", "message": "duplicate of Harbor"}]}),
        config,
        context=ctx(tenant_id),
    )
    assert tool_payloads(out)[-1] == {
        "status": "rejected",
        "approval_id": tool_payloads(out)[-1]["approval_id"],
        "message": "duplicate of Harbor",
    }
    assert "duplicate of Harbor" in model.seen[-1][-1].content
    assert customer_names(sm, tenant_id) == {"Bob's Bakery"}
    assert audit_actions(sm, tenant_id) == ["agent.action_proposed", "agent.action_decided"]


async def test_wrong_role_is_refused_and_the_right_role_then_approves(sm, tenant_id) -> None:
    graph, _, config, out = await _propose(
        sm, tenant_id, call("deactivate_customer", display_name="Bob's Bakery")
    )
    assert out["__interrupt__"][0].value["required_role"] == "admin"
    approve = {"decisions": [{"type": "approve"}]}
    for role in (Role.TECHNICIAN, Role.OFFICE):
        out = await graph.ainvoke(Command(resume=approve), config, context=ctx(tenant_id, role, "Nope"))
        assert "may not approve" in out["__interrupt__"][0].value["refused"]
    assert customer_names(sm, tenant_id) == {"Bob's Bakery"}
    # decided_by in the resume payload names the decider (the API fills it from the signed-in user).
    resume = {**approve, "decided_by": {"user_id": "u-ana", "role": "admin", "name": "Ana"}}
    out = await graph.ainvoke(Command(resume=resume), config, context=ctx(tenant_id, Role.TECHNICIAN))
    assert customer_names(sm, tenant_id) == set()
    actions = audit_actions(sm, tenant_id)
    assert actions.count("agent.decision_refused") == 2 and actions[-1] == "agent.action_executed"


async def test_a_decision_bound_to_another_hash_is_refused(sm, tenant_id) -> None:
    graph, _, config, out = await _propose(sm, tenant_id, call("add_customer", display_name="Harbor Cafe"))
    stale = {"decisions": [{"type": "approve", "action_hash": "f" * 64}]}
    out = await graph.ainvoke(Command(resume=stale), config, context=ctx(tenant_id))
    assert "different version" in out["__interrupt__"][0].value["refused"]
    other = {"decisions": [{"type": "approve", "approval_id": "someone-else"}]}
    out = await graph.ainvoke(Command(resume=other), config, context=ctx(tenant_id))
    assert "different approval" in out["__interrupt__"][0].value["refused"]
    assert customer_names(sm, tenant_id) == {"Bob's Bakery"}


async def test_a_failed_execution_is_reported_and_audited(sm, tenant_id) -> None:
    graph, _, config, _ = await _propose(
        sm, tenant_id, call("add_customer", display_name="Bob's Bakery"), after=("it already exists",)
    )
    out = await graph.ainvoke(
        Command(resume={"decisions": [{"type": "approve"}]}), config, context=ctx(tenant_id)
    )
    assert (
        tool_payloads(out)[-1]["status"] == "failed" and "already exists" in tool_payloads(out)[-1]["error"]
    )
    assert audit_actions(sm, tenant_id)[-1] == "agent.action_failed"
    with sm() as s:
        assert s.scalars(select(Approval.status).where(Approval.tenant_id == tenant_id)).one() == "failed"


async def test_two_writes_in_one_turn_are_asked_one_after_the_other(sm, tenant_id) -> None:
    graph, _, config, out = await _propose(
        sm,
        tenant_id,
        call("add_customer", display_name="Harbor Cafe"),
        call("add_customer", display_name="Jane Cooper"),
    )
    assert out["__interrupt__"][0].value["action_requests"][0]["args"]["display_name"] == "Harbor Cafe"
    out = await graph.ainvoke(
        Command(resume={"decisions": [{"type": "reject", "message": "no"}]}), config, context=ctx(tenant_id)
    )
    assert out["__interrupt__"][0].value["action_requests"][0]["args"]["display_name"] == "Jane Cooper"
    out = await graph.ainvoke(
        Command(resume={"decisions": [{"type": "approve"}]}), config, context=ctx(tenant_id)
    )
    assert customer_names(sm, tenant_id) == {"Bob's Bakery", "Jane Cooper"}
    assert [p["status"] for p in tool_payloads(out)] == ["rejected", "executed"]


async def test_argument_errors_go_back_to_the_model_and_it_can_correct(sm, tenant_id) -> None:
    model = ScriptedModel(
        script=[
            says("", call("find_customers", name_contains="")),
            says("", call("find_customers", name_contains="Nobody")),
            says("", call("find_customers", name_contains="Bob")),
            says("Bob's Bakery"),
        ]
    )
    graph = build_graph(model, toolbox(sm), InMemorySaver())
    out = await graph.ainvoke({"messages": [HumanMessage("bob?")]}, cfg(), context=ctx(tenant_id))
    errors = [p for p in tool_payloads(out) if "error" in p]
    assert "name_contains" in errors[0]["error"] and errors[1]["code"] == "unknown_name"
    assert out["messages"][-1].content == "Bob's Bakery"
    assert audit_actions(sm, tenant_id) == ["agent.tool_failed", "agent.tool_failed", "agent.tool_call"]


async def test_failures_are_bounded(sm, tenant_id) -> None:
    model = ScriptedModel(script=[says("", call("find_customers", name_contains="Nobody")) for _ in range(5)])
    graph = build_graph(model, toolbox(sm), InMemorySaver(), max_tool_failures=3)
    out = await graph.ainvoke({"messages": [HumanMessage("x")]}, cfg(), context=ctx(tenant_id))
    last = out["messages"][-1]
    assert isinstance(last, AIMessage) and "stopped after 3 failed attempts" in last.content
    assert len(model.script) == 2  # it stopped calling the model


async def test_giving_up_answers_every_call_and_proposes_nothing(sm, tenant_id) -> None:
    bad = [call("find_customers", name_contains="Nobody") for _ in range(3)]
    model = ScriptedModel(script=[says("", *bad, call("add_customer", display_name="Harbor Cafe"))])
    graph = build_graph(model, toolbox(sm), InMemorySaver(), max_tool_failures=3)
    out = await graph.ainvoke({"messages": [HumanMessage("x")]}, cfg(), context=ctx(tenant_id))
    asked = {c["id"] for c in out["messages"][1].tool_calls}
    assert asked == {m.tool_call_id for m in out["messages"] if isinstance(m, ToolMessage)}
    assert "__interrupt__" not in out and "stopped after 3" in out["messages"][-1].content
    assert "agent.action_proposed" not in audit_actions(sm, tenant_id)


async def test_unknown_tools_are_told_and_bugs_raise(sm, tenant_id) -> None:
    model = ScriptedModel(script=[says("", call("drop_tables")), says("sorry")])
    graph = build_graph(model, toolbox(sm), InMemorySaver())
    out = await graph.ainvoke({"messages": [HumanMessage("x")]}, cfg(), context=ctx(tenant_id))
    assert "Unknown tool 'drop_tables'" in tool_payloads(out)[0]["error"]
    model = ScriptedModel(script=[says("", call("find_customers", name_contains="crash"))])
    graph = build_graph(model, toolbox(sm), InMemorySaver())
    with pytest.raises(RuntimeError, match="a bug in the tool"):
        await graph.ainvoke({"messages": [HumanMessage("x")]}, cfg(), context=ctx(tenant_id))


async def test_a_pending_approval_survives_a_process_restart(sm, tenant_id, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'checkpoints.sqlite'}"
    async with make_checkpointer(url) as saver:
        _, _, config, out = await _propose(
            sm, tenant_id, call("add_customer", display_name="Harbor Cafe"), checkpointer=saver
        )
        approval_id = out["__interrupt__"][0].value["approval_id"]
    # A new process: new checkpointer connection, new model and graph objects.
    async with make_checkpointer(url) as saver:
        graph = build_graph(ScriptedModel(script=[says("added")]), toolbox(sm), saver)
        snapshot = await graph.aget_state(config)
        assert snapshot.interrupts[0].value["approval_id"] == approval_id
        out = await graph.ainvoke(
            Command(resume={"decisions": [{"type": "approve"}]}), config, context=ctx(tenant_id)
        )
    assert out["messages"][-1].content == "added"
    assert "Harbor Cafe" in customer_names(sm, tenant_id)


async def test_an_approval_decided_elsewhere_is_reported_not_redone(sm, tenant_id) -> None:
    from domain.services import approvals as svc

    graph, _, config, out = await _propose(sm, tenant_id, call("add_customer", display_name="Harbor Cafe"))
    approval_id = out["__interrupt__"][0].value["approval_id"]
    with sm() as s, s.begin():  # another process decides first
        svc.decide(
            s, ctx(tenant_id, Role.OWNER, "Owen").actor, approval_id, decision="reject", seen_hash=None
        )
    out = await graph.ainvoke(
        Command(resume={"decisions": [{"type": "approve"}]}), config, context=ctx(tenant_id)
    )
    assert (
        tool_payloads(out)[-1]["status"] == "rejected" and "already decided" in tool_payloads(out)[-1]["note"]
    )
    assert customer_names(sm, tenant_id) == {"Bob's Bakery"}


async def test_the_loser_of_a_race_on_the_same_approval_raises(sm, tenant_id, monkeypatch) -> None:
    """Both resumes passed the pending check; the conditional update lets only the first through."""
    from domain.services import approvals as svc

    graph, _, config, out = await _propose(sm, tenant_id, call("add_customer", display_name="Harbor Cafe"))
    approval_id = out["__interrupt__"][0].value["approval_id"]
    real_decide = svc.decide

    def decide_after_a_rival(session, actor, approval_id_, **kw):
        with sm() as rival, rival.begin():
            real_decide(
                rival,
                ctx(tenant_id, Role.OWNER, "Owen").actor,
                approval_id_,
                decision="reject",
                seen_hash=None,
            )
        return real_decide(session, actor, approval_id_, **kw)

    if sm.kw["bind"].dialect.name == "sqlite":
        # SQLite runs writers one after another (the decision's transaction holds the write lock from its
        # start), so a rival can only come first, and the resume then finds the approval already decided.
        with sm() as rival, rival.begin():
            real_decide(
                rival,
                ctx(tenant_id, Role.OWNER, "Owen").actor,
                approval_id,
                decision="reject",
                seen_hash=None,
            )
        out = await graph.ainvoke(
            Command(resume={"decisions": [{"type": "approve"}]}), config, context=ctx(tenant_id)
        )
        outcome = next(
            m for m in out["messages"] if getattr(m, "tool_call_id", None) and "approval_id" in str(m.content)
        )
        assert "already decided" in str(outcome.content) and "rejected" in str(outcome.content)
    else:
        monkeypatch.setattr(svc, "decide", decide_after_a_rival)
        with pytest.raises(AppError, match="already rejected by Owen"):
            await graph.ainvoke(
                Command(resume={"decisions": [{"type": "approve"}]}), config, context=ctx(tenant_id)
            )
    assert customer_names(sm, tenant_id) == {"Bob's Bakery"}
    assert approval_id


async def test_a_pending_approval_survives_a_restart_with_postgres_checkpoints(
    sm, tenant_id, postgres_url
) -> None:
    async with make_checkpointer(postgres_url) as saver:
        _, _, config, out = await _propose(
            sm, tenant_id, call("add_customer", display_name="Harbor Cafe"), checkpointer=saver
        )
        approval_id = out["__interrupt__"][0].value["approval_id"]
    async with make_checkpointer(postgres_url) as saver:
        graph = build_graph(ScriptedModel(script=[says("added")]), toolbox(sm), saver)
        assert (await graph.aget_state(config)).interrupts[0].value["approval_id"] == approval_id
        out = await graph.ainvoke(
            Command(resume={"decisions": [{"type": "approve"}]}), config, context=ctx(tenant_id)
        )
    assert out["messages"][-1].content == "added" and "Harbor Cafe" in customer_names(sm, tenant_id)
