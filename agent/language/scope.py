"""Requests the assistant must not or cannot do: bulk deletes, and questions that are not about the books.

Both get a short, honest answer that says what it can do instead — never a list of records that looks like
the request was carried out.
"""

from __future__ import annotations

import re

_DESTRUCTIVE = re.compile(
    r"\b(?:delete|remove|erase|wipe|purge|drop|destroy|clear\s+out|get\s+rid\s+of|nuke|trash)\b"
    r"(?:\s+\S+){0,4}?\s+(?:invoices?|estimates?|quotes?|payments?|bills?|customers?|clients?|items?|"
    r"records?|everything|all|books|data|history|transactions?|accounts?)\b",
    re.IGNORECASE,
)
_BULK_CHANGE = re.compile(
    r"\b(?:void|write\s*off|send)\s+(?:all|every|each|them\s+all)\b(?:\s+\S+){0,3}?\s*"
    r"(?:invoices?|estimates?|quotes?|bills?)?\b",
    re.IGNORECASE,
)
# Topics that are plainly not bookkeeping. Checked only when no reader understood the message.
_OFF_TOPIC = re.compile(
    r"\b(?:weather|forecast|rain|snow|news|headlines|sports?|score|game|joke|recipe|movie|"
    r"stock\s+market|stocks|bitcoin|crypto|traffic|directions|translate|horoscope|lottery|meaning\s+of\s+life|"
    r"who\s+are\s+you|what\s+are\s+you|are\s+you\s+(?:a\s+)?(?:human|real|bot|ai)|what\s+(?:can|do)\s+you\s+do|"
    r"how\s+(?:are|r)\s+(?:you|u)|what\s+can\s+i\s+ask(?:\s+you)?|help)\b",
    re.IGNORECASE,
)
CAPABILITIES = (
    "I'm the books assistant: I answer questions about invoices, estimates, payments, bills, customers and the "
    "price list, draft estimates, and propose changes (send, convert, record a payment, void, write off) for "
    "your approval."
)


def refusal(text: str) -> str | None:
    """The refusal for a destructive bulk request, or None when the message is not one."""
    if _DESTRUCTIVE.search(text):
        return (
            "I can't delete records — nothing in QuickBooks is deleted from this chat, and I never change "
            "records in bulk. What I can do, one document at a time and only with an approval: void an "
            'invoice ("void invoice 1003"), write off what is left on one ("write off invoice 1010 — '
            'uncollectible"), or list what you want to review first ("show open invoices").'
        )
    if _BULK_CHANGE.search(text):
        return (
            'I don\'t change documents in bulk. Name one at a time ("void invoice 1003", "send invoice '
            '1086") and each goes to an approval; to see what is there first, ask "show open invoices".'
        )
    return None


def off_topic(text: str) -> str | None:
    """A short honest answer for a question that is not about the books, or None."""
    found = _OFF_TOPIC.search(text)
    if not found:
        return None
    if re.search(r"\b(?:you|u|i|help)\b", found.group(0), re.IGNORECASE):
        return CAPABILITIES
    return f"I can't help with {found.group(0).lower()} — {CAPABILITIES}"
