"""The offline model's wording of report results: the total first in one line, a few rows, what the report covered."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from agent.offline.format import money, plural

SHORT_ROWS = 5
_LABELS = {"current": "current", "1-30": "1–30 days", "31-60": "31–60", "61-90": "61–90", "91+": "over 90"}


def _more(count: int, shown: int) -> str:
    return f'\n…and {count - shown} more (say "show all").' if count > shown else ""


def _buckets(row: dict[str, Any]) -> str:
    parts = [f"{_LABELS[k]} {money(row[k])}" for k in _LABELS if Decimal(str(row.get(k) or 0)) != 0]
    return ", ".join(parts) or "nothing open"


def _scope(data: dict[str, Any]) -> str:
    who = f", customer {data['customer']}" if data.get("customer") else ""
    return f"(as of {data.get('asOf')}{who}; open invoice balances by days past due)"


def _aging(data: dict[str, Any], show_all: bool) -> str:
    aging = data.get("aging") or {}
    total = aging.get("total") or {}
    rows = sorted(aging.get("rows") or [], key=lambda r: Decimal(str(r["total"])), reverse=True)
    head = (
        f"A/R aging: {money(total.get('total'))} open on {plural(len(rows), 'customer')} — {_buckets(total)}."
    )
    shown = rows if show_all else rows[:SHORT_ROWS]
    lines = [f"- {r['customer']}: {money(r['total'])} ({_buckets(r)})" for r in shown]
    return "\n".join([head, *lines]) + _more(len(rows), len(shown)) + "\n" + _scope(data)


def _balances(data: dict[str, Any], show_all: bool) -> str:
    rows = sorted(data.get("rows") or [], key=lambda r: Decimal(str(r["total"])), reverse=True)
    head = (
        f"Customers owe {money(data.get('total'))} in total ({plural(len(rows), 'customer')} with a balance)."
    )
    if rows:
        head += f" The largest is {rows[0]['customer']} at {money(rows[0]['total'])}."
    shown = rows if show_all else rows[:SHORT_ROWS]
    lines = [f"- {r['customer']}: {money(r['total'])}" for r in shown]
    return "\n".join([head, *lines]) + _more(len(rows), len(shown)) + "\n" + _scope(data)


def _flat(data: dict[str, Any], show_all: bool) -> str:
    rows = data.get("rows") or []
    if data.get("report") == "ProfitAndLoss":
        head = (
            f"Profit and loss {data.get('dateFrom')} to {data.get('dateTo')}: income {money(data.get('income'))}, "
            f"net income {money(data.get('netIncome'))}."
        )
        picked = [r for r in rows if r["kind"] == "total"]
        lines = [f"- {r['label']}: {money(r['values'][-1] if r['values'] else 0)}" for r in picked]
        return "\n".join([head, *lines]) + "\n(accrual basis)"
    picked = [r for r in rows if r["kind"] == "row"]
    grand = next((r for r in rows if r["label"] == "TOTAL"), None)
    open_total = grand["values"][-1] if grand and grand["values"] else "0"
    head = f"Aging detail: {plural(len(picked), 'open invoice')}, {money(open_total)} open."
    shown = picked if show_all else picked[:SHORT_ROWS]
    lines = [
        f"- #{r['values'][1]} {r['values'][2]}, due {r['values'][3]}, open {money(r['values'][5])}"
        for r in shown
    ]
    return "\n".join([head, *lines]) + _more(len(picked), len(shown)) + "\n" + _scope(data)


def answer_report(data: dict[str, Any], *, show_all: bool = False) -> str:
    report = data.get("report")
    if report == "AgedReceivables":
        return _aging(data, show_all)
    if report == "CustomerBalance":
        return _balances(data, show_all)
    return _flat(data, show_all)


def answer_price(data: dict[str, Any]) -> str:
    """A price question: the item it means and its rate, then a close alternative or two."""
    rows = data.get("results") or []
    best = data.get("best")
    search = data.get("search")
    if not rows:
        return f"Nothing in the price list matches '{search}'."

    def line(row: dict[str, Any]) -> str:
        unit = row.get("Unit") or ""
        unit = " each" if unit.lower() == "each" else f" per {unit}" if unit else ""
        return f"{row['Name']}: {row['Rate']}{unit}" + (" (taxable)" if row.get("Taxable") else "")

    if best:
        others = [r for r in rows[1:3]]
        text = f"{line(best)}."
        if others:
            text += " Close matches: " + "; ".join(line(r) for r in others) + "."
        return text
    return f"'{search}' could be any of these:\n" + "\n".join(f"- {line(r)}" for r in rows[:SHORT_ROWS])
