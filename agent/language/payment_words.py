"""How staff say how they were paid: the method ("chk", "ACH", "by card") and its reference ("#4471", "trace 0912")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.services.payment_methods import ALIASES

# Longest first, so "credit card" wins over "card"; the domain maps each to the company's own name.
_WORDS = sorted(
    {*ALIASES, "check", "cash", "credit card", "debit card", "ach", "wire", "zelle", "venmo", "paypal"},
    key=len,
    reverse=True,
)
METHOD = r"(?:" + "|".join(re.escape(w) for w in _WORDS) + r")"
_REF_WORD = r"(?:#|no\.?|number|ref(?:erence)?|trace|confirmation|conf)"
# "#4471", "no. 4471", "ref ABC-12", "trace # 091000019": a reference introduced by its word.
_REF = re.compile(
    r"(?<![\w#])(?:(?:check|chk|ck|cheque|ach|wire)\s+)?" + _REF_WORD + r"(?:\s*(?:#|no\.?|number))?\s*#?\s*"
    r"(?P<ref>[A-Za-z0-9][A-Za-z0-9-]{1,39})\b",
    re.I,
)
# "check 4471": a check's number right after the word.
_CHECK_NUMBER = re.compile(r"\b(?:check|chk|ck|cheque)\s+(?P<ref>\d{2,40})\b", re.I)
_METHOD_BEFORE = re.compile(r"\b(?P<method>" + METHOD + r")\b", re.I)
_METHOD_AFTER = re.compile(
    r"(?:\b(?:by|via|with|paid\s+by|paid\s+with)|,)\s+(?P<method>" + METHOD + r")\b", re.I
)


@dataclass(frozen=True, slots=True)
class PaymentWords:
    method: str | None
    reference: str | None
    rest: str  # the text with the method and reference taken out


def _cut(text: str, m: re.Match[str], group: str) -> str:
    return text[: m.start(group)] + text[m.end(group) :]


def payment_words(text: str) -> PaymentWords:
    """Method and reference of "record $500 chk #4471 from bob's" (→ "chk", "4471"); the payer is left alone."""
    reference = None
    found = _CHECK_NUMBER.search(text) or _REF.search(text)
    if found:
        reference = found["ref"]
        text = _cut(text, found, "ref")
        # The word that introduced it ("#", "trace") goes too; a method word stays for the method.
        text = re.sub(
            r"(?:" + _REF_WORD + r")(?:\s*(?:#|no\.?|number))?\s*#?\s*(?=\s|$|,)",
            " ",
            text,
            count=1,
            flags=re.I,
        )
    head, sep, tail = text.partition(" from ")
    method = None
    m = _METHOD_BEFORE.search(head)
    if m:
        method, head = m["method"].lower(), _cut(head, m, "method")
    else:
        m = _METHOD_AFTER.search(tail)
        if m:
            method, tail = m["method"].lower(), tail[: m.start()] + tail[m.end() :]
    return PaymentWords(method, reference, " ".join((head + sep + tail).split()))
