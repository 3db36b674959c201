"""Reports: the client reads AgedReceivables, AgedReceivableDetail, CustomerBalance and ProfitAndLoss from the
sandbox over real HTTP; the local aging agrees with the sandbox's on the demo company; chat answers with them."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import ValidationError

from agent.graph import build_graph
from agent.language.reports import read_report_request
from demo.company import demo_as_of
from demo.runtime import open_demo
from domain.aging import BUCKETS, bucket_of
from domain.aging_local import aging_locally
from domain.pnl_local import pnl_locally
from integrations.quickbooks.api.errors import QboError
from integrations.quickbooks.api.reports import flatten, parse_aging, summary_value
from tools.reports import ReportArgs


def test_buckets_edges() -> None:
    assert [bucket_of(d) for d in (-5, 0, 1, 30, 31, 60, 61, 90, 91, 400)] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert BUCKETS == ("current", "1-30", "31-60", "61-90", "91+")


async def test_client_reads_every_report_from_the_sandbox_over_http() -> None:
    today = demo_as_of()
    async with open_demo(today) as rt:
        aged = await rt.client.report("AgedReceivables", {"report_date": today.isoformat()})
        assert aged["Header"]["ReportName"] == "AgedReceivables"
        titles = [c["ColTitle"] for c in aged["Columns"]["Column"]]
        assert titles == ["", "Current", "1 - 30", "31 - 60", "61 - 90", "91 and over", "Total"]
        assert aged["Rows"]["Row"][-1]["group"] == "GrandTotal"
        aging = parse_aging(aged)
        assert aging.totals.total == sum((r.total for r in aging.rows), Decimal(0)) > 0

        balances = await rt.client.report("CustomerBalance", {"report_date": today.isoformat()})
        assert summary_value(balances, "GrandTotal") == aging.totals.total

        detail = await rt.client.report("AgedReceivableDetail", {"report_date": today.isoformat()})
        data_rows = [r for r in flatten(detail) if r["kind"] == "row"]
        assert sum(Decimal(r["values"][-1]) for r in data_rows) == aging.totals.total

        pnl = await rt.client.report(
            "ProfitAndLoss", {"start_date": date(today.year, 1, 1).isoformat(), "end_date": today.isoformat()}
        )
        income, net = summary_value(pnl, "Income"), summary_value(pnl, "NetIncome")
        cogs, expenses = summary_value(pnl, "COGS"), summary_value(pnl, "Expenses")
        assert income and income > 0 and net == income - (cogs or 0) - (expenses or 0)

        # Later as-of dates age the same balances further; nothing open is lost.
        later = parse_aging(
            await rt.client.report(
                "AgedReceivables", {"report_date": (today + timedelta(days=90)).isoformat()}
            )
        )
        assert later.totals.total == aging.totals.total and later.totals.buckets[4] >= aging.totals.buckets[4]

        for name, params in (
            ("AgedReceivables", {"report_date": "yesterday"}),
            ("ProfitAndLoss", {"start_date": "2026-03-02", "end_date": "2026-03-01"}),
            ("BalanceSheetOfDreams", {}),
        ):
            with pytest.raises(QboError) as err:
                await rt.client.report(name, params)
            assert err.value.http_status == 400


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
@pytest.mark.parametrize("offset", [0, 45])
async def test_local_aging_agrees_with_the_sandbox_report(
    offset: int, backend: str, request: pytest.FixtureRequest
) -> None:
    today = demo_as_of()
    as_of = today + timedelta(days=offset)
    db_url = "sqlite://" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    async with open_demo(today, db_url=db_url) as rt:
        remote = parse_aging(await rt.client.report("AgedReceivables", {"report_date": as_of.isoformat()}))
        with rt.sessionmaker() as s:
            local = aging_locally(s, rt.tenant_id, as_of)
    assert [(r.customer_name, r.buckets) for r in remote.rows] == [
        (r.customer_name, [v.quantize(Decimal("0.01")) for v in r.buckets]) for r in local.rows
    ]
    assert remote.totals.buckets == [v.quantize(Decimal("0.01")) for v in local.totals.buckets]


def test_report_questions_and_argument_checks() -> None:
    today = date(2026, 3, 18)
    assert read_report_request("show me the A/R aging", today) == {"report": "AgedReceivables"}
    assert read_report_request("aging detail", today) == {"report": "AgedReceivableDetail"}
    assert read_report_request("customer balances", today) == {"report": "CustomerBalance"}
    assert read_report_request("P&L last quarter", today) == {
        "report": "ProfitAndLoss",
        "date_from": "2025-10-01",
        "date_to": "2025-12-31",
    }
    assert read_report_request("list overdue invoices", today) is None
    for bad in (
        {"report": "ProfitAndLoss", "as_of": "2026-01-01"},
        {"report": "AgedReceivables", "date_from": "2026-01-01"},
        {"report": "ProfitAndLoss", "date_from": "2026-03-02", "date_to": "2026-03-01"},
        {"report": "BalanceSheet"},
    ):
        with pytest.raises(ValidationError):
            ReportArgs.model_validate(bad)


@pytest.mark.parametrize("books", ["qbo", "local"])
async def test_aging_through_the_graph_answers_total_first(books: str) -> None:
    today = demo_as_of()
    async with open_demo(today, books=books) as rt:  # type: ignore[arg-type]
        graph = build_graph(rt.model(), rt.toolbox, InMemorySaver())
        out = await graph.ainvoke(
            {"messages": [HumanMessage("show me the A/R aging for Bob's Bakery")]},
            {"configurable": {"thread_id": uuid.uuid4().hex}},
            context=rt.context(),
        )
        with rt.sessionmaker() as s:
            local = aging_locally(s, rt.tenant_id, today)
    bob = next(r for r in local.rows if r.customer_name == "Bob's Bakery")
    answer = out["messages"][-1].content
    assert answer.startswith(f"A/R aging: ${bob.total:,.2f} open on 1 customer")
    assert f"as of {today.isoformat()}, customer Bob's Bakery" in answer


EVAL = Path(__file__).parents[1] / "agent" / "language" / "reports.jsonl"


@pytest.mark.parametrize(
    "case",
    [json.loads(line) for line in EVAL.read_text().splitlines() if line.strip()],
    ids=lambda c: c["utterance"][:40],
)
def test_report_eval_lines(case: dict[str, Any]) -> None:
    assert read_report_request(case["utterance"], date.fromisoformat(case["today"])) == case["expect"]


@pytest.mark.parametrize("year_back", [0, 1])
async def test_local_profit_and_loss_agrees_with_the_sandbox(year_back: int) -> None:
    today = demo_as_of()
    start = date(today.year - year_back, 1, 1)
    end = today if year_back == 0 else date(start.year, 12, 31)
    async with open_demo(today) as rt:
        remote = await rt.client.report(
            "ProfitAndLoss", {"start_date": start.isoformat(), "end_date": end.isoformat()}
        )
        with rt.sessionmaker() as s:
            local = pnl_locally(s, rt.tenant_id, start, end)
    assert local.total_income == summary_value(remote, "Income") > 0
    assert local.net_income == summary_value(remote, "NetIncome")
    income_rows = [r for r in flatten(remote) if r["kind"] == "row" and r["depth"] == 1][: len(local.income)]
    assert {r["label"]: Decimal(r["values"][-1]) for r in income_rows} == local.income


@pytest.mark.parametrize("books", ["qbo", "local"])
async def test_profit_and_loss_through_the_graph(books: str) -> None:
    today = demo_as_of()
    async with open_demo(today, books=books) as rt:  # type: ignore[arg-type]
        graph = build_graph(rt.model(), rt.toolbox, InMemorySaver())
        out = await graph.ainvoke(
            {"messages": [HumanMessage("P&L this year")]},
            {"configurable": {"thread_id": uuid.uuid4().hex}},
            context=rt.context(),
        )
        with rt.sessionmaker() as s:
            local = pnl_locally(s, rt.tenant_id, date(today.year, 1, 1), today)
    first = out["messages"][-1].content.splitlines()[0]
    assert first == (
        f"Profit and loss {date(today.year, 1, 1).isoformat()} to {today.isoformat()}: "
        f"income ${local.total_income:,.2f}, net income ${local.net_income:,.2f}."
    )
