"""Report questions: "A/R aging", "aging detail", "customer balances", "P&L last quarter" → read_report arguments.

The words are read before the list questions: "aging" alone used to mean "overdue invoices", but a bookkeeper
who says it wants the aging buckets.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from agent.language.names import find_name
from agent.language.periods import find_period

AGING = re.compile(
    r"\b(?:a/?r\s+aging|aging(?:\s+(?:report|summary|buckets?|detail))?|aged\s+(?:receivables?|a/?r|debtors?)|"
    r"aged\s+report|how\s+old\s+(?:are|is)\s+(?:our|the)\s+(?:receivables?|a/?r))\b",
    re.I,
)
DETAIL = re.compile(
    r"\b(?:detail(?:ed)?|by\s+invoice|per\s+invoice|each\s+invoice|invoice\s+by\s+invoice)\b", re.I
)
BALANCES = re.compile(
    r"\b(?:customer\s+balances?(?:\s+(?:report|summary))?|balances?\s+(?:by|per|for\s+(?:each|every|all))\s+customers?|"
    r"(?:each|every|all)\s+customers?'?s?\s+balances?|what\s+each\s+customer\s+owes)\b",
    re.I,
)
PNL = re.compile(
    r"\b(?:p\s*&\s*l|p\s+and\s+l|pnl|profit\s*(?:and|&)\s*loss|income\s+statement|net\s+(?:income|profit)|"
    r"(?:our|the)\s+profit|profitab(?:le|ility)|how\s+much\s+(?:profit|did\s+we\s+(?:make|clear)))\b",
    re.I,
)


def read_report_request(text: str, today: date) -> dict[str, Any] | None:
    """The read_report arguments a question asks for, or None when it is not a report question."""
    if PNL.search(text):
        args: dict[str, Any] = {"report": "ProfitAndLoss"}
        period = find_period(text, today)
        if period and period.period.date_from:
            args["date_from"] = period.period.date_from.isoformat()
            args["date_to"] = min(period.period.date_to or today, today).isoformat()
        return args
    aging = AGING.search(text)
    if aging:
        report = "AgedReceivableDetail" if DETAIL.search(text) else "AgedReceivables"
    elif BALANCES.search(text):
        report = "CustomerBalance"
    else:
        return None
    args = {"report": report}
    rest = AGING.sub(" ; ", BALANCES.sub(" ; ", DETAIL.sub(" ; ", text)))
    name = find_name(rest)
    if name is not None and name.role != "vendor":
        args["customer"] = name.name
    return args
