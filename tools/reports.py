"""The report read tool: A/R aging, customer balances, aging detail and profit & loss, from QBO's Reports API when
the company is connected, else (aging and balances) computed from the local store by the same rule."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.aging import AgingReport
from domain.aging_local import aging_locally
from domain.errors import ValidationFailed
from domain.money import cents
from domain.pnl_local import pnl_locally
from integrations.quickbooks.api.reports import flatten, parse_aging, summary_value
from tools.base import BooksTool, ToolEnv
from tools.books import LocalBooks, QboBooks

ReportName = Literal["AgedReceivables", "AgedReceivableDetail", "CustomerBalance", "ProfitAndLoss"]


class ReportArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    report: ReportName = Field(
        description="AgedReceivables (aging buckets per customer), AgedReceivableDetail (per invoice), "
        "CustomerBalance (open balance per customer) or ProfitAndLoss (income and expenses over a period)"
    )
    as_of: date | None = Field(default=None, description="Aging/balance date; default today")
    date_from: date | None = Field(default=None, description="ProfitAndLoss start; default 1 January")
    date_to: date | None = Field(default=None, description="ProfitAndLoss end; default today")
    customer: str | None = Field(
        default=None, max_length=200, description="Only this customer (aging reports)"
    )

    @model_validator(mode="after")
    def _fits(self) -> ReportArgs:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from is after date_to")
        if self.report == "ProfitAndLoss" and (self.as_of or self.customer):
            raise ValueError("ProfitAndLoss takes date_from/date_to, not as_of or customer")
        if self.report != "ProfitAndLoss" and (self.date_from or self.date_to):
            raise ValueError(f"{self.report} takes as_of, not date_from/date_to")
        return self


def _aging_out(args: ReportArgs, aging: AgingReport) -> dict[str, Any]:
    out: dict[str, Any] = {"report": args.report, "asOf": aging.as_of.isoformat(), "customer": args.customer}
    if args.report == "CustomerBalance":
        out["rows"] = [{"customer": r.customer_name, "total": str(r.total)} for r in aging.rows]
        out["total"] = str(aging.totals.total)
    else:
        out["aging"] = aging.to_json()
    return out


async def _from_qbo(books: QboBooks, args: ReportArgs, today: date) -> dict[str, Any]:
    params: dict[str, str] = {}
    if args.report == "ProfitAndLoss":
        params["start_date"] = (args.date_from or date(today.year, 1, 1)).isoformat()
        params["end_date"] = (args.date_to or today).isoformat()
    else:
        params["report_date"] = (args.as_of or today).isoformat()
        if args.customer:
            customer_id, name = await books.resolve_customer(args.customer)
            params["customer"] = customer_id
            args = args.model_copy(update={"customer": name})
    report = await books.client.report(args.report, params)
    if args.report in {"AgedReceivables", "CustomerBalance"}:
        # CustomerBalance has one money column; read as an aging row it is that row's total.
        return _aging_out(args, parse_aging(report))
    out: dict[str, Any] = {"report": args.report, "rows": flatten(report), "customer": args.customer}
    header = report.get("Header") or {}
    if args.report == "ProfitAndLoss":
        out.update(
            dateFrom=header.get("StartPeriod"),
            dateTo=header.get("EndPeriod"),
            income=str(cents(summary_value(report, "Income") or 0)),
            netIncome=str(cents(summary_value(report, "NetIncome") or 0)),
        )
    else:
        out["asOf"] = header.get("EndPeriod")
    return out


def _local_pnl(books: LocalBooks, args: ReportArgs, today: date) -> dict[str, Any]:
    start, end = args.date_from or date(today.year, 1, 1), args.date_to or today
    pnl = pnl_locally(books.session, books.tenant_id, start, end)

    def row(kind: str, label: str, value: Any, depth: int = 0) -> dict[str, Any]:
        return {"depth": depth, "kind": kind, "label": label, "values": [str(cents(value))]}

    rows = [row("row", name, v, 1) for name, v in sorted(pnl.income.items())]
    rows += [
        row("total", "Total Income", pnl.total_income),
        row("total", "Total Costs and Expenses (bills)", pnl.costs),
        row("total", "Net Income", pnl.net_income),
    ]
    return {
        "report": "ProfitAndLoss",
        "dateFrom": start.isoformat(),
        "dateTo": end.isoformat(),
        "income": str(pnl.total_income),
        "netIncome": str(pnl.net_income),
        "rows": rows,
        "customer": None,
    }


def _from_local(books: LocalBooks, args: ReportArgs, today: date) -> dict[str, Any]:
    if args.report == "ProfitAndLoss":
        return _local_pnl(books, args, today)
    if args.report == "AgedReceivableDetail":
        raise ValidationFailed(
            "AgedReceivableDetail needs the QuickBooks connection; ask for the A/R aging instead"
        )
    customer_id = None
    if args.customer:
        customer_id, name = books.resolve_customer(args.customer)
        args = args.model_copy(update={"customer": name})
    aging = aging_locally(books.session, books.tenant_id, args.as_of or today, customer_id=customer_id)
    return _aging_out(args, aging)


class ReadReport(BooksTool):
    name: str = "read_report"
    description: str = (
        "Run a QuickBooks report: A/R aging (current, 1-30, 31-60, 61-90, 91+ days past due) per customer and "
        "in total, the aging detail per invoice, customer balances, or profit and loss for a period."
    )
    args_schema: type[BaseModel] = ReportArgs

    async def answer(self, args: ReportArgs, env: ToolEnv) -> dict[str, Any]:
        books = env.books
        if isinstance(books, QboBooks):
            return await _from_qbo(books, args, env.today)
        if isinstance(books, LocalBooks):
            return _from_local(books, args, env.today)
        raise ValidationFailed("no books are connected for this company yet")
