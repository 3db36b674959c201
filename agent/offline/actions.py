"""The offline model's reading of write requests: staff phrasing → the same tool calls an LLM would make.

Each reader is a regular expression over the whole message; the first that matches wins. Only phrasing that
clearly asks for a change is read as one; everything else is left to the question reader.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agent.language.amounts import amount_value
from agent.language.payments import read_payment
from agent.language.shorthand import expand

_NUM = r"#?\s*(?P<num>[A-Za-z]{0,3}\d[\w-]*)"
# Whatever follows the document number is the reason given; a void or write-off must not lose it.
_TAIL = r"\b(?P<reason>.*)$"
_REASON_LEAD = re.compile(
    r"^(?:[\s—–:;,.()\[\]-]+|(?:because(?:\s+of)?|since|as|for|due\s+to|reason(?:\s+is|\s+being)?|the\s+reason\s+is)\b)+",
    re.I,
)


def _reason(m: re.Match[str]) -> str:
    """The reason in a request's tail: "— customer went bankrupt", "(entered twice)", "due to a duplicate"."""
    return _REASON_LEAD.sub("", m["reason"] or "").strip(" .;,()[]")


@dataclass(frozen=True, slots=True)
class ToolRequest:
    name: str
    args: dict[str, Any]


def _convert(m: re.Match[str]) -> ToolRequest:
    return ToolRequest("convert_estimate_to_invoice", {"doc_number": m["num"], "send": bool(m["send"])})


def _void(m: re.Match[str]) -> ToolRequest:
    args: dict[str, Any] = {"doc_number": m["num"]}
    reason = _reason(m)
    if reason:
        args["reason"] = reason
    return ToolRequest("void_invoice", args)


def _write_off(m: re.Match[str]) -> ToolRequest:
    reason = _reason(m) or "uncollectible"
    args: dict[str, Any] = {"doc_number": m["num"], "reason": reason if len(reason) >= 3 else "uncollectible"}
    if m["amount"]:
        args["amount"] = str(amount_value(m["amount"]))
    return ToolRequest("write_off_invoice", args)


_ACCEPT_HOW = [
    (re.compile(r"\b(?:phone|called|call|rang)\b", re.I), "phone"),
    (re.compile(r"\b(?:in person|on site|onsite|face to face)\b", re.I), "in person"),
    (re.compile(r"\b(?:e-?mail(?:ed)?)\b", re.I), "email"),
    (re.compile(r"\b(?:text(?:ed)?|sms)\b", re.I), "text"),
]
_NOT_A_NAME = re.compile(r"^(?:the\s+)?(?:customer|client|they|he|she|them|owner|homeowner)$", re.I)


def _accept(m: re.Match[str]) -> ToolRequest:
    """'Jane Cooper accepted estimate 5012 on the phone' → who, how; the customer's contact when no one is named."""
    args: dict[str, Any] = {"doc_number": m["num"]}
    how = next((method for pattern, method in _ACCEPT_HOW if pattern.search(m.string)), None)
    if how:
        args["method"] = how
    who = (m["who"] or "") if "who" in m.re.groupindex else ""
    named = re.search(r"\b(?:by|from)\s+(?P<name>[A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*)*)", m["rest"] or "")
    who = (who or (named["name"] if named else "")).strip(" ,.'\"")
    if who and not _NOT_A_NAME.match(who):
        args["accepted_by"] = who
    return ToolRequest("accept_estimate", args)


def _send(m: re.Match[str]) -> ToolRequest:
    kind = m["kind"].lower()
    name = "send_invoice" if kind.startswith("inv") else "send_estimate"
    return ToolRequest(name, {"doc_number": m["num"]})


_EMAIL = re.compile(r"[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}")
_CONTACT = re.compile(
    r"\b(?:contact(?:\s+(?:is|name|person))?|attn|attention|ask\s+for)\s*[:.-]?\s*"
    r"(?P<contact>[^,;()@\d]+?)(?=\s*(?:[,;()]|\s(?:at|email|e-mail|phone|tel|cell|mobile)\b|\s\S+@|$))",
    re.I,
)


def _customer(m: re.Match[str]) -> ToolRequest:
    rest = m["rest"]
    email = _EMAIL.search(rest)
    phone = _PHONE.search(rest)
    contact = _CONTACT.search(rest)
    name = re.split(
        r",|;|\s+(?:with|email|e-mail|phone|at|contact|attn)\b|\s+\(", rest, maxsplit=1, flags=re.I
    )[0]
    name = name.strip(" .'\"") or rest.strip()
    args: dict[str, Any] = {"display_name": name}
    if email:
        args["email"] = email.group(0)
    if phone:
        args["phone"] = phone.group(0)
    if contact and contact["contact"].strip(" .'\""):
        args["contact_name"] = contact["contact"].strip(" .'\"")
    return ToolRequest("create_customer", args)


_READERS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], ToolRequest | None]]] = [
    (
        re.compile(
            r"\b(?:turn|convert|make|change)\s+(?:the\s+)?(?:estimate|quote)\s+"
            + _NUM
            + r"\s+(?:into|to)\s+(?:an?\s+)?invoice(?P<send>.*\bsend\b)?",
            re.I,
        ),
        _convert,
    ),
    (
        re.compile(
            r"\bwrite[\s-]?off\s+(?:(?P<amount>\$\s?[\d,]+(?:\.\d+)?)\s+(?:of|on|from)\s+)?"
            r"(?:the\s+(?:rest|balance|remainder)\s+(?:of|on)\s+)?(?:invoice\s*)?" + _NUM + _TAIL,
            re.I,
        ),
        _write_off,
    ),
    (re.compile(r"\bvoid\s+(?:out\s+)?(?:the\s+)?(?:invoice\s*)?" + _NUM + _TAIL, re.I), _void),
    (
        re.compile(
            r"\b(?:mark|record|set|log)\s+(?:the\s+)?(?:estimate|quote)\s*"
            + _NUM
            + r"\s+(?:as\s+)?(?:accepted|approved|agreed|signed\s+off)\b(?P<rest>.*)$",
            re.I,
        ),
        _accept,
    ),
    (
        re.compile(
            r"^(?:(?P<who>[\w'.-]+(?:\s+[\w'.-]+){0,3}?)\s+)?(?:has\s+)?(?:accepted|approved|ok'?d|okayed|okay'?d"
            r"|agreed\s+to|said\s+yes\s+to|signed\s+off\s+on)\s+(?:the\s+)?(?:estimate|quote)\s*"
            + _NUM
            + r"(?P<rest>.*)$",
            re.I,
        ),
        _accept,
    ),
    (
        re.compile(
            r"\b(?:send|email|e-mail|resend)\s+(?:the\s+)?(?P<kind>estimate|quote|invoice|inv)\s*" + _NUM,
            re.I,
        ),
        _send,
    ),
    (
        re.compile(
            r"\b(?:add|create|new|set up)\s+(?:a\s+)?(?:new\s+)?customer\s*(?:called|named|:)?\s*(?P<rest>.+)$",
            re.I,
        ),
        _customer,
    ),
]

_DRAFT_TRIGGER = re.compile(
    r"^\s*(?:please\s+|can you\s+|could you\s+|pls\s+)?(?:"
    r"(?:draft|write|create|make|prepare|put together|quote)\b.*\b(?:estimate|quote|bid)\b"
    # "draft for Jane Cooper - swap the heater": drafting for someone is an estimate without the word.
    r"|(?:draft|write up|prepare|put together|price out)\s+(?:up\s+)?(?:one\s+|something\s+)?for\s+\S"
    r"|(?:new\s+)?(?:estimate|quote|bid)\s+for\s+\S"
    r"|(?:i\s+|we\s+)?(?:need|want|gimme|get\s+me|can\s+i\s+get|could\s+i\s+get|can\s+we\s+get)\s+(?:an?\s+)?"
    r"(?:new\s+)?(?:estimate|quote|bid)\s+for\s+\S)",
    re.I | re.S,
)
# "new estimate for X", "need an est for X": the words before "for" that ask for a draft.
_ASKED_FOR = re.compile(
    r"^\s*(?:(?:i\s+|we\s+)?(?:need|want|gimme|get\s+me|can\s+i\s+get|could\s+i\s+get|can\s+we\s+get)\s+"
    r"(?:an?\s+)?)?(?:new\s+)?(?:estimate|quote|bid)\s+(?=for\b)",
    re.I,
)
_DRAFT = re.compile(
    r"^\s*(?:please\s+|can you\s+|could you\s+|pls\s+)?(?:draft|write|create|make|prepare|put together|quote"
    r"|price out)\s+(?:up\s+)?(?:me\s+)?(?:one\s+|something\s+)?(?:an?\s+|the\s+)?(?:estimate|quote|bid)?\s*(?:for\s+(?P<customer>[^:—–\n]+?)\s*"
    r"(?:[:—–]|\s-\s|,)\s*)?(?P<job>.+)$",
    re.I | re.S,
)


def read_write_request(text: str) -> ToolRequest | None:
    """The write a message asks for, if it clearly asks for one."""
    cleaned = expand(text)
    payment = read_payment(cleaned)
    if payment is not None:
        return ToolRequest("record_payment", payment.tool_args())
    for pattern, build in _READERS:
        m = pattern.search(cleaned)
        request = build(m) if m else None
        if request is not None:
            return request
    return None


@dataclass(frozen=True, slots=True)
class DraftRequest:
    customer: str | None
    job: str


def read_draft_request(text: str) -> DraftRequest | None:
    """'draft an estimate for Jane Cooper: replace the water heater, 3.5 hours' → customer + job."""
    cleaned = expand(text)
    if not _DRAFT_TRIGGER.match(cleaned):
        return None
    asked = _ASKED_FOR.match(cleaned)
    if asked:
        cleaned = "draft an estimate " + cleaned[asked.end() :]
    m = _DRAFT.match(cleaned)
    if m is None:
        return None
    customer = (m["customer"] or "").strip() or None
    return DraftRequest(customer=customer, job=m["job"].strip())
