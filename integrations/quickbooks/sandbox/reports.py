"""The emulator's Reports API: AgedReceivables, AgedReceivableDetail, CustomerBalance and ProfitAndLoss, computed
from the realm's books in QBO's report JSON shape (``Header`` / ``Columns.Column`` / ``Rows.Row`` with ``ColData``,
sections with ``Header``/``Rows``/``Summary`` and a ``group``).

The reference we keep does not confirm every detail of that shape; we follow Intuit's documented
Header/Columns/Rows layout: money cells are plain decimal strings ("1234.50"), empty cells "", the grand total
is a ``Summary`` row with group "GrandTotal". Aging counts open invoice balances only (credit memos and unapplied
payments are not aged), by days past DueDate at ``report_date``; the P&L is accrual basis: income from invoice
item lines by the item's income account, costs and expenses from bill lines by account.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from domain.aging import BUCKETS, QBO_COLUMNS, QBO_SECTIONS, AgingReport, OpenItem, age_items, bucket_of
from domain.money import cents, to_decimal
from integrations.quickbooks.sandbox import faults
from integrations.quickbooks.sandbox.store import Entity, RealmStore

ZERO = Decimal("0")
REPORTS = ("AgedReceivables", "AgedReceivableDetail", "CustomerBalance", "ProfitAndLoss")


def _money(value: Decimal) -> str:
    return "" if value == ZERO else format(cents(value), "f")


def _date_param(params: dict[str, str], name: str, default: date) -> date:
    raw = params.get(name)
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise faults.validation(
            "2020",
            "Required param missing, need to supply the required value for the API",
            f"{name} must be a date (YYYY-MM-DD), not {raw!r}",
            element=name,
        ) from None


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def _header(name: str, start: date, end: date, options: dict[str, str], now: str) -> dict[str, Any]:
    return {
        "Time": now,
        "ReportName": name,
        "StartPeriod": start.isoformat(),
        "EndPeriod": end.isoformat(),
        "ReportBasis": "Accrual",
        "Currency": "USD",
        "Option": [{"Name": k, "Value": v} for k, v in options.items()]
        + [{"Name": "NoReportData", "Value": "false"}],
    }


def _columns(*cols: tuple[str, str]) -> dict[str, Any]:
    return {"Column": [{"ColTitle": title, "ColType": kind} for title, kind in cols]}


def _open_items(store: RealmStore, customers: set[str] | None) -> list[OpenItem]:
    names = {c["Id"]: str(c.get("DisplayName") or "") for c in store.all("Customer")}
    out = []
    for inv in store.all("Invoice"):
        ref = inv.get("CustomerRef") or {}
        cid = str(ref.get("value") or "")
        if ("Invoice", inv["Id"]) in store.voided or (customers is not None and cid not in customers):
            continue
        balance = to_decimal(inv.get("Balance") or 0)
        if balance <= ZERO:
            continue
        out.append(
            OpenItem(
                customer_id=cid,
                customer_name=names.get(cid) or str(ref.get("name") or ""),
                doc_number=inv.get("DocNumber"),
                txn_date=_day(inv.get("TxnDate")) or date.min,
                due_date=_day(inv.get("DueDate")),
                total=to_decimal(inv.get("TotalAmt") or 0),
                balance=balance,
            )
        )
    return out


def _customers(params: dict[str, str]) -> set[str] | None:
    raw = params.get("customer")
    return {part.strip() for part in raw.split(",") if part.strip()} if raw else None


def _grand_total(values: list[str]) -> dict[str, Any]:
    return {
        "Summary": {"ColData": [{"value": "TOTAL"}, *({"value": v} for v in values)]},
        "type": "Section",
        "group": "GrandTotal",
    }


def aged_receivables(report: AgingReport, now: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = [
        {
            "ColData": [
                {"value": r.customer_name, "id": r.customer_id},
                *({"value": _money(v)} for v in r.buckets),
                {"value": _money(r.total)},
            ]
        }
        for r in report.rows
    ]
    totals = report.totals
    rows.append(_grand_total([*(_money(v) for v in totals.buckets), _money(totals.total)]))
    return {
        "Header": _header(
            "AgedReceivables", report.as_of, report.as_of, {"report_date": report.as_of.isoformat()}, now
        ),
        "Columns": _columns(("", "Customer"), *((t, "Money") for t in QBO_COLUMNS), ("Total", "Money")),
        "Rows": {"Row": rows},
    }


def customer_balance(report: AgingReport, now: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = [
        {"ColData": [{"value": r.customer_name, "id": r.customer_id}, {"value": _money(r.total)}]}
        for r in report.rows
    ]
    rows.append(_grand_total([_money(report.totals.total)]))
    return {
        "Header": _header(
            "CustomerBalance", report.as_of, report.as_of, {"report_date": report.as_of.isoformat()}, now
        ),
        "Columns": _columns(("", "Customer"), ("Total", "Money")),
        "Rows": {"Row": rows},
    }


def aged_receivable_detail(items: list[OpenItem], as_of: date, now: str) -> dict[str, Any]:
    sections: list[list[OpenItem]] = [[] for _ in BUCKETS]
    for item in items:
        if item.txn_date <= as_of:
            sections[bucket_of(item.days_past_due(as_of))].append(item)
    rows: list[dict[str, Any]] = []
    grand_total = grand_open = ZERO
    # QBO lists the oldest bucket first in the detail report.
    for index in reversed(range(len(BUCKETS))):
        members = sorted(sections[index], key=lambda i: (i.due_date or i.txn_date, i.doc_number or ""))
        if not members:
            continue
        total = sum((i.total for i in members), ZERO)
        open_ = sum((i.balance for i in members), ZERO)
        grand_total += total
        grand_open += open_
        title = QBO_SECTIONS[index]
        rows.append(
            {
                "Header": {"ColData": [{"value": title}, *({"value": ""} for _ in range(6))]},
                "Rows": {
                    "Row": [
                        {
                            "ColData": [
                                {"value": i.txn_date.isoformat()},
                                {"value": "Invoice"},
                                {"value": i.doc_number or ""},
                                {"value": i.customer_name, "id": i.customer_id},
                                {"value": (i.due_date or i.txn_date).isoformat()},
                                {"value": format(cents(i.total), "f")},
                                {"value": format(cents(i.balance), "f")},
                            ],
                            "type": "Data",
                        }
                        for i in members
                    ]
                },
                "Summary": {
                    "ColData": [
                        {"value": f"Total for {title}"},
                        *({"value": ""} for _ in range(4)),
                        {"value": format(cents(total), "f")},
                        {"value": format(cents(open_), "f")},
                    ]
                },
                "type": "Section",
            }
        )
    rows.append(
        {
            "Summary": {
                "ColData": [
                    {"value": "TOTAL"},
                    *({"value": ""} for _ in range(4)),
                    {"value": format(cents(grand_total), "f")},
                    {"value": format(cents(grand_open), "f")},
                ]
            },
            "type": "Section",
            "group": "GrandTotal",
        }
    )
    return {
        "Header": _header("AgedReceivableDetail", as_of, as_of, {"report_date": as_of.isoformat()}, now),
        "Columns": _columns(
            ("Date", "tx_date"),
            ("Transaction Type", "txn_type"),
            ("Num", "doc_num"),
            ("Customer", "cust_name"),
            ("Due Date", "due_date"),
            ("Amount", "subt_nat_amount"),
            ("Open Balance", "subt_open_bal"),
        ),
        "Rows": {"Row": rows},
    }


def _in_period(obj: Entity, start: date, end: date) -> bool:
    day = _day(obj.get("TxnDate"))
    return day is not None and start <= day <= end


def _section(
    title: str, group: str, amounts: dict[tuple[str, str], Decimal]
) -> tuple[dict[str, Any], Decimal]:
    total = sum(amounts.values(), ZERO)
    rows = [
        {"ColData": [{"value": name, "id": aid}, {"value": format(cents(v), "f")}], "type": "Data"}
        for (aid, name), v in sorted(amounts.items(), key=lambda kv: kv[0][1].lower())
    ]
    return (
        {
            "Header": {"ColData": [{"value": title}, {"value": ""}]},
            "Rows": {"Row": rows},
            "Summary": {"ColData": [{"value": f"Total {title}"}, {"value": format(cents(total), "f")}]},
            "type": "Section",
            "group": group,
        },
        total,
    )


def _line_total(title: str, group: str, value: Decimal) -> dict[str, Any]:
    return {
        "Summary": {"ColData": [{"value": title}, {"value": format(cents(value), "f")}]},
        "type": "Section",
        "group": group,
    }


def profit_and_loss(store: RealmStore, start: date, end: date, now: str) -> dict[str, Any]:
    items = {i["Id"]: i for i in store.all("Item")}
    account_types = {a["Id"]: str(a.get("AccountType") or "") for a in store.all("Account")}
    income: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    cogs: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    expenses: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for inv in store.all("Invoice"):
        if ("Invoice", inv["Id"]) in store.voided or not _in_period(inv, start, end):
            continue
        for line in inv.get("Line") or []:
            detail = line.get("SalesItemLineDetail")
            if line.get("DetailType") != "SalesItemLineDetail" or not detail:
                continue
            item = items.get(str((detail.get("ItemRef") or {}).get("value")), {})
            ref = item.get("IncomeAccountRef") or {"value": "", "name": "Sales"}
            income[(str(ref.get("value")), str(ref.get("name")))] += to_decimal(line.get("Amount") or 0)
    for bill in store.all("Bill"):
        if not _in_period(bill, start, end):
            continue
        for line in bill.get("Line") or []:
            detail = line.get("AccountBasedExpenseLineDetail") or {}
            ref = detail.get("AccountRef")
            if ref is None and line.get("ItemBasedExpenseLineDetail"):
                item_ref = line["ItemBasedExpenseLineDetail"].get("ItemRef") or {}
                ref = items.get(str(item_ref.get("value")), {}).get("ExpenseAccountRef")
            ref = ref or {"value": "", "name": "Uncategorized Expense"}
            key = (str(ref.get("value")), str(ref.get("name")))
            target = cogs if account_types.get(key[0]) == "Cost of Goods Sold" else expenses
            target[key] += to_decimal(line.get("Amount") or 0)
    income_section, total_income = _section("Income", "Income", income)
    cogs_section, total_cogs = _section("Cost of Goods Sold", "COGS", cogs)
    expense_section, total_expenses = _section("Expenses", "Expenses", expenses)
    gross = total_income - total_cogs
    rows = [
        income_section,
        cogs_section,
        _line_total("Gross Profit", "GrossProfit", gross),
        expense_section,
        _line_total("Net Operating Income", "NetOperatingIncome", gross - total_expenses),
        _line_total("Net Income", "NetIncome", gross - total_expenses),
    ]
    return {
        "Header": _header(
            "ProfitAndLoss", start, end, {"start_date": start.isoformat(), "end_date": end.isoformat()}, now
        ),
        "Columns": _columns(("", "Account"), ("Total", "Money")),
        "Rows": {"Row": rows},
    }


def run_report(store: RealmStore, name: str, params: dict[str, str], today: date, now: str) -> dict[str, Any]:
    """One report by name, as of ``report_date`` (aging) or over ``start_date``..``end_date`` (P&L)."""
    builders: dict[str, Callable[[], dict[str, Any]]] = {}
    as_of = _date_param(params, "report_date", today)
    customers = _customers(params)

    def aging() -> AgingReport:
        return age_items(_open_items(store, customers), as_of)

    builders["AgedReceivables"] = lambda: aged_receivables(aging(), now)
    builders["CustomerBalance"] = lambda: customer_balance(aging(), now)
    builders["AgedReceivableDetail"] = lambda: aged_receivable_detail(
        _open_items(store, customers), as_of, now
    )

    def pnl() -> dict[str, Any]:
        start = _date_param(params, "start_date", date(today.year, 1, 1))
        end = _date_param(params, "end_date", today)
        if start > end:
            raise faults.validation(
                "2020", "Invalid date range", "start_date is after end_date", "start_date"
            )
        return profit_and_loss(store, start, end, now)

    builders["ProfitAndLoss"] = pnl
    builder = builders.get(name)
    if builder is None:
        raise faults.system_fault(
            f"System Failure Error: Could not find resource for relative : /reports/{name}", 400
        )
    return builder()
