"""The rule-based question reader: an English question about the books → a QboIntent, or an honest "not understood".

Order matters and is the design: document numbers, then date phrases, then money bounds are cut out of the
sentence first, so what remains holds only the name, the record kind, the status and the aggregate.
Names are returned as written; :func:`resolve_names` turns them into the company's canonical names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError

from agent.language import vocabulary
from agent.language.amounts import find_amounts
from agent.language.names import find_name
from agent.language.periods import find_period
from agent.language.rankings import find_ranking, ranking_keys
from agent.language.shorthand import expand
from domain.intent import (
    GET_OPERATIONS,
    TRANSACTION_OPERATIONS,
    Operation,
    QboIntent,
    explain_validation_error,
)
from domain.names import NameCandidate, resolve_name

_CUT = " ; "
MAX_QUESTION_CHARS = 500  # questions are a sentence or two; the patterns are not meant for documents
_DOC_NUMBER = re.compile(
    r"\b(?P<noun>invoice|inv|estimate|quote|bid|proposal|bill)\s*(?:number|num\.?|no\.?|#)?\s*#?\s*"
    r"(?P<num>[A-Za-z]{0,3}\d[\w-]*)(?![\w/])(?!\s*(?:dollars|bucks|k\b|%))",
    re.IGNORECASE,
)
_HASH_NUMBER = re.compile(
    r"(?<![\w$])(?:#|(?:number|no\.)\s)\s?(?P<num>[A-Za-z]{0,3}\d[\w-]*)", re.IGNORECASE
)
# "balance on 1086", "status of 1042": a bare number whose balance or status is asked is a document.
_BALANCE_OF_NUMBER = re.compile(
    r"\b(?:balance|status|amount\s+due|total)\s+(?:on|of|for)\s+(?P<num>\d{3,8})\b(?!\s*(?:dollars|bucks|k\b|%))",
    re.IGNORECASE,
)

# Time words left over once every date phrase we know was cut out: a period we failed to read.
_UNREAD_DATES = re.compile(
    r"\b(?:(?:this|last|next|past|previous|current|prior)\s+(?:fiscal\s+)?(?:quarter|month|week|year|fy)s?|"
    r"(?:quarter|month|year)\s+to\s+date|since\s+(?!when\b)\w+|\d+\s+(?:days?|weeks?|months?|years?)\s+ago)\b",
    re.IGNORECASE,
)
_NOUNS = {
    Operation.GET_INVOICE: "a single invoice",
    Operation.GET_ESTIMATE: "a single estimate",
    Operation.GET_CUSTOMER: "a customer's details",
    Operation.LIST_CUSTOMERS: "the customer list",
    Operation.LIST_ITEMS: "the price list",
}


@dataclass(frozen=True, slots=True)
class IntentParse:
    """Either an intent or a message saying what was not understood (with examples of what works)."""

    intent: QboIntent | None
    message: str | None = None
    # Things the question said that the intent could not carry; the answer must say them, never drop them.
    notes: tuple[str, ...] = ()

    @property
    def understood(self) -> bool:
        return self.intent is not None


def not_understood(reason: str) -> IntentParse:
    examples = "; ".join(f'"{e}"' for e in vocabulary.OPERATION_EXAMPLES)
    return IntentParse(
        None,
        f"{reason} I can answer questions about invoices, estimates, payments, bills, customers and the price "
        f"list, e.g. {examples}.",
    )


def _cut(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """Replace the spans with a separator that also stops a name from running across them."""
    out, last = [], 0
    for start, end in sorted(spans):
        out.append(text[last:start])
        out.append(_CUT)
        last = end
    out.append(text[last:])
    return "".join(out)


def _find_doc_number(text: str) -> tuple[str | None, str | None, tuple[int, int] | None]:
    """("1042", "invoice", span) for "invoice 1042", "invoice #1042", "#1042", "estimate no. 5012"."""
    m = _DOC_NUMBER.search(text)
    if m:
        return m.group("num"), m.group("noun").lower(), (m.start(), m.end())
    m2 = _HASH_NUMBER.search(text)
    if m2:
        return m2.group("num"), None, (m2.start(), m2.end())
    m3 = _BALANCE_OF_NUMBER.search(text)
    if m3:
        return m3.group("num"), None, (m3.start("num"), m3.end("num"))
    return None, None, None


def parse_intent(utterance: str, today: date) -> IntentParse:
    """Read one question; *today* anchors relative dates ("last month")."""
    text = expand(utterance)
    if not text:
        return not_understood("The question was empty.")
    if len(text) > MAX_QUESTION_CHARS:
        return not_understood(
            f"That is longer than a question I can read ({MAX_QUESTION_CHARS} characters at most)."
        )

    doc_number, doc_noun, doc_span = _find_doc_number(text)
    if doc_span:
        text = _cut(text, [doc_span])
    period = find_period(text, today)
    if period:
        text = _cut(text, period.spans)
    ranking = find_ranking(text)
    if ranking:
        text = _cut(text, ranking.spans)
    unread = _UNREAD_DATES.search(text)
    if unread:
        # A date phrase we could not read must never turn into an all-time answer.
        return not_understood(
            f"I could not read the dates in '{utterance.strip()}' (near '{unread.group(0)}'). Say e.g. "
            '"this quarter", "last 30 days", "since March 1" or "in October".'
        )
    amounts = find_amounts(text)
    if amounts:
        text = _cut(text, amounts.spans)
    name = find_name(text)
    rest = _cut(text, [(name.start, name.end)]) if name else text
    if doc_noun:
        rest = f"{doc_noun} {rest}"  # the noun went with the number; it still says what kind of record

    vendor_hint = name is not None and name.role == "vendor"
    operation = vocabulary.detect_operation(
        rest, has_doc_number=doc_number is not None, vendor_hint=vendor_hint
    )
    if operation is None and name is not None:
        # A name and no record kind: "look up Maple Street Dental" is the customer; "how much for ACME?" their
        # invoices. Anything else is a guess we do not make.
        if vocabulary.CUSTOMER_LOOKUP.search(rest):
            operation = Operation.GET_CUSTOMER
        elif vocabulary.SUM_WORDS.search(rest):
            operation = Operation.LIST_INVOICES
    if operation is None:
        return not_understood(f"I could not tell what kind of records '{utterance.strip()}' is about.")
    if operation is Operation.LIST_CUSTOMERS and name is not None:
        operation = Operation.GET_CUSTOMER

    filters: dict[str, Any] = {}
    notes: list[str] = []
    if operation is Operation.LIST_ITEMS:
        name = None  # "price of Kitchen Faucet" names an item, and the price list has no name filter
    if name is not None:
        key = "vendorName" if operation is Operation.LIST_BILLS else "customerName"
        filters[key] = name.name
    status = vocabulary.detect_status(rest, operation)
    ranked: dict[str, Any] = {}
    if ranking and operation not in GET_OPERATIONS:
        operation, status, ranked = ranking_keys(ranking, operation, status, rest)
    if status is not None:
        filters["status"] = status.value
    if operation in TRANSACTION_OPERATIONS and operation not in GET_OPERATIONS:
        if period:
            filters["dateFrom"] = period.period.date_from
            filters["dateTo"] = period.period.date_to
        if amounts:
            filters["minAmount"] = amounts.min_amount
            filters["maxAmount"] = amounts.max_amount
    else:
        noun = _NOUNS[operation]
        if period:
            notes.append(f"I cannot filter {noun} by date, so the dates you gave were not applied.")
        if amounts:
            notes.append(f"I cannot filter {noun} by amount, so the amount you gave was not applied.")
    if doc_number and operation in {
        Operation.GET_INVOICE,
        Operation.GET_ESTIMATE,
        Operation.LIST_BILLS,
    }:
        filters["docNumber"] = doc_number
    aggregate = vocabulary.detect_aggregate(rest)
    if operation in GET_OPERATIONS or (aggregate == "sum" and operation not in TRANSACTION_OPERATIONS):
        aggregate = None
    try:
        intent = QboIntent.model_validate(
            {"operation": operation, "filters": filters, "aggregate": aggregate, **ranked}
        )
    except ValidationError as exc:
        return not_understood(f"That question does not make a valid query ({explain_validation_error(exc)}).")
    return IntentParse(intent, notes=tuple(notes))


def resolve_names(
    intent: QboIntent,
    customers: Sequence[NameCandidate],
    vendors: Sequence[NameCandidate],
) -> QboIntent:
    """The same intent with names replaced by the company's canonical ones; raises UnknownName/AmbiguousName."""
    updates: dict[str, str] = {}
    if intent.filters.customer_name:
        updates["customer_name"] = resolve_name(intent.filters.customer_name, customers, kind="customer").name
    if intent.filters.vendor_name:
        updates["vendor_name"] = resolve_name(intent.filters.vendor_name, vendors, kind="vendor").name
    if not updates:
        return intent
    return intent.model_copy(update={"filters": intent.filters.model_copy(update=updates)})
