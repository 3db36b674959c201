"""Rankings and grouping: parsed from the question, run the same against live QuickBooks (real HTTP to the
sandbox) and the local store, and answered with the top one first — figures computed from the books."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import ValidationError
from sqlalchemy import select

from agent.graph import build_graph
from agent.language.intents import parse_intent
from agent.offline.format import money
from demo.company import demo_as_of
from demo.runtime import open_demo
from domain.estimate_stages import STAGES
from domain.intent import IntentStatus, QboIntent
from domain.models import Customer, Estimate, EstimateStatus, Invoice, InvoiceStatus
from integrations.quickbooks.api.query import compile_intent
from tools.books import LocalBooks, QboBooks

EVAL = Path(__file__).parent / "language" / "rankings.jsonl"
RANKING_KEYS = ("groupBy", "sort", "limit")


def _cases() -> list[dict[str, Any]]:
    return [json.loads(line) for line in EVAL.read_text().splitlines() if line.strip()]


def _same(expected: Any, got: Any) -> bool:
    if isinstance(expected, list):
        return any(_same(e, got) for e in expected)
    return bool(expected == got)


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["utterance"][:40])
def test_ranking_questions_parse_to_the_expected_intent(case: dict[str, Any]) -> None:
    parsed = parse_intent(case["utterance"], date.fromisoformat(case["today"]))
    assert parsed.intent is not None, parsed.message
    got = parsed.intent.to_json()
    expect = case["expect"]
    assert _same(expect["operation"], got["operation"]), got
    for key, value in expect.get("filters", {}).items():
        assert _same(value, got["filters"][key]), (key, got)
    for key in RANKING_KEYS:
        assert _same(expect.get(key), got.get(key)), (key, got)


def test_ranking_keys_are_absent_unless_set_and_validated() -> None:
    plain = QboIntent.model_validate({"operation": "LIST_INVOICES"}).to_json()
    assert set(plain) == {"operation", "filters", "aggregate", "pagination"}
    ranked = QboIntent.model_validate(
        {"operation": "LIST_INVOICES", "groupBy": "customer", "sort": {"field": "Days_Overdue"}, "limit": 3}
    )
    assert ranked.to_json()["sort"] == {"field": "daysOverdue", "direction": "desc"}
    assert QboIntent.model_validate(ranked.to_json()) == ranked
    bad = [
        {"operation": "LIST_CUSTOMERS", "sort": {"field": "amount"}},
        {"operation": "LIST_INVOICES", "groupBy": "vendor"},
        {"operation": "LIST_ESTIMATES", "sort": {"field": "balance"}},
        {"operation": "LIST_INVOICES", "sort": {"field": "count"}},
        {"operation": "LIST_INVOICES", "limit": 0},
        {"operation": "LIST_INVOICES", "sort": {"field": "colour"}},
    ]
    for data in bad:
        with pytest.raises(ValidationError):
            QboIntent.model_validate(data)


def test_compiled_query_orders_in_qbo_and_pulls_every_page() -> None:
    today = demo_as_of()
    biggest = QboIntent.model_validate(
        {"operation": "LIST_INVOICES", "filters": {"status": "open"}, "sort": {"field": "balance"}}
    )
    compiled = compile_intent(biggest, today=today)
    assert compiled.select.endswith("ORDERBY Balance DESC") and compiled.pull_all
    grouped = QboIntent.model_validate({"operation": "LIST_PAYMENTS", "groupBy": "customer"})
    assert compile_intent(grouped, today=today).select.endswith("ORDERBY TxnDate DESC")
    assert not compile_intent(QboIntent.model_validate({"operation": "LIST_PAYMENTS"}), today=today).pull_all


RANKED = [
    {
        "operation": "LIST_INVOICES",
        "filters": {"status": "open"},
        "groupBy": "customer",
        "sort": {"field": "balance"},
    },
    {
        "operation": "LIST_INVOICES",
        "groupBy": "customer",
        "sort": {"field": "amount"},
        "limit": 3,
        "aggregate": "sum",
    },
    {"operation": "LIST_INVOICES", "filters": {"status": "overdue"}, "sort": {"field": "daysOverdue"}},
    {
        "operation": "LIST_INVOICES",
        "filters": {"status": "open"},
        "groupBy": "customer",
        "sort": {"field": "daysOverdue"},
    },
    {"operation": "LIST_PAYMENTS", "groupBy": "customer", "pagination": {"page": 2, "pageSize": 4}},
    {"operation": "LIST_ESTIMATES", "groupBy": "customer", "sort": {"field": "count", "direction": "asc"}},
    {"operation": "LIST_BILLS", "groupBy": "vendor", "sort": {"field": "amount"}, "limit": 2},
    {
        "operation": "LIST_INVOICES",
        "filters": {"status": "open"},
        "sort": {"field": "balance", "direction": "asc"},
    },
]


def _norm(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    out = []
    for r in rows:
        ref = r.get("CustomerRef") or r.get("VendorRef") or {}
        out.append(
            (
                ref.get("name"),
                r.get("DocNumber"),
                r.get("Count"),
                *(
                    Decimal(str(r[k])).quantize(Decimal("0.01")) if r.get(k) is not None else None
                    for k in ("Amount", "Balance", "TotalAmt")
                ),
                r.get("DaysOverdue"),
            )
        )
    return out


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_sandbox_and_local_store_rank_alike(backend: str, request: pytest.FixtureRequest) -> None:
    today = demo_as_of()
    db_url = "sqlite://" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    async with open_demo(today, db_url=db_url) as runtime:
        qbo = QboBooks(runtime.client)
        with runtime.sessionmaker() as session:
            local = LocalBooks(session, runtime.tenant_id)
            for data in RANKED:
                intent = QboIntent.model_validate(data)
                remote = await qbo.run_intent(intent, today=today)
                mine = await local.run_intent(intent, today=today)
                assert remote["results"], data
                assert _norm(remote["results"]) == _norm(mine["results"]), data
                assert remote["aggregate"] == mine["aggregate"], data
                assert remote["query"] == mine["query"], data


def _open_balances(runtime: Any) -> dict[str, tuple[Decimal, int]]:
    """Open balance and invoice count per customer, straight from the local books."""
    totals: dict[str, list[Any]] = defaultdict(lambda: [Decimal(0), 0])
    with runtime.sessionmaker() as s:
        rows = s.execute(
            select(Customer.display_name, Invoice.balance_due)
            .join(Customer, Customer.id == Invoice.customer_id)
            .where(
                Invoice.tenant_id == runtime.tenant_id,
                Invoice.balance_due > 0,
                Invoice.status.not_in([InvoiceStatus.DRAFT, InvoiceStatus.VOID]),
            )
        ).all()
    for name, balance in rows:
        totals[name][0] += balance
        totals[name][1] += 1
    return {k: (v[0], v[1]) for k, v in totals.items()}


@pytest.mark.parametrize("books", ["qbo", "local"])
async def test_who_owes_the_most_names_the_customer_through_the_graph(books: str) -> None:
    async with open_demo(demo_as_of(), books=books) as rt:  # type: ignore[arg-type]
        graph = build_graph(rt.model(), rt.toolbox, InMemorySaver())
        out = await graph.ainvoke(
            {"messages": [HumanMessage("who owes us the most?")]},
            {"configurable": {"thread_id": uuid.uuid4().hex}},
            context=rt.context(),
        )
        answer = out["messages"][-1].content
        balances = _open_balances(rt)
    top, (amount, count) = max(balances.items(), key=lambda kv: kv[1][0])
    first = answer.splitlines()[0]
    assert first == f"{top} owes the most: {money(amount)} on {count} invoice{'s' if count != 1 else ''}."
    assert "open invoices, all dates, grouped by customer" in answer
    # A short answer: the headline, at most five rows, and how to see the rest.
    assert len([line for line in answer.splitlines() if line.startswith("- ")]) == min(5, len(balances))
    assert ("show all" in answer) == (len(balances) > 5)


async def test_short_answer_first_then_show_all_gives_every_row() -> None:
    async with open_demo(demo_as_of()) as rt:
        graph = build_graph(rt.model(), rt.toolbox, InMemorySaver())
        config = {"configurable": {"thread_id": uuid.uuid4().hex}}
        first = await graph.ainvoke(
            {"messages": [HumanMessage("unpaid invoices")]}, config, context=rt.context()
        )
        short = first["messages"][-1].content
        again = await graph.ainvoke({"messages": [HumanMessage("show all")]}, config, context=rt.context())
        full = again["messages"][-1].content
        open_count = sum(c for _, c in _open_balances(rt).values())
    rows = lambda text: [line for line in text.splitlines() if line.startswith("- ")]  # noqa: E731
    assert short.splitlines()[0].startswith(f"I found {open_count} invoices")
    assert len(rows(short)) == 5 and f"…and {open_count - 5} more" in short
    assert len(rows(full)) == open_count and "more (say" not in full
    assert short.splitlines()[-1] == full.splitlines()[-1] == "(open invoices, all dates)"


@pytest.mark.parametrize("books", ["qbo", "local"])
async def test_open_estimates_include_accepted_ones_not_yet_invoiced(books: str) -> None:
    async with open_demo(demo_as_of(), books=books) as rt:  # type: ignore[arg-type]
        graph = build_graph(rt.model(), rt.toolbox, InMemorySaver())
        out = await graph.ainvoke(
            {"messages": [HumanMessage("open estimates for Bob's Bakery")]},
            {"configurable": {"thread_id": uuid.uuid4().hex}},
            context=rt.context(),
        )
        with rt.sessionmaker() as s:
            bob = s.scalars(
                select(Customer).where(
                    Customer.tenant_id == rt.tenant_id, Customer.display_name == "Bob's Bakery"
                )
            ).one()
            live = s.scalars(
                select(Estimate).where(
                    Estimate.customer_id == bob.id, Estimate.status.in_(STAGES[IntentStatus.OPEN])
                )
            ).all()
    answer = out["messages"][-1].content
    accepted = [e for e in live if e.status == EstimateStatus.APPROVED]
    assert len(accepted) >= 3
    assert answer.startswith(f"I found {len(live)} estimate")
    for est in accepted:
        assert f"#{est.doc_number}, Bob's Bakery" in answer or len(live) > 5
    assert "accepted" in answer and "(open estimates, all dates, customer Bob's Bakery)" in answer


def test_open_estimates_compile_to_pending_or_accepted() -> None:
    intent = QboIntent.model_validate({"operation": "LIST_ESTIMATES", "filters": {"status": "open"}})
    assert "WHERE TxnStatus IN ('Pending', 'Accepted')" in compile_intent(intent, today=demo_as_of()).select


def test_ranked_headlines_say_what_was_ranked() -> None:
    from agent.offline.answers import answer_query

    def group(name: str, amount: str, count: int, **extra: Any) -> dict[str, Any]:
        return {"CustomerRef": {"value": name, "name": name}, "Count": count, "Amount": amount, **extra}

    def first(intent: dict[str, Any], rows: list[dict[str, Any]]) -> str:
        return answer_query({"intent": intent, "results": rows}).splitlines()[0]

    base = {"filters": {"status": None}, "groupBy": "customer"}
    assert first(
        {**base, "operation": "LIST_PAYMENTS", "sort": {"field": "amount"}}, [group("Ann", "10", 1)]
    ) == ("Ann paid the most: $10.00 in 1 payment.")
    overdue = group("Bo", "5", 2, Balance="5", DaysOverdue=40)
    assert first({**base, "operation": "LIST_INVOICES", "sort": {"field": "daysOverdue"}}, [overdue]) == (
        "Bo is the most overdue: 40 days, $5.00 open on 2 invoices."
    )
    owed = {**base, "operation": "LIST_INVOICES", "filters": {"status": "open"}}
    asc = {**owed, "sort": {"field": "balance", "direction": "asc"}}
    assert first(asc, [group("Cy", "7", 1, Balance="7")]) == "Cy owes the least: $7.00 on 1 invoice."
    assert (
        first({**owed, "sort": {"field": "balance"}}, [])
        == "Nothing matches (open invoices, all dates, grouped by customer)."
    )
