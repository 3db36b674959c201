"""Answers to ranked questions, short answer first: one line that answers, a few rows, then what was asked.

"Greenfield Apartments LLC owes the most: $2,721.94 on 2 invoices." — every figure comes from the result rows.
"""

from __future__ import annotations

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


def _headline(top: dict[str, Any], intent: dict[str, Any]) -> str:
    op = intent.get("operation", "")
    sort = intent.get("sort") or {}
    field = sort.get("field", "amount")
    most = "least" if sort.get("direction") == "asc" else "most"
    noun = _NOUNS.get(op, "record")
    count = int(top.get("Count") or 0)
    on = f"on {plural(count, noun)}"
    who = _name(top)
    if field == "daysOverdue":
        return f"{who} is the {most} overdue: {plural(int(top.get('DaysOverdue') or 0), 'day')}, {_figure(top, 'balance')} open {on}."
    if field == "count":
        return f"{who} has the {most} {noun}s: {count}, worth {_figure(top, 'amount')}."
    verb = {
        "LIST_INVOICES": "owes" if (intent.get("filters") or {}).get("status") else "was invoiced",
        "LIST_ESTIMATES": "has estimates worth",
        "LIST_PAYMENTS": "paid",
        "LIST_BILLS": "billed us",
    }.get(op, "has")
    if verb == "has estimates worth":
        return f"{who} has the {most} in estimates: {_figure(top, field)} {on}."
    if op == "LIST_PAYMENTS":
        on = f"in {plural(count, noun)}"
    return f"{who} {verb} the {most}: {_figure(top, field)} {on}."


def _group_line(group: dict[str, Any], intent: dict[str, Any]) -> str:
    field = (intent.get("sort") or {}).get("field", "amount")
    noun = _NOUNS.get(intent.get("operation", ""), "record")
    on = "in" if noun == "payment" else "on"
    text = f"{_name(group)}: {_figure(group, field)} {on} {plural(int(group.get('Count') or 0), noun)}"
    if group.get("DaysOverdue"):
        text += f", oldest {plural(int(group['DaysOverdue']), 'day')} overdue"
    return text


def answer_ranked(
    result: dict[str, Any], describe_row: Any, *, show_all: bool = False, total: int | None = None
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
