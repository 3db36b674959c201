"""Answers to ranked questions, short answer first: one line that answers, a few rows, then what was asked.

"Greenfield Apartments LLC owes the most: $2,721.94 on 2 invoices." — every figure comes from the result rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.offline.format import describe_filters, money, plural

SHORT_ROWS = 5

_NOUNS = {
    "LIST_INVOICES": "invoice",
    "LIST_ESTIMATES": "estimate",
    "LIST_PAYMENTS": "payment",
    "LIST_BILLS": "bill",
}


def _name(group: dict[str, Any]) -> str:
    ref = group.get("CustomerRef") or group.get("VendorRef") or {}
    return str(ref.get("name") or "(no name)")


def _figure(group: dict[str, Any], field: str) -> str:
    return money(group.get("Balance") if field == "balance" else group.get("Amount"))


_OWED = {"open", "overdue", "partial"}
# "<who> <phrase> the most: $X on N invoices", per record kind.
_PHRASES = {
    "LIST_ESTIMATES": "has the {most} in estimates",
    "LIST_PAYMENTS": "paid the {most}",
    "LIST_BILLS": "billed us the {most}",
}


def _on(count: int, noun: str) -> str:
    return f"{'in' if noun == 'payment' else 'on'} {plural(count, noun)}"


def _headline(top: dict[str, Any], intent: dict[str, Any]) -> str:
    op = intent.get("operation", "")
    sort = intent.get("sort") or {}
    field = sort.get("field", "amount")
    most = "least" if sort.get("direction") == "asc" else "most"
    noun = _NOUNS.get(op, "record")
    count = int(top.get("Count") or 0)
    who = _name(top)
    if field == "daysOverdue":
        days = plural(int(top.get("DaysOverdue") or 0), "day")
        return f"{who} is the {most} overdue: {days}, {_figure(top, 'balance')} open {_on(count, noun)}."
    if field == "count":
        return f"{who} has the {most} {noun}s: {count}, worth {_figure(top, 'amount')}."
    owed = (intent.get("filters") or {}).get("status") in _OWED or field == "balance"
    phrase = _PHRASES.get(op, "owes the {most}" if owed else "was invoiced the {most}").format(most=most)
    return f"{who} {phrase}: {_figure(top, field)} {_on(count, noun)}."


def _group_line(group: dict[str, Any], intent: dict[str, Any]) -> str:
    field = (intent.get("sort") or {}).get("field", "amount")
    noun = _NOUNS.get(intent.get("operation", ""), "record")
    text = f"{_name(group)}: {_figure(group, field)} {_on(int(group.get('Count') or 0), noun)}"
    if group.get("DaysOverdue"):
        text += f", oldest {plural(int(group['DaysOverdue']), 'day')} overdue"
    return text


def answer_ranked(
    result: dict[str, Any], describe_row: Callable[[dict[str, Any], str], str], *, show_all: bool = False
) -> str:
    """The ranked answer; ``describe_row(row, operation)`` renders an ungrouped record."""
    intent = result.get("intent") or {}
    rows: list[dict[str, Any]] = result.get("results") or []
    scope = describe_filters(intent)
    if not rows:
        return f"Nothing matches ({scope})."
    operation = intent.get("operation", "")
    grouped = intent.get("groupBy") is not None
    if grouped:
        head = _headline(rows[0], intent)
        lines = [_group_line(r, intent) for r in rows]
    else:
        noun = _NOUNS.get(operation, "record")
        sort = intent.get("sort") or {}
        order = "smallest" if sort.get("direction") == "asc" else "largest"
        if sort.get("field") == "daysOverdue":
            order = "least overdue" if sort.get("direction") == "asc" else "most overdue"
        elif sort.get("field") == "date":
            order = "oldest" if sort.get("direction") == "asc" else "newest"
        head = f"The {order} {noun}: {describe_row(rows[0], operation)}."
        lines = [describe_row(r, operation) for r in rows]
    shown = lines if show_all else lines[:SHORT_ROWS]
    text = f"{head}\n" + "\n".join(f"- {line}" for line in shown)
    if len(lines) > len(shown):
        text += f'\n…and {len(lines) - len(shown)} more (say "show all").'
    aggregate = result.get("aggregate")
    if aggregate and aggregate.get("kind") == "sum":
        text += f"\nAll together: {money(aggregate['value'])}."
    return text + f"\n({scope})"
