"""QboIntent → QBO query text, post filters and aggregates (DESIGN §3.1).

Besides the exact texts, the compiled queries are run through the sandbox's query engine over the demo company
and the answers compared with a plain reading of the semantics written out in this file.
"""

from __future__ import annotations

import json
from datetime import date, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from domain.intent import QboIntent
from integrations.quickbooks.api.query import (
    aggregate_rows,
    apply_post_filters,
    compile_intent,
    finish_rows,
    quote,
)
from integrations.quickbooks.sandbox.qbo_sql import parse_query, run_query

TODAY = date(2026, 3, 18)
FIXTURE = (
    Path(__file__).resolve().parents[4] / "integrations/quickbooks/sandbox/fixtures/qbo_demo_company.json"
)


def _intent(
    operation: str, aggregate: str | None = None, page: int = 1, size: int = 100, **filters: Any
) -> QboIntent:
    return QboIntent.model_validate(
        {
            "operation": operation,
            "filters": filters,
            "aggregate": aggregate,
            "pagination": {"page": page, "pageSize": size},
        }
    )


def test_unpaid_last_month_over_a_thousand() -> None:
    intent = _intent(
        "LIST_INVOICES", status="open", dateFrom="2026-02-01", dateTo="2026-02-28", minAmount=1000
    )
    compiled = compile_intent(intent, today=TODAY)
    assert compiled.text == (
        "SELECT * FROM Invoice WHERE TxnDate >= '2026-02-01' AND TxnDate <= '2026-02-28' AND Balance > '0' "
        "AND Balance >= '1000' ORDERBY TxnDate DESC STARTPOSITION 1 MAXRESULTS 100"
    )
    assert compiled.post_filters == () and not compiled.page_after_filter


def test_customer_and_vendor_refs_use_resolved_ids() -> None:
    payments = compile_intent(
        _intent("LIST_PAYMENTS", customerName="ACME Corp", dateFrom="2026-01-01", aggregate="sum"),
        customer_id="1",
        today=TODAY,
    )
    assert "CustomerRef = '1' AND TxnDate >= '2026-01-01'" in payments.text
    assert payments.aggregate_field == "TotalAmt"
    bills = compile_intent(
        _intent("LIST_BILLS", vendorName="Ferguson", status="paid"), vendor_id="7", today=TODAY
    )
    assert bills.text.startswith("SELECT * FROM Bill WHERE VendorRef = '7' AND Balance = '0'")
    with pytest.raises(ValueError, match="resolve customerName"):
        compile_intent(_intent("LIST_INVOICES", customerName="ACME"), today=TODAY)


def test_quotes_are_escaped_with_backslashes() -> None:
    assert quote("O'Brien") == "'O\\'Brien'"
    assert quote("a\\b") == "'a\\\\b'"
    compiled = compile_intent(_intent("GET_CUSTOMER", customerName="O'Brien Construction"), today=TODAY)
    assert "DisplayName = 'O\\'Brien Construction'" in compiled.text
    assert parse_query(compiled.text).where[1].values == ["O'Brien Construction"]
    by_id = compile_intent(_intent("GET_CUSTOMER", customerName="O'Brien"), customer_id="3", today=TODAY)
    assert "Id = '3'" in by_id.text and "DisplayName =" not in by_id.text


def test_each_operation_targets_its_entity() -> None:
    texts = {
        op: compile_intent(_intent(op, **extra), today=TODAY).text
        for op, extra in [
            ("GET_INVOICE", {"docNumber": "1042"}),
            ("GET_ESTIMATE", {"docNumber": "5012"}),
            ("LIST_ESTIMATES", {"status": "accepted"}),
            ("LIST_CUSTOMERS", {}),
            ("LIST_ITEMS", {}),
        ]
    }
    assert texts["GET_INVOICE"].startswith("SELECT * FROM Invoice WHERE DocNumber = '1042'")
    assert texts["GET_ESTIMATE"].startswith("SELECT * FROM Estimate WHERE DocNumber = '5012'")
    assert "TxnStatus = 'Accepted'" in texts["LIST_ESTIMATES"]
    assert texts["LIST_CUSTOMERS"] == (
        "SELECT * FROM Customer WHERE Active = true ORDERBY DisplayName STARTPOSITION 1 MAXRESULTS 100"
    )
    assert (
        texts["LIST_ITEMS"]
        == "SELECT * FROM Item WHERE Active = true ORDERBY Name STARTPOSITION 1 MAXRESULTS 100"
    )


def test_amount_bounds_use_total_unless_asking_what_is_owed() -> None:
    text = compile_intent(_intent("LIST_INVOICES", minAmount=500, maxAmount="2000.50"), today=TODAY).text
    assert "TotalAmt >= '500' AND TotalAmt <= '2000.50'" in text
    owed = compile_intent(_intent("LIST_BILLS", status="overdue", maxAmount=300), today=TODAY).text
    assert "Balance > '0' AND Balance <= '300'" in owed


def test_paging_is_always_in_the_query() -> None:
    compiled = compile_intent(_intent("LIST_INVOICES", page=3, size=25), today=TODAY)
    assert compiled.text.endswith("STARTPOSITION 51 MAXRESULTS 25")
    assert compiled.select.endswith("ORDERBY TxnDate DESC")
    # Post filters and aggregates need every match: a bounded window, paged after filtering.
    overdue = compile_intent(_intent("LIST_INVOICES", status="overdue", page=2, size=10), today=TODAY)
    assert overdue.text.endswith("STARTPOSITION 1 MAXRESULTS 1000") and overdue.page_after_filter
    counted = compile_intent(_intent("LIST_INVOICES", aggregate="count"), today=TODAY)
    assert counted.text.endswith("MAXRESULTS 1000")


def _row(doc: str, *, total: str, balance: str, due: str | None) -> dict[str, Any]:
    row: dict[str, Any] = {"DocNumber": doc, "TotalAmt": float(total), "Balance": float(balance)}
    if due:
        row["DueDate"] = due
    return row


ROWS = [
    _row("a", total="100.10", balance="100.10", due="2026-03-17"),  # overdue by a day
    _row("b", total="200.20", balance="50.05", due="2026-03-18"),  # partial, due today: not overdue
    _row("c", total="300.30", balance="0", due="2026-01-01"),  # paid
    _row("d", total="400.40", balance="400.40", due=None),  # open, no due date: never overdue
    _row("e", total="500.50", balance="10.00", due="2026-02-01"),  # partial and overdue
]


def test_post_filters_for_overdue_and_partial() -> None:
    overdue = compile_intent(_intent("LIST_INVOICES", status="overdue"), today=TODAY)
    assert [r["DocNumber"] for r in apply_post_filters(ROWS, overdue, TODAY)] == ["a", "e"]
    partial = compile_intent(_intent("LIST_INVOICES", status="partial"), today=TODAY)
    assert [r["DocNumber"] for r in apply_post_filters(ROWS, partial, TODAY)] == ["b", "e"]
    open_ = compile_intent(_intent("LIST_INVOICES", status="open"), today=TODAY)
    assert apply_post_filters(ROWS, open_, TODAY) == ROWS  # the query already did the work


def test_aggregates_are_exact_decimals_on_the_right_field() -> None:
    owed = aggregate_rows(ROWS, _intent("LIST_INVOICES", aggregate="sum", status="open"))
    assert owed is not None and owed.value == Decimal("560.55")  # balances, no float drift
    billed = aggregate_rows(ROWS, _intent("LIST_INVOICES", aggregate="sum"))
    assert billed is not None and billed.value == Decimal("1501.50")
    count = aggregate_rows(ROWS, _intent("LIST_INVOICES", aggregate="count"))
    assert count is not None and (count.kind, count.value) == ("count", Decimal(5))
    assert aggregate_rows(ROWS, _intent("LIST_INVOICES")) is None


def test_finish_rows_aggregates_everything_then_pages() -> None:
    intent = _intent("LIST_INVOICES", status="overdue", aggregate="sum", page=2, size=1)
    compiled = compile_intent(intent, today=TODAY)
    page, total = finish_rows(ROWS, compiled, intent, TODAY)
    assert [r["DocNumber"] for r in page] == ["e"]
    assert total is not None and total.value == Decimal("110.10")


# ------------------------------------------------------------------ against the sandbox's engine


def _reference(
    intent: QboIntent, data: dict[str, Any], customer_id: str | None, vendor_id: str | None
) -> list[str]:
    """DESIGN §3.1 written out plainly: which Ids should match (unordered)."""
    entity = {"LIST_INVOICES": "Invoice", "LIST_ESTIMATES": "Estimate", "LIST_PAYMENTS": "Payment",
              "LIST_BILLS": "Bill"}[intent.operation.value]  # fmt: skip
    f = intent.filters
    out = []
    for row in data[entity]:
        txn = date.fromisoformat(row["TxnDate"])
        balance = Decimal(str(row.get("Balance", 0)))
        total = Decimal(str(row["TotalAmt"]))
        status = f.status.value if f.status else None
        due = date.fromisoformat(row["DueDate"]) if row.get("DueDate") else None
        checks = [
            f.date_from is None or txn >= f.date_from,
            f.date_to is None or txn <= f.date_to,
            customer_id is None or row.get("CustomerRef", {}).get("value") == customer_id,
            vendor_id is None or row.get("VendorRef", {}).get("value") == vendor_id,
            status != "open" or balance > 0,
            status != "paid" or balance == 0,
            status != "overdue" or (balance > 0 and due is not None and due < TODAY),
            status != "partial" or 0 < balance < total,
            status not in {"pending", "accepted", "closed", "rejected"} or row["TxnStatus"].lower() == status,
        ]
        amount = balance if status in {"open", "overdue", "partial"} else total
        checks += [
            f.min_amount is None or amount >= f.min_amount,
            f.max_amount is None or amount <= f.max_amount,
        ]
        if all(checks):
            out.append(row["Id"])
    return out


CASES = [
    (_intent("LIST_INVOICES", status="open", minAmount=1000, dateFrom="2026-01-01"), None, None),
    (_intent("LIST_INVOICES", status="overdue"), None, None),
    (_intent("LIST_INVOICES", status="partial", aggregate="sum"), None, None),
    (_intent("LIST_INVOICES", status="paid", dateFrom="2025-10-01", dateTo="2025-12-31"), None, None),
    (_intent("LIST_INVOICES", minAmount=500, maxAmount=2000, customerName="Greenfield"), "4", None),
    (_intent("LIST_ESTIMATES", status="pending"), None, None),
    (_intent("LIST_ESTIMATES", status="rejected", dateFrom="2025-01-01"), None, None),
    (_intent("LIST_PAYMENTS", dateFrom="2025-01-01", aggregate="sum", customerName="ACME"), "1", None),
    (_intent("LIST_BILLS", status="open", maxAmount=3000), None, None),
    (_intent("LIST_BILLS", dateFrom="2025-01-01", dateTo="2025-12-31", vendorName="Ferguson"), None, "1"),
]


@pytest.mark.parametrize(("intent", "customer_id", "vendor_id"), CASES)
def test_compiled_queries_answer_what_the_semantics_say(
    intent: QboIntent, customer_id: str | None, vendor_id: str | None
) -> None:
    data = json.loads(FIXTURE.read_text())
    compiled = compile_intent(intent, customer_id=customer_id, vendor_id=vendor_id, today=TODAY)
    answer = run_query(parse_query(compiled.text), data[compiled.entity], timezone(timedelta(hours=-8)), dict)
    rows, aggregate = finish_rows(answer.get(compiled.entity, []), compiled, intent, TODAY)
    expected = _reference(intent, data, customer_id, vendor_id)
    assert expected, "each case should match something in the demo company"
    assert sorted(r["Id"] for r in rows) == sorted(expected)
    dates = [r["TxnDate"] for r in rows]
    assert dates == sorted(dates, reverse=True)
    if intent.aggregate == "sum":
        assert aggregate is not None
        by_id = {r["Id"]: r for r in data[compiled.entity]}
        field = intent.amount_field
        assert aggregate.value == sum((Decimal(str(by_id[i][field])) for i in expected), Decimal(0))
