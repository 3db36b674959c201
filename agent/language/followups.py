"""Follow-up questions that refine the thread's last query: "which of those are over 60 days?", "what about
last year?", "and for ACME?", "how many of them are overdue?".

Only what the follow-up says changes; every other filter of the last intent stays. "Of those" narrows (dates
intersect with the last ones); "what about" replaces the part it names.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from agent.language import vocabulary
from agent.language.amounts import find_amounts
from agent.language.names import NameMatch, find_name
from agent.language.periods import Period, find_period
from agent.language.shorthand import expand
from domain.intent import BALANCE_STATUSES, ESTIMATE_STATUSES, Operation, QboIntent

_FOLLOW_UP = re.compile(
    r"^\s*(?:and|ok|okay|so|now|then|also|but|same|what\s+about|how\s+about|and\s+what\s+about|just|only)\b"
    r"|\b(?:of\s+(?:those|these|them)|those|these|them|the\s+same|instead|same\s+(?:thing|question|for))\b",
    re.IGNORECASE,
)
_NARROW = re.compile(r"\b(?:of\s+(?:those|these|them)|those|these|them|just|only|ones)\b", re.IGNORECASE)
_LISTING = re.compile(r"^\s*(?:and\s+)?(?:which|what|show|list|give|see)\b", re.IGNORECASE)
_CUT = " ; "
_STATUSES = {
    Operation.LIST_INVOICES: BALANCE_STATUSES,
    Operation.LIST_BILLS: BALANCE_STATUSES,
    Operation.LIST_ESTIMATES: ESTIMATE_STATUSES,
}


def looks_like_follow_up(text: str) -> bool:
    """True when the words lean on what came before ("and…", "of those", "what about…")."""
    return bool(_FOLLOW_UP.search(expand(text)))


def _cut(text: str, spans: Any) -> str:
    out, last = [], 0
    for start, end in sorted(spans):
        out.extend([text[last:start], _CUT])
        last = end
    out.append(text[last:])
    return "".join(out)


# "and acme?", "what about greenfield": in a follow-up, what is left after the opener is a name even in lower case.
_BARE_NAME = re.compile(
    r"^\s*(?:and|what\s+about|how\s+about|and\s+what\s+about|same\s+for|and\s+for|now|ok|then)\s+(?:for\s+)?"
    r"(?P<name>[^;?!.,]+?)\s*[?!.]*\s*$",
    re.IGNORECASE,
)


def _bare_name(text: str) -> NameMatch | None:
    found = _BARE_NAME.match(text)
    if not found:
        return None
    words = found["name"].split()
    if not words or all(vocabulary.is_vocabulary(w) for w in words):
        return None
    return NameMatch(name=found["name"].strip(), start=found.start("name"), end=found.end("name"), role=None)


def refine_intent(last: QboIntent, text: str, today: date) -> QboIntent | None:
    """The last intent changed as *text* says, or None when *text* changes nothing about it."""
    words = expand(text)
    narrowing = bool(_NARROW.search(words))
    filters = last.to_json()["filters"]
    changed = False
    period = find_period(words, today)
    rest = _cut(words, period.spans) if period else words
    amounts = find_amounts(rest)
    if amounts:
        rest = _cut(rest, amounts.spans)
    operation = last.operation
    named = vocabulary.named_record_kind(rest)
    if named is not None and named is not operation:
        operation, changed = named, True
        if filters["status"] not in _STATUSES.get(operation, ()):
            filters["status"] = None  # a status of invoices means nothing for estimates
        filters["docNumber"] = None
    if period:
        new = period.period
        if narrowing:
            old = Period(
                date.fromisoformat(filters["dateFrom"]) if filters["dateFrom"] else None,
                date.fromisoformat(filters["dateTo"]) if filters["dateTo"] else None,
            )
            new = old.intersect(new) or new
        filters["dateFrom"] = new.date_from.isoformat() if new.date_from else None
        filters["dateTo"] = new.date_to.isoformat() if new.date_to else None
        changed = True
    if amounts:
        filters["minAmount"], filters["maxAmount"] = amounts.min_amount, amounts.max_amount
        changed = True
    name = find_name(rest) or _bare_name(rest)
    if name is not None:
        key = "vendorName" if operation is Operation.LIST_BILLS else "customerName"
        filters[key] = name.name
        changed = True
    status = vocabulary.detect_status(rest, operation)
    if status is not None:
        filters["status"] = status.value
        changed = True
    aggregate = vocabulary.detect_aggregate(rest)
    if aggregate is not None:
        changed = True
    elif narrowing and _LISTING.search(words):
        aggregate = None  # "which of those…" asks for the records
    else:
        aggregate = last.aggregate
    if not changed:
        return None
    try:
        return QboIntent.model_validate({"operation": operation, "filters": filters, "aggregate": aggregate})
    except ValidationError:
        return None


def lines_with_hours(lines: list[dict[str, Any]], hours: Decimal) -> list[dict[str, Any]] | None:
    """Estimate lines (tool-call JSON) with the labor hours set to *hours*; None when no line has hours."""
    labor = [i for i, line in enumerate(lines) if line.get("hours") is not None]
    if not labor:
        return None
    out = [dict(line) for line in lines]
    for i in labor:
        out[i]["hours"] = str(hours)
        out[i].pop("rationale", None)  # it explained the old hours
    return out


_SET_HOURS = re.compile(
    r"^\s*(?:no,?\s+|actually,?\s+|ok,?\s+|pls\s+|please\s+)*(?:make\s+(?:it|that|the\s+labor|labor)|"
    r"change\s+(?:it|that|the\s+labor|labor|the\s+hours|hours)\s+to|(?:use|put|set)(?:\s+it|\s+labor|\s+the\s+labor)?"
    r"(?:\s+(?:at|to))?)?\s*(?P<h>\d+(?:\.\d+)?)\s*(?:hours?|h)\b(?:\s+(?:of\s+)?labor)?(?:\s+instead)?[\s.!]*$",
    re.IGNORECASE,
)
_ADD_HOURS = re.compile(
    r"^\s*(?:and\s+|also\s+|pls\s+|please\s+)?(?:add|plus)\s+(?:(?P<h>\d+(?:\.\d+)?)|an?|another|one)?\s*"
    r"(?:more|extra|additional)?\s*(?:hours?|h)\b(?:\s+(?:of\s+)?labor)?[\s.!]*$",
    re.IGNORECASE,
)


def new_hours(text: str, lines: list[dict[str, Any]]) -> Decimal | None:
    """The labor hours a change in words asks for ("make it 4 hours instead", "add an hour"), or None."""
    words = expand(text)
    found = _SET_HOURS.match(words)
    if found:
        return Decimal(found["h"])
    added = _ADD_HOURS.match(words)
    current = [Decimal(str(line["hours"])) for line in lines if line.get("hours") is not None]
    if added and current:
        return current[0] + (Decimal(added["h"]) if added["h"] else Decimal(1))
    return None
