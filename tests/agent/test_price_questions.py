"""A price question about an item answers with that item (the best catalog match), not a list."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import select

from agent.graph import build_graph
from agent.language.prices import read_price_question
from demo.company import demo_as_of
from demo.runtime import open_demo
from domain.item_match import best_items
from domain.models import Item


def test_price_questions_name_the_item_and_leave_book_questions_alone() -> None:
    assert read_price_question("whats our price on a 50 gal gas heater") == "50 gal gas heater"
    assert read_price_question("how much do we charge for a kitchen faucet?") == "kitchen faucet"
    assert read_price_question("what's the price of the Camera Inspection") == "Camera Inspection"
    for question in (
        "how much for ACME?",
        "how much is outstanding",
        "what's in our price list?",
        "price of everything",
    ):
        assert read_price_question(question) is None


@pytest.mark.parametrize(
    ("question", "item"),
    [
        ("whats our price on a 50 gal gas heater", "Water Heater 50 gal Gas"),
        ("how much is a 50 gallon electric water heater", "Water Heater 50 gal Electric"),
        ("what do we charge for a garbage disposal", "Garbage Disposal 1/2 HP"),
    ],
)
async def test_price_question_through_the_graph_answers_with_that_item(question: str, item: str) -> None:
    async with open_demo(demo_as_of()) as rt:
        graph = build_graph(rt.model(), rt.toolbox, InMemorySaver())
        out = await graph.ainvoke(
            {"messages": [HumanMessage(question)]},
            {"configurable": {"thread_id": uuid.uuid4().hex}},
            context=rt.context(),
        )
        with rt.sessionmaker() as s:
            row = s.scalars(select(Item).where(Item.tenant_id == rt.tenant_id, Item.name == item)).one()
            items = list(s.scalars(select(Item).where(Item.tenant_id == rt.tenant_id)))
    answer = out["messages"][-1].content
    assert answer.startswith(f"{item}: ${row.rate:,.2f}"), answer
    assert "\n" not in answer  # one answer, not a list
    assert best_items(question, items)[0].item.name == item


async def test_a_vague_item_lists_the_candidates_best_first() -> None:
    async with open_demo(demo_as_of()) as rt:
        graph = build_graph(rt.model(), rt.toolbox, InMemorySaver())
        out = await graph.ainvoke(
            {"messages": [HumanMessage("how much is a water heater")]},
            {"configurable": {"thread_id": uuid.uuid4().hex}},
            context=rt.context(),
        )
    answer = out["messages"][-1].content
    assert answer.startswith("'water heater' could be any of these:")
    assert all("Water Heater" in line for line in answer.splitlines()[1:])


EVAL = Path(__file__).parent / "language" / "prices.jsonl"


async def test_price_eval_lines_pick_the_catalog_item() -> None:
    cases = [json.loads(line) for line in EVAL.read_text().splitlines() if line.strip()]
    async with open_demo(demo_as_of()) as rt:
        with rt.sessionmaker() as s:
            items = list(s.scalars(select(Item).where(Item.tenant_id == rt.tenant_id, Item.active.is_(True))))
    for case in cases:
        search = read_price_question(case["utterance"])
        assert search is not None, case
        assert best_items(search, items)[0].item.name == case["item"], case
