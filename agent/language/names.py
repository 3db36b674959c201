"""Finding the customer or vendor a question names, exactly as written.

"for X", "from X", "X's invoices", "did X pay", "customer X", or a run of capitalised words that are not question
words ("Harbor Cafe & Grill", "Dr. Amelia Watson", "O'Brien Construction"). Which record it means is decided
later against the company's list (domain.names); here we only cut the phrase out of the sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from agent.language.vocabulary import is_vocabulary

# A word: Unicode letters and digits, with apostrophes, backslashes, quotes, dots, hyphens and slashes inside
# ("O'Brien", "Back\\'slash", "Ölaf", "A/C"); it may open with a quote ('"Quote" Co').
_TOKEN = re.compile(r"[\"“']?[^\W_](?:[\w'’.\-/\\\"”]*[\w'’\"”])?\.?|&|\+")
_ABBREVIATIONS = frozenset(
    {
        "dr",
        "co",
        "inc",
        "corp",
        "ltd",
        "jr",
        "sr",
        "st",
        "mr",
        "mrs",
        "ms",
        "bros",
        "assn",
        "intl",
        "mt",
        "ft",
        "no",
    }
)
_ANCHOR_BEFORE = frozenset(
    {
        "for",
        "from",
        "by",
        "with",
        "about",
        "to",
        "customer",
        "client",
        "vendor",
        "supplier",
        "subcontractor",
        "did",
        "does",
        "has",
        "had",
        "named",
        "called",
        "regarding",
        "against",
        "billed",
        "invoiced",
        "quoted",
        "of",
        "is",
        "owe",
        "up",
    }
)
# The kinds of document staff ask about; none of them is ever part of a customer's name.
_DOCUMENT_NOUNS = frozenset(
    [
        "invoice",
        "invoices",
        "estimate",
        "estimates",
        "quote",
        "quotes",
        "bid",
        "bids",
        "bill",
        "bills",
        "payment",
        "payments",
    ]
)
_ANCHOR_AFTER = _DOCUMENT_NOUNS | frozenset(
    {
        "pay",
        "paid",
        "pays",
        "owe",
        "owes",
        "owed",
        "has",
        "have",
        "had",
        "sent",
        "account",
        "balance",
        "still",
        "open",
        "unpaid",
        "overdue",
        "outstanding",
        "late",
        "pending",
        "accepted",
        "rejected",
        "partially",
        "receipts",
        "statement",
        "stuff",
    }
)
# Capitalised question words that never continue a name ("ACME Invoices" is ACME's invoices).
_NEVER_EXTEND = _DOCUMENT_NOUNS | frozenset(
    {
        "paid",
        "unpaid",
        "open",
        "overdue",
        "pending",
        "accepted",
        "rejected",
        "closed",
        "owe",
        "owes",
        "pay",
        "pays",
        "total",
        "how",
        "what",
        "show",
        "list",
        "find",
        "did",
        "does",
        "has",
        "have",
        "is",
        "are",
    }
)
_CONNECTORS = frozenset({"&", "+", "and", "of", "the", "de", "la", "del", "van", "von", "der", "n", "'n'"})
_LEGAL_SUFFIXES = frozenset({"inc", "llc", "ltd", "corp", "co", "llp", "plc", "pllc"})
_DETERMINERS = frozenset({"the", "our", "a", "an", "my"})
_VENDOR_MARKERS = frozenset({"vendor", "supplier", "subcontractor", "sub"})
_CUSTOMER_MARKERS = frozenset({"customer", "client", "homeowner"})


@dataclass(frozen=True, slots=True)
class NameMatch:
    name: str
    start: int
    end: int
    role: Literal["customer", "vendor"] | None  # what the sentence itself says it is, if anything


@dataclass(slots=True)
class _Token:
    text: str
    start: int
    end: int

    @property
    def bare(self) -> str:
        return self.text.lower().rstrip(".")

    @property
    def capitalised(self) -> bool:
        return self.text.lstrip("\"“'")[:1].isupper()

    @property
    def quoted(self) -> bool:
        return self.text[:1] in "\"“'" or self.text[-1:] in '"”'

    @property
    def has_digit(self) -> bool:
        return any(ch.isdigit() for ch in self.text)


def _tokens(text: str) -> list[_Token]:
    return [_Token(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _gap_is_space(text: str, left: _Token, right: _Token) -> bool:
    """A name never runs across punctuation (a comma, a question mark, a cut-out phrase)."""
    gap = text[left.end : right.start]
    if left.text.endswith(".") and left.bare not in _ABBREVIATIONS and len(left.bare) > 1:
        return False  # a sentence ended
    return gap.strip() == ""


def _is_name_word(token: _Token) -> bool:
    if token.quoted:
        return True  # 'show invoices for "Quote" Co': a quoted word is a name even when it is a question word
    return not token.has_digit and not is_vocabulary(token.text) and token.text not in {"&", "+"}


def _runs(text: str, tokens: list[_Token]) -> list[tuple[int, int]]:
    """Index ranges [i, j) of tokens that could form a name."""
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        if not _is_name_word(tokens[i]):
            i += 1
            continue
        capital = tokens[i].capitalised
        j = i + 1
        while j < len(tokens):
            token = tokens[j]
            if not _gap_is_space(text, tokens[j - 1], token):
                if token.bare in _LEGAL_SUFFIXES and text[tokens[j - 1].end : token.start].strip() == ",":
                    j += 1  # "Blue Sky HVAC, Inc."
                    continue
                break
            if _is_name_word(token):
                j += 1  # includes "the Riverside school district": people do not always capitalise
                continue
            if capital and token.capitalised and not token.has_digit and token.bare not in _NEVER_EXTEND:
                j += 1  # "Valley Fleet Services": a capitalised word inside a capitalised name
                continue
            nxt = tokens[j + 1] if j + 1 < len(tokens) else None
            if (
                token.bare in _CONNECTORS
                and nxt is not None
                and _gap_is_space(text, token, nxt)
                and not nxt.has_digit
                and (nxt.capitalised if capital else _is_name_word(nxt))
                and nxt.bare not in _NEVER_EXTEND
            ):
                j += 2
                continue
            break
        runs.append((i, j))
        i = j
    return runs


def _strip_possessive(name: str) -> tuple[str, bool]:
    match = re.search(r"(?:['’]s|s['’])$", name)
    if not match:
        return name, False
    return name[: match.start()] + ("s" if match.group(0).startswith("s") else ""), True


# "for @@@", "customer ???": whatever follows a strong anchor up to punctuation that ends a clause.
_DANGLING = re.compile(
    r"\b(?P<anchor>for|from|customer|client|vendor|supplier|subcontractor|named|called)\s+(?P<phrase>[^\s;,][^;,]*)",
    re.IGNORECASE,
)


def _dangling_name(text: str) -> NameMatch | None:
    """A phrase after "for"/"customer"/... that holds no ordinary words: an unreadable name, never dropped."""
    for m in _DANGLING.finditer(text):
        raw = m.group("phrase").strip()
        phrase = raw.rstrip("?!.") or raw  # "for ???" is still a (nonsense) name, not nothing
        words = phrase.split()
        if not words or all(is_vocabulary(w) or w.lower() in _DETERMINERS for w in words):
            continue
        anchor = m.group("anchor").lower()
        role: Literal["customer", "vendor"] | None = (
            "vendor" if anchor in _VENDOR_MARKERS else "customer" if anchor in _CUSTOMER_MARKERS else None
        )
        return NameMatch(name=phrase, start=m.start("phrase"), end=m.start("phrase") + len(phrase), role=role)
    return None


def find_name(text: str) -> NameMatch | None:
    """The most likely customer/vendor phrase in *text*, as written; None when there is none."""
    return _find_name(text) or _dangling_name(text)


def _find_name(text: str) -> NameMatch | None:
    tokens = _tokens(text)
    best: tuple[float, NameMatch] | None = None
    for i, j in _runs(text, tokens):
        first, last = tokens[i], tokens[j - 1]
        before = tokens[i - 1] if i > 0 and _gap_is_space(text, tokens[i - 1], first) else None
        if before is not None and before.bare in _DETERMINERS and i > 1:
            # "for the Riverside school district": the anchor is the word before the article.
            k = i - 2
            before = tokens[k] if _gap_is_space(text, tokens[k], tokens[i - 1]) else before
        after = tokens[j] if j < len(tokens) and _gap_is_space(text, last, tokens[j]) else None
        raw = text[first.start : last.end]
        if raw.endswith(".") and last.bare not in _ABBREVIATIONS and len(last.bare) > 1:
            raw = raw[:-1]
        raw = raw.rstrip(",;:")
        name, possessive = _strip_possessive(raw)
        anchored_before = before is not None and before.bare in _ANCHOR_BEFORE
        anchored_after = after is not None and after.bare in _ANCHOR_AFTER
        capital = first.capitalised
        evidence = anchored_before or anchored_after or possessive
        if not evidence and (not capital or (i == 0 and j - i < 2)):
            continue  # an unknown lower-case word, or a capitalised first word: not evidence of a name
        score = (
            3.0 * anchored_before + 2.0 * anchored_after + 2.0 * possessive + 1.0 * capital + 0.1 * (j - i)
        )
        role: Literal["customer", "vendor"] | None = None
        if before is not None and before.bare in _VENDOR_MARKERS:
            role = "vendor"
        elif before is not None and before.bare in _CUSTOMER_MARKERS:
            role = "customer"
        match = NameMatch(name=name.strip(), start=first.start, end=last.end, role=role)
        if name.strip() and (best is None or score > best[0]):
            best = (score, match)
    return best[1] if best else None
