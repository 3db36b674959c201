"""The offline model's follow-ups: act on the thread working set ("send it", "turn it into an invoice",
"make it 4 hours instead") or refine its last query ("which of those are over 60 days?").

Each reader returns the tool call to make (name, args), a question back (text), or None when the message is not
a follow-up it knows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from agent.language import vocabulary
from agent.language.followups import lines_with_hours, looks_like_follow_up, new_hours, refine_intent
from agent.language.shorthand import expand
from domain.intent import QboIntent

_IT = r"(?:it|that|this|that\s+one|this\s+one|the\s+(?:invoice|estimate|quote|draft|one))"
_SEND = re.compile(
    rf"^\s*(?:ok\s+|okay\s+|great\s+|now\s+|then\s+|pls\s+|please\s+)?(?:send|email|e-mail)\s+{_IT}\b", re.I
)
_CONVERT = re.compile(
    rf"\b(?:(?:turn|make|change)\s+{_IT}\s+(?:into|to)\s+(?:an?\s+)?invoice|convert\s+{_IT}\b"
    rf"(?:\s+(?:into|to)\s+(?:an?\s+)?invoice)?|invoice\s+{_IT}\b)(?P<send>.*\bsend\b)?",
    re.I,
)
_SHOW_IT = re.compile(
    rf"\b(?:(?:show|open|pull\s+up|see)\s+(?:me\s+)?{_IT}|(?:balance|status|total|details?)\s+(?:on|of|for)\s+{_IT})\s*[?.!]*$",
    re.I,
)
_VOID = re.compile(rf"^\s*(?:ok\s+|now\s+|then\s+|please\s+)?void\s+{_IT}\b", re.I)


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A tool call to make, or a question back."""

    tool: str | None = None
    args: dict[str, Any] | None = None
    text: str = ""


def _document(ws: dict[str, Any], kind: str | None = None) -> dict[str, Any] | None:
    doc = ws.get("document")
    if isinstance(doc, dict) and (kind is None or doc.get("kind") == kind):
        return doc
    return None


def _which_one(ws: dict[str, Any], kind: str) -> FollowUp:
    numbers = (ws.get("last_query") or {}).get("doc_numbers") or []
    if len(numbers) > 1:
        shown = ", ".join(numbers[:8])
        return FollowUp(text=f"Which {kind} do you mean? The last list had {len(numbers)}: {shown}.")
    return FollowUp(text=f'Which {kind} do you mean? Give me its number, e.g. "send {kind} 1042".')


def _send(ws: dict[str, Any]) -> FollowUp:
    doc = _document(ws)
    if doc is None or doc.get("kind") not in ("invoice", "estimate"):
        return _which_one(ws, "document")
    return FollowUp(f"send_{doc['kind']}", {"doc_number": doc["doc_number"]})


def _convert(ws: dict[str, Any], send: bool) -> FollowUp:
    doc = _document(ws, "estimate")
    if doc is None:
        return _which_one(ws, "estimate")
    return FollowUp("convert_estimate_to_invoice", {"doc_number": doc["doc_number"], "send": send})


def _void(ws: dict[str, Any]) -> FollowUp:
    doc = _document(ws, "invoice")
    if doc is None:
        return _which_one(ws, "invoice")
    return FollowUp("void_invoice", {"doc_number": doc["doc_number"]})


def _rehour(ws: dict[str, Any], hours: Decimal) -> FollowUp:
    draft = ws.get("draft")
    if not isinstance(draft, dict):
        return FollowUp(text="Which estimate should change? I have no draft in this conversation yet.")
    lines = lines_with_hours(list(draft.get("lines") or []), hours)
    if lines is None:
        if draft.get("status") == "saved":
            return FollowUp(
                text=f"Estimate {draft.get('estimate')} has no labor line whose hours I can change."
            )
        args = {k: draft[k] for k in ("customer", "job_description", "lines", "unpriced") if draft.get(k)}
        return FollowUp("draft_estimate", {**args, "hours": str(hours)})
    if draft.get("status") == "saved" and draft.get("estimate"):
        return FollowUp("update_estimate", {"doc_number": draft["estimate"], "lines": lines})
    args = {k: draft[k] for k in ("customer", "job_description", "unpriced") if draft.get(k)}
    return FollowUp("draft_estimate", {**args, "lines": lines})


_SEND_BARE = re.compile(
    r"^\s*(?:pls\s+|please\s+)?(?:send|email|e-mail|resend)\s+#?(?P<num>\d[\w-]*)\s*[.!]?$", re.I
)


def read_follow_up(text: str, ws: dict[str, Any], today: date) -> FollowUp | None:
    """What a follow-up message asks of the working set, or None when it is not one."""
    words = expand(text)
    bare = _SEND_BARE.match(words)
    if bare:
        doc = _document(ws)
        if doc and doc.get("doc_number") == bare["num"] and doc.get("kind") in ("invoice", "estimate"):
            return FollowUp(f"send_{doc['kind']}", {"doc_number": bare["num"]})
        n = bare["num"]
        return FollowUp(text=f'Invoice {n} or estimate {n}? Say "send invoice {n}" or "send estimate {n}".')
    if not ws:
        return None
    if _SEND.search(words):
        return _send(ws)
    convert = _CONVERT.search(words)
    if convert:
        return _convert(ws, bool(convert["send"]))
    if _VOID.search(words):
        return _void(ws)
    shown = _document(ws)
    if _SHOW_IT.search(words) and shown and shown.get("kind") in ("invoice", "estimate"):
        return FollowUp(f"get_{shown['kind']}", {"doc_number": shown["doc_number"]})
    draft = ws.get("draft")
    hours = new_hours(words, list(draft.get("lines") or [])) if isinstance(draft, dict) else None
    if hours is not None:
        return _rehour(ws, hours)
    last = (ws.get("last_query") or {}).get("intent")
    # "whats the total" names no record kind of its own: it can only be about the last query.
    kind_named = vocabulary.named_record_kind(words) is not None
    if last and (looks_like_follow_up(words) or not kind_named):
        refined = refine_intent(QboIntent.model_validate(last), words, today)
        if refined is not None:
            return FollowUp("query_books", {"intent": refined.to_json()})
    return None


_THAT_INVOICE = re.compile(
    rf"\b(?:for|on|against|to)\s+{_IT}\s*[.!]?$|\b(?:for|on|against|to)\s+{_IT}\b", re.I
)


def with_references(name: str, args: dict[str, Any], text: str, ws: dict[str, Any]) -> dict[str, Any]:
    """Write arguments with "it"/"that invoice" filled from the working set ("record $500 from X for it")."""
    doc = _document(ws, "invoice")
    if name == "record_payment" and not args.get("invoices") and doc and _THAT_INVOICE.search(expand(text)):
        return {**args, "invoices": [doc["doc_number"]]}
    return args
