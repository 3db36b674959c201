"""A discount said in a draft request ("take 10% off") is applied by the domain, or warned about: never dropped."""

from __future__ import annotations

import uuid
from decimal import Decimal

from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from agent.graph import build_graph
from demo.company import demo_as_of
from demo.runtime import open_demo
from domain.models import Estimate, LineType, Role
from integrations.quickbooks.mapping.documents import estimate_to_qbo
from integrations.quickbooks.sync.entities import load_refs

JOB = "draft an estimate for Jane Cooper: replace a 50 gallon gas water heater, 3.5 hours of labor, take 10% off"


async def test_take_ten_percent_off_is_a_discount_line_saved_and_sent_to_qbo() -> None:
    async with open_demo(demo_as_of()) as rt:
        graph = build_graph(rt.model(), rt.toolbox, InMemorySaver())
        config = {"configurable": {"thread_id": uuid.uuid4().hex}}
        out = await graph.ainvoke({"messages": [HumanMessage(JOB)]}, config, context=rt.context(Role.OFFICE))
        card = out["__interrupt__"][0].value
        assert card["action_requests"][0]["args"]["discounts"] == [
            {"percent": "10", "rationale": "Asked for in the job: 'take 10% off'."}
        ]
        preview = card["preview"]
        subtotal = Decimal(preview["subtotal"].strip("$").replace(",", ""))
        assert preview["discount_total"] == f"${subtotal / 10:,.2f}"
        assert [ln["item"] for ln in preview["lines"]][-1] == "Discount: 10% off"
        out = await graph.ainvoke(
            Command(resume={"decisions": [{"type": "approve"}]}), config, context=rt.context(Role.OFFICE)
        )
        with rt.sessionmaker() as s:
            est = s.scalars(
                select(Estimate)
                .options(selectinload(Estimate.lines))
                .where(Estimate.tenant_id == rt.tenant_id, Estimate.ai_origin.is_not(None))
            ).one()
            assert est.discount_total == subtotal / 10 and f"${est.total:,.2f}" == preview["total"]
            discount = [ln for ln in est.lines if ln.type == LineType.DISCOUNT]
            assert [(ln.name, ln.line_subtotal) for ln in discount] == [("Discount: 10% off", -subtotal / 10)]
            payload = estimate_to_qbo(est, load_refs(s, rt.tenant_id))
        sent = [ln for ln in payload["Line"] if ln["DetailType"] == "DiscountLineDetail"]
        assert [ln["Amount"] for ln in sent] == [subtotal / 10]


async def test_a_discount_a_technician_cannot_give_is_a_warning_on_the_card() -> None:
    async with open_demo(demo_as_of()) as rt:
        graph = build_graph(rt.model(), rt.toolbox, InMemorySaver())
        config = {"configurable": {"thread_id": uuid.uuid4().hex}}
        out = await graph.ainvoke(
            {"messages": [HumanMessage(JOB)]}, config, context=rt.context(Role.TECHNICIAN)
        )
        preview = out["__interrupt__"][0].value["preview"]
        assert preview["discount_total"] == "$0.00"
        assert any("10% off was not applied" in w for w in preview["warnings"])


async def test_a_discount_without_a_size_is_a_warning() -> None:
    async with open_demo(demo_as_of()) as rt:
        graph = build_graph(rt.model(), rt.toolbox, InMemorySaver())
        out = await graph.ainvoke(
            {"messages": [HumanMessage(JOB.replace("take 10% off", "give them a discount"))]},
            {"configurable": {"thread_id": uuid.uuid4().hex}},
            context=rt.context(Role.OFFICE),
        )
        warnings = out["__interrupt__"][0].value["preview"]["warnings"]
        assert any("discount without saying how much" in w for w in warnings)
