"""The offline model's replies: tool results → plain language (money as money, counts, doc numbers, balances)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from agent.offline.format import describe_filters, money
from agent.offline.format import plural as _plural
from agent.offline.ranked import SHORT_ROWS, answer_ranked

_NOUNS = {
    "LIST_INVOICES": "invoice",
    "GET_INVOICE": "invoice",
    "LIST_ESTIMATES": "estimate",
    "GET_ESTIMATE": "estimate",
    "LIST_PAYMENTS": "payment",
    "LIST_BILLS": "bill",
    "LIST_CUSTOMERS": "customer",
    "GET_CUSTOMER": "customer",
    "LIST_ITEMS": "item",
}


def _party(row: dict[str, Any]) -> str:
    ref = row.get("CustomerRef") or row.get("VendorRef") or {}
    return str(ref.get("name") or "") if isinstance(ref, dict) else str(ref)


def describe_row(row: dict[str, Any], operation: str) -> str:
    if operation in ("LIST_CUSTOMERS", "GET_CUSTOMER"):
        extra = [row[k]["Address"] for k in ("PrimaryEmailAddr",) if isinstance(row.get(k), dict)]
        bal = f", balance {money(row['Balance'])}" if row.get("Balance") is not None else ""
        return f"{row.get('DisplayName')}{bal}" + (f" ({extra[0]})" if extra else "")
    if operation == "LIST_ITEMS":
        return f"{row.get('Name')} — {money(row.get('UnitPrice'))}"
    parts = []
    if row.get("DocNumber"):
        parts.append(f"#{row['DocNumber']}")
    who = _party(row)
    if who:
        parts.append(who)
    if row.get("TxnDate"):
        parts.append(str(row["TxnDate"]))
    parts.append(money(row.get("TotalAmt")))
    if operation in ("LIST_INVOICES", "GET_INVOICE", "LIST_BILLS") and row.get("Balance") is not None:
        parts.append(f"balance {money(row['Balance'])}")
        if row.get("DueDate"):
            parts.append(f"due {row['DueDate']}")
    if row.get("TxnStatus"):
        parts.append(str(row["TxnStatus"]).lower())
    return ", ".join(parts)


def answer_query(result: dict[str, Any], *, show_all: bool = False) -> str:
    """One line that answers, at most a few rows (all of them on "show all"), then the period and filters used."""
    intent = result.get("intent") or {}
    operation = intent.get("operation", "")
    noun = _NOUNS.get(operation, "record")
    rows: list[dict[str, Any]] = result.get("results") or []
    aggregate = result.get("aggregate")
    if any(key in intent for key in ("groupBy", "sort", "limit")):
        return answer_ranked(result, describe_row, show_all=show_all)
    scope = f"\n({describe_filters(intent)})"
    if operation.startswith("GET_"):
        return (
            f"{noun.title()} " + describe_row(rows[0], operation) + "." if rows else f"No {noun}s match that."
        )
    if aggregate and aggregate.get("kind") == "sum":
        field = (
            "balance"
            if (intent.get("filters") or {}).get("status") in ("open", "overdue", "partial")
            else "total"
        )
        text = f"The {field} comes to {money(aggregate['value'])}"
        matched = f" across {_plural(len(rows), noun)}." if rows else f" — no {noun}s matched."
        text += matched
    elif aggregate and aggregate.get("kind") == "count":
        return (
            f"There {'is' if int(aggregate['value']) == 1 else 'are'} {_plural(int(aggregate['value']), noun)}."
            + scope
        )
    elif not rows:
        return f"No {noun}s match that." + scope
    else:
        text = f"I found {_plural(len(rows), noun)}"
        if operation in ("LIST_INVOICES", "LIST_BILLS") and any(r.get("Balance") is not None for r in rows):
            owed = sum((Decimal(str(r.get("Balance") or 0)) for r in rows), Decimal(0))
            text += f" ({money(owed)} open)"
        text += ":"
    shown = rows if show_all else rows[:SHORT_ROWS]
    if shown:
        text += "\n" + "\n".join(f"- {describe_row(r, operation)}" for r in shown)
        if len(rows) > len(shown):
            text += f'\n…and {len(rows) - len(shown)} more (say "show all").'
    return text + scope


def answer_action(tool: str, result: dict[str, Any]) -> str:
    status = result.get("status")
    if status == "rejected":
        why = result.get("message")
        return "OK — I did not do that." + (f" ({why})" if why else "")
    if status == "failed":
        return f"That did not go through: {result.get('error')}. Nothing was changed."
    if status != "executed":
        return f"That action is {status}."
    out = result.get("result") or {}
    done = {
        "convert_estimate_to_invoice": lambda: (
            f"Done: estimate {out.get('estimate')} is now invoice "
            f"{out.get('invoice')} for {out.get('total')}" + (" and it was sent." if out.get("sent") else ".")
        ),
        "record_payment": lambda: (
            f"Done: recorded {out.get('amount')}"
            + (f", applied to invoice {', '.join(out['applied_to'])}" if out.get("applied_to") else "")
            + (
                f"; {out.get('unapplied')} is unapplied."
                if out.get("unapplied") not in (None, "$0.00")
                else "."
            )
        ),
        "void_invoice": lambda: f"Done: invoice {out.get('invoice')} is void.",
        "write_off_invoice": lambda: (
            f"Done: wrote off {out.get('written_off')} of invoice {out.get('invoice')}; "
            f"balance now {out.get('balance')}."
        ),
        "send_estimate": lambda: f"Done: estimate {out.get('estimate')} was sent.",
        "accept_estimate": lambda: (
            f"Done: estimate {out.get('estimate')} is accepted ({out.get('method')}, by {out.get('accepted_by')})."
        ),
        "send_invoice": lambda: f"Done: invoice {out.get('invoice')} was sent.",
        "create_customer": lambda: f"Done: added customer {out.get('display_name')}.",
        "draft_estimate": lambda: (
            f"Saved draft estimate {out.get('estimate')} for {out.get('total')}."
            + (" Please check: " + " ".join(out["warnings"]) if out.get("warnings") else "")
        ),
        "update_estimate": lambda: f"Done: estimate {out.get('estimate')} now totals {out.get('total')}.",
    }
    return done.get(tool, lambda: f"Done: {tool}.")()


def answer_error(result: dict[str, Any]) -> str:
    return f"I could not do that: {result.get('error')}"
