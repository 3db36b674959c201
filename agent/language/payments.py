"""A payment to record, read from staff phrasing: amount, who paid, how, the check/reference number, which invoices.

"record $1,732.55 ach from bobs bakery for 1086", "log a check # 4471 for $500 from Bob's Bakery on invoice 1042",
"got $250 cash from Jane Cooper". Each part is cut out of the sentence as it is found, so the customer's name is
what is left after "from" — never "bobs bakery for 1086". A number after "check #", "ref" or "conf" is a
reference; a number after "for/on/against (invoice)" is an invoice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agent.language.amounts import amount_value
from domain.services.payment_methods import method_key

_TRIGGER = re.compile(
    r"^\s*(?:please\s+|pls\s+|can you\s+|could you\s+)?(?:record|log|enter|post|apply|book|put in|add)\b"
    r"|^\s*(?:we\s+)?(?:got|received|just got|just received)\s+(?:an?\s+)?(?:\$|\d)",
    re.IGNORECASE,
)
# "Bob's Bakery paid $412.89 by check 3321": a statement that someone paid an amount (never a question).
_PAID_STATEMENT = re.compile(
    r"^\s*(?!(?:did|does|has|have|had|how|what|when|which|who|whos|is|was|were|are|can|could|show|list)\b)"
    r"(?P<c>[^,;?]+?)\s+(?:just\s+)?(?:paid|sent)\s+(?:us\s+|in\s+)?(?=\$|\d)",
    re.IGNORECASE,
)
_DOC = r"[A-Za-z]{0,3}\d[\w-]*"
_AMOUNT = re.compile(
    r"(?<![#\w])(?P<a>\$\s?\d[\d,]*(?:\.\d+)?\s?k?|\d[\d,]*\.\d{2}\b|\d[\d,]*\s?(?:dollars|bucks)\b"
    r"|(?<=\bof\s)\d[\d,]*(?:\.\d+)?\b)",
    re.I,
)
_METHODS = {
    "check": "check",
    "cheque": "check",
    "e-check": "check",
    "echeck": "check",
    "cash": "cash",
    "card": "card",
    "credit card": "card",
    "debit card": "card",
    "cc": "card",
    "visa": "card",
    "mastercard": "card",
    "amex": "card",
    "ach": "ach",
    "eft": "ach",
    "bank transfer": "ach",
    "direct deposit": "ach",
    "wire": "wire",
    "wire transfer": "wire",
    "zelle": "zelle",
    "venmo": "venmo",
}
_METHOD = re.compile(
    r"\b(?:by\s+|via\s+|in\s+)?(?P<m>"
    + "|".join(sorted(map(re.escape, _METHODS), key=len, reverse=True))
    + r")\b",
    re.IGNORECASE,
)
# "check # 4471", "check no. 4471", "chk 4471" (after shorthand: "check 4471"), "ref 88812", "conf #A77".
_REFERENCE = re.compile(
    r"\b(?:(?P<kind>check|cheque)\s*(?:#|no\.?|number|num)?\s*#?\s*|(?:ref(?:erence)?|conf(?:irmation)?|"
    r"trans(?:action)?|txn|trace)\.?\s*(?:#|no\.?|number|num|id)?\s*#?\s*)(?P<ref>[A-Za-z]{0,4}-?\d[\w-]*)",
    re.IGNORECASE,
)
_INVOICES = re.compile(
    r"\b(?:(?:for|on|against|to|toward|towards|applied\s+to|apply\s+to)\s+(?:the\s+)?(?:invoices?\s*)?|invoices?\s*)"
    r"(?:#|no\.?|number)?\s*(?P<list>#?" + _DOC + r"(?:\s*(?:,|&|and|\+)\s*(?:invoice\s*)?#?" + _DOC + r")*)",
    re.IGNORECASE,
)
_FROM = re.compile(
    r"\bfrom\s+(?P<c>[^;]+?)\s*(?=;|,|\(|\s-\s|\s(?:for|on|against|toward|towards|by|via|paid|applied|dated|"
    r"today|yesterday|as|with)\b|[.!?]?\s*$)",
    re.IGNORECASE,
)
_CUT = " ; "


@dataclass(frozen=True, slots=True)
class PaymentWords:
    """What a payment request said; None for anything it did not say."""

    customer: str
    amount: str
    method: str | None = None
    reference: str | None = None
    invoices: list[str] = field(default_factory=list)

    def tool_args(self) -> dict[str, Any]:
        """The ``record_payment`` arguments (the tool's defaults fill what was not said)."""
        args: dict[str, Any] = {"customer": self.customer, "amount": self.amount}
        if self.method:
            args["method"] = method_key(self.method)  # the domain's own name for it ("card" → "credit card")
        if self.invoices:
            args["invoices"] = self.invoices
        if self.reference:
            args["reference"] = self.reference
        return args


def _cut(text: str, match: re.Match[str]) -> str:
    return text[: match.start()] + _CUT + text[match.end() :]


def read_payment(text: str) -> PaymentWords | None:
    """The payment a message asks to record, or None when it is not asking to record one."""
    statement = _PAID_STATEMENT.match(text)
    if statement and "?" not in text:
        text = f"record {text[statement.end() :]} from {statement['c']}"
    if not _TRIGGER.search(text) or not re.search(r"\bfrom\b", text, re.I):
        return None
    rest = text
    reference = _REFERENCE.search(rest)
    ref = None
    method_from_ref = None
    if reference:
        ref = reference["ref"]
        method_from_ref = "check" if reference["kind"] else None
        rest = _cut(rest, reference)
    amount = _AMOUNT.search(rest)
    if amount is None:
        return None
    value = amount_value(amount["a"])
    rest = _cut(rest, amount)
    invoices: list[str] = []
    found = _INVOICES.search(rest)
    if found:
        invoices = re.findall(_DOC, found["list"])
        rest = _cut(rest, found)
    method_match = _METHOD.search(rest)
    method = _METHODS[method_match["m"].lower()] if method_match else method_from_ref
    if method_match:
        rest = _cut(rest, method_match)
    who = _FROM.search(rest)
    if who is None:
        return None
    customer = re.sub(r"^(?:the\s+)?", "", who["c"].strip(" .,'\""), flags=re.I)
    customer = re.sub(r"\s+(?:payment|pmt)$", "", customer, flags=re.I).strip()
    if not customer:
        return None
    return PaymentWords(customer=customer, amount=str(value), method=method, reference=ref, invoices=invoices)
