"""A customer's spoken OK, told in chat, is an approval-gated write that records who, when and how."""

from __future__ import annotations

import uuid

from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from sqlalchemy import select

from agent.graph import build_graph
from api.schemas.sales import EstimatePublic
from demo.company import demo_as_of
from demo.runtime import open_demo
from domain.models import AuditLog, Estimate, EstimateStatus, Role
from integrations.quickbooks.mapping.documents import estimate_to_qbo
from integrations.quickbooks.sync.entities import load_refs


def _estimate(rt, number: str) -> Estimate:  # type: ignore[no-untyped-def]
    with rt.sessionmaker() as s:
        return s.scalars(
            select(Estimate).where(Estimate.tenant_id == rt.tenant_id, Estimate.doc_number == number)
        ).one()


async def test_accepted_by_phone_waits_for_approval_then_records_who_when_and_how() -> None:
    async with open_demo(demo_as_of()) as rt:
        graph = build_graph(rt.model(), rt.toolbox, InMemorySaver())
        config = {"configurable": {"thread_id": uuid.uuid4().hex}}
        before = _estimate(rt, "5015").status
        out = await graph.ainvoke(
            {"messages": [HumanMessage("Dana Lake accepted estimate 5015 on the phone")]},
            config,
            context=rt.context(Role.OFFICE),
        )
        card = out["__interrupt__"][0].value
        assert card["action_requests"][0]["name"] == "accept_estimate"
        assert "accepted by phone by Dana Lake" in card["action_requests"][0]["description"]
        assert _estimate(rt, "5015").status == before  # nothing until someone decides
        out = await graph.ainvoke(
            Command(resume={"decisions": [{"type": "approve"}]}), config, context=rt.context(Role.OFFICE)
        )
        assert "estimate 5015 is accepted (phone, by Dana Lake)" in out["messages"][-1].content
        est = _estimate(rt, "5015")
        assert est.status is EstimateStatus.APPROVED and est.approved_at is not None
        assert (est.approved_by, est.approval_method) == ("Dana Lake", "phone")
        with rt.sessionmaker() as s:
            assert EstimatePublic.model_validate(s.get(Estimate, est.id)).approval_method == "phone"
            detail = s.scalars(
                select(AuditLog.detail).where(
                    AuditLog.tenant_id == rt.tenant_id,
                    AuditLog.action == "estimate.approved",
                    AuditLog.entity_id == est.id,
                )
            ).one()
            assert detail["method"] == "phone" and detail["signed_by"] == "Dana Lake"
            payload = estimate_to_qbo(s.get(Estimate, est.id), load_refs(s, rt.tenant_id))
        assert payload["TxnStatus"] == "Accepted" and payload["AcceptedBy"] == "Dana Lake"


async def test_an_accepted_or_expired_estimate_is_refused_before_any_card() -> None:
    async with open_demo(demo_as_of()) as rt:
        graph = build_graph(rt.model(), rt.toolbox, InMemorySaver())
        out = await graph.ainvoke(
            {"messages": [HumanMessage("mark estimate 5005 accepted, customer called")]},
            {"configurable": {"thread_id": uuid.uuid4().hex}},
            context=rt.context(Role.OFFICE),
        )
        assert "__interrupt__" not in out and "5005" in out["messages"][-1].content
        out = await graph.ainvoke(
            {"messages": [HumanMessage("the customer approved quote #5007 by phone")]},
            {"configurable": {"thread_id": uuid.uuid4().hex}},
            context=rt.context(Role.OFFICE),
        )
        assert "__interrupt__" not in out and "expired" in out["messages"][-1].content
