"""Approvals in plain words: what a reviewer types in chat → a decision of the approval protocol (DESIGN §3.3)."""

from __future__ import annotations

import re
from typing import Any

from agent.language.amounts import amount_value
from agent.language.followups import lines_with_hours, new_hours

_YES = re.compile(
    r"^\s*(?:y|yes|yep|yeah|ok|okay|sure|approve[ds]?|approved|go(?: ahead)?|do it|confirm(?:ed)?|"
    r"send it|looks good|lgtm|please do)\b",
    re.I,
)
_NO = re.compile(
    r"^\s*(?:n|no|nope|reject(?:ed)?|cancel|stop|don'?t|do not|decline|never ?mind|abort)\b"
    r"(?:[\s,:;—-]+(?:because\s+|since\s+)?(?P<why>.+))?",
    re.I,
)
_EDIT_AMOUNT = re.compile(
    r"\b(?:make|change|set)\s+(?:it|the amount|amount)\s+(?:to\s+)?(?P<amount>\$?\s?[\d,]+"
    r"(?:\.\d+)?)",
    re.I,
)
_EDIT_REASON = re.compile(r"\b(?:change|set|make)\s+the\s+reason\s+(?:to\s+)?(?P<reason>.+)$", re.I)


def decision_from_words(text: str, request: dict[str, Any]) -> dict[str, Any] | None:
    """``{"type": ...}`` for yes / no (with the reason) / a simple edit; None when the words are unclear.

    ``request`` is the interrupt's first action request (``name``, ``args``), needed to build an edit.
    """
    cleaned = " ".join(text.replace("’", "'").split())
    edit = _EDIT_AMOUNT.search(cleaned)
    takes_amount = "amount" in request.get("args", {}) or request.get("name") in (
        "record_payment",
        "write_off_invoice",
    )
    if edit and takes_amount:
        args = {**request["args"], "amount": str(amount_value(edit["amount"]))}
        return {"type": "edit", "edited_action": {"name": request["name"], "args": args}}
    current = list(request.get("args", {}).get("lines") or [])
    hours = (
        new_hours(cleaned, current) if request.get("name") in ("draft_estimate", "update_estimate") else None
    )
    if hours is not None:
        lines = lines_with_hours(current, hours)
        if lines is not None:
            args = {**request["args"], "lines": lines}
            return {"type": "edit", "edited_action": {"name": request["name"], "args": args}}
    reason = _EDIT_REASON.search(cleaned)
    if reason and "reason" in request.get("args", {}):
        args = {**request["args"], "reason": reason["reason"].strip(" .")}
        return {"type": "edit", "edited_action": {"name": request["name"], "args": args}}
    no = _NO.match(cleaned)
    if no:
        return {"type": "reject", "message": (no["why"] or "").strip(" .") or "Declined in chat."}
    if _YES.match(cleaned):
        return {"type": "approve"}
    return None
