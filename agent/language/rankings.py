"""Ranking words in a question: "who owes us the most", "top 5 customers by balance", "per customer", "most overdue".

:func:`find_ranking` reads them (and gives the spans to cut, so "top" or "by customer" is never taken for a name
or a record kind); :func:`ranking_keys` turns them into the QboIntent's groupBy / sort / limit for the operation
the rest of the sentence chose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from domain.intent import IntentStatus, Operation

_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10, "twenty": 20}
_N = r"\d{1,3}|one|two|three|four|five|ten|twenty"
TOP_N = re.compile(
    rf"\b(?:top|first|biggest|largest|highest)\s+(?P<n>{_N})\b|\b(?P<m>{_N})\s+(?:biggest|largest|highest)\b",
    re.I,
)
TOP = re.compile(r"\btop\b", re.I)
OVERDUE_MOST = re.compile(
    r"\b(?:(?:the\s+)?(?:most|longest)\s+(?:over\s*due|past\s+due|late)|oldest(?=\s+(?:over\s*due|unpaid|open|"
    r"outstanding|past\s+due|invoices?|bills?))|longest\s+unpaid)\b",
    re.I,
)
SUPERLATIVE = re.compile(
    r"(?<!\bat\s)(?<!\bat\sthe\s)\b(?:(?:the\s+)?(?:most|biggest|largest|highest|greatest)(?!\s+recent(?:ly)?)|"
    r"(?P<low>(?:the\s+)?(?:least|smallest|lowest|fewest)))\b",
    re.I,
)
GROUP = re.compile(
    r"\b(?:(?:grouped\s+|broken\s+down\s+|totals?\s+|summed\s+)?(?:by|per|for\s+each|each)\s+"
    r"(?:customer|client|vendor|supplier)s?|(?:customer|client|vendor)\s+breakdown)\b",
    re.I,
)
WHO = re.compile(r"\b(?:who|whom|which\s+(?:customers?|clients?|vendors?|suppliers?))\b", re.I)
PARTIES = re.compile(r"\b(?:customers?|clients?|debtors?|vendors?|suppliers?)\b", re.I)
SORT_BY = re.compile(
    r"\b(?:sort(?:ed)?|order(?:ed)?|rank(?:ed)?|by)\s+(?:by\s+)?(?:the\s+)?"
    r"(?P<field>days?\s+(?:over\s*due|late|past\s+due)|age|balances?|amounts?|totals?|size|dates?|"
    r"number\s+of\s+invoices|count)\b",
    re.I,
)
BALANCE_WORDS = re.compile(r"\b(?:owe[sd]?|owing|balances?|unpaid|outstanding|open|a/r|receivables?)\b", re.I)
COUNT_MOST = re.compile(
    r"\b(?:has|have|had|with|got|gets|sent)\s+(?:us\s+)?the\s+most\s+(?:\w+\s+)?(?:invoices|estimates|bills|payments|jobs)\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class RankingWords:
    group: bool
    field: str | None
    direction: str
    limit: int | None
    spans: tuple[tuple[int, int], ...]


def _number(text: str) -> int:
    return _NUMBER_WORDS.get(text.lower()) or int(text)


def _field(word: str) -> str:
    word = word.lower()
    if word.startswith("day") or word == "age":
        return "daysOverdue"
    if word.startswith("balance"):
        return "balance"
    if word.startswith("date"):
        return "date"
    if word in {"count"} or word.startswith("number"):
        return "count"
    return "amount"


def find_ranking(text: str) -> RankingWords | None:
    """The ranking a question asks for, or None when it asks for a plain list."""
    spans: list[tuple[int, int]] = []
    limit = field = None
    direction = "desc"
    top_n = TOP_N.search(text)
    if top_n:
        limit = _number(top_n.group("n") or top_n.group("m"))
        spans.append(top_n.span())
    elif top := TOP.search(text):
        spans.append(top.span())
    overdue = OVERDUE_MOST.search(text)
    superlative = SUPERLATIVE.search(text)
    if overdue:
        field = "daysOverdue"
    elif superlative:
        if superlative.group("low"):
            direction = "asc"
        field = "count" if COUNT_MOST.search(text) else None
        spans.append(superlative.span())
    sort_by = SORT_BY.search(text)
    if sort_by:
        field = _field(sort_by.group("field").split()[0])
        spans.append(sort_by.span())
    group = GROUP.search(text)
    if group:
        spans.append(group.span())
    ranked = bool(spans) or overdue is not None
    if not ranked:
        return None
    # "who owes the most", "which customers…", "top 5 customers": a ranking of people is a grouped one.
    grouped = group is not None or bool(WHO.search(text) or PARTIES.search(text))
    return RankingWords(grouped, field, direction, limit, tuple(spans))


def ranking_keys(
    words: RankingWords, operation: Operation, status: IntentStatus | None, rest: str
) -> tuple[Operation, IntentStatus | None, dict[str, Any]]:
    """(operation, status, the groupBy/sort/limit keys) for a ranking question."""
    if operation in {Operation.LIST_CUSTOMERS, Operation.GET_CUSTOMER, Operation.LIST_ITEMS}:
        # "top customers by balance" ranks customers by what their invoices say.
        operation = Operation.LIST_INVOICES
        if status is None and BALANCE_WORDS.search(rest):
            status = IntentStatus.OPEN
    balances = operation in {Operation.LIST_INVOICES, Operation.LIST_BILLS}
    field = words.field
    if field in {"balance", "daysOverdue"} and not balances:
        field = "amount"
    if field is None:
        field = "balance" if balances and (status is not None or BALANCE_WORDS.search(rest)) else "amount"
    if field == "balance" and status is None:
        status = IntentStatus.OPEN  # a balance ranking is about what is still owed
    if field == "count" and not words.group:
        field = "amount"
    keys: dict[str, Any] = {"sort": {"field": field, "direction": words.direction}}
    if words.group:
        keys["groupBy"] = "vendor" if operation is Operation.LIST_BILLS else "customer"
    if words.limit is not None:
        keys["limit"] = words.limit
    return operation, status, keys


# "show all" after a short answer: the same question again, every row this time.
SHOW_ALL = re.compile(
    r"^\s*(?:ok(?:ay)?[,\s]+|please\s+)?(?:show|list|see|give|display)\s+(?:me\s+)?(?:them\s+|those\s+)?"
    r"(?:all(?:\s+of\s+(?:them|those|it))?|the\s+(?:rest|whole\s+list|full\s+list)|everything|every\s+row)"
    r"(?:\s+please)?[\s.!]*$",
    re.I,
)
