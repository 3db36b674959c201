"""Money bounds in plain language: "over $1,000", "under 300 bucks", "between 500 and 2k", "five hundred".

Only the language; whether the bound compares Balance or TotalAmt is the intent's business (DESIGN §3.1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_ONES = {
    "zero": 0,
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1000, "grand": 1000, "k": 1000, "million": 1_000_000, "m": 1_000_000}
_WORD = "|".join(sorted([*_ONES, *_TENS], key=len, reverse=True))
# "a" starts a number only as "a hundred" / "a thousand" / "a grand".
_FIRST_WORD = "|".join(sorted([w for w in [*_ONES, *_TENS] if w not in {"a", "an"}], key=len, reverse=True))
_WORDS_NUMBER = (
    rf"(?:(?:{_FIRST_WORD}|an?(?=\s+(?:hundred|thousand|grand)))"
    rf"(?:[\s-]+(?:{_WORD}|hundred|thousand|grand|million|and|a\s+half))*)"
)
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
# One amount: "$2,500.50", "2k", "1.5k", "$3 grand", "five hundred dollars", "1,000 USD".
AMOUNT = (
    rf"(?:\$\s?(?:{_DIGITS})(?:\s?(?:k|m|grand|thousand|million)\b)?"
    rf"|(?:{_DIGITS})(?:\s?(?:k|m|grand|thousand|million)\b)?(?:\s?(?:dollars|bucks|usd|\$))?"
    rf"|{_WORDS_NUMBER}\s+(?:dollars|bucks|grand)"
    rf"|{_WORDS_NUMBER}(?=\s*(?:$|[,.?!;]|\s(?:and|or|to|in|for|from|dollars|bucks)\b)))"
)
# A number followed by one of these is a count or an age, not money.
_NOT_MONEY_AFTER = re.compile(
    r"\s*(?:%|percent|days?|weeks?|months?|years?|hours?|hrs?|invoices?|estimates?|quotes?|bills?|payments?|"
    r"customers?|clients?|items?|of\s+them|times?)\b",
    re.IGNORECASE,
)
_MIN_WORDS = (
    r"over|above|more\s+than|greater\s+than|bigger\s+than|larger\s+than|higher\s+than|exceeding|in\s+excess\s+of|"
    r"at\s+least|no\s+less\s+than|not\s+less\s+than|minimum(?:\s+of)?|min|north\s+of|upwards\s+of|starting\s+at|"
    r">=|>|from"
)
_MAX_WORDS = (
    r"under|below|less\s+than|lower\s+than|smaller\s+than|cheaper\s+than|at\s+most|no\s+more\s+than|"
    r"not\s+more\s+than|not\s+over|maximum(?:\s+of)?|max|up\s+to|south\s+of|within|<=|<"
)


@dataclass(frozen=True, slots=True)
class AmountMatch:
    min_amount: Decimal | None
    max_amount: Decimal | None
    spans: tuple[tuple[int, int], ...]


def words_to_number(text: str) -> Decimal:
    """ "five hundred" → 500, "fifteen hundred" → 1500, "two and a half thousand" → 2500."""
    total = Decimal(0)
    current = Decimal(0)
    for word in re.split(r"[\s-]+", text.lower().strip()):
        if word in {"and", ""}:
            continue
        if word in _ONES:
            current += _ONES[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "half":
            current += Decimal("0.5")
        elif word == "hundred":
            current = (current or Decimal(1)) * 100
        elif word in {"thousand", "grand", "million"}:
            total += (current or Decimal(1)) * _SCALES[word]
            current = Decimal(0)
        else:
            raise ValueError(f"not a number word: {word!r}")
    return total + current


def amount_value(text: str) -> Decimal:
    """The Decimal an AMOUNT match stands for."""
    cleaned = (
        text.lower().replace("$", "").replace("dollars", "").replace("bucks", "").replace("usd", "").strip()
    )
    match = re.fullmatch(rf"({_DIGITS})\s?(k|m|grand|thousand|million)?", cleaned)
    if match:
        try:
            number = Decimal(match.group(1).replace(",", ""))
        except InvalidOperation as exc:  # pragma: no cover - the pattern only lets digits through
            raise ValueError(text) from exc
        scale = match.group(2)
        return number * _SCALES[scale] if scale else number
    cleaned = re.sub(r"\s+a\s+half", " half", cleaned)
    return words_to_number(cleaned)


def _amount(name: str) -> str:
    return rf"(?P<{name}>{AMOUNT})"


_B = r"(?<![\w$.,])"
_BETWEEN = re.compile(
    _B + r"(?:between|from)\s+" + _amount("lo") + r"\s+(?:and|to|-|–)\s+" + _amount("hi") + r"(?![\w,])",
    re.IGNORECASE,
)
_DASH = re.compile(
    _B + r"(?P<lo>\$\s?" + _DIGITS + r"k?)\s?(?:-|–|to)\s?" + _amount("hi") + r"(?![\w,])", re.IGNORECASE
)
# "no more than" is a maximum and "not less than" a minimum: the negated word never starts the other kind.
_NOT_NEGATED = r"(?<!\bno\s)(?<!\bnot\s)"
_MIN = re.compile(
    _B + _NOT_NEGATED + r"(?:" + _MIN_WORDS + r")\s+" + _amount("v") + r"(?![\w,])", re.IGNORECASE
)
_MAX = re.compile(
    _B + _NOT_NEGATED + r"(?:" + _MAX_WORDS + r")\s+" + _amount("v") + r"(?![\w,])", re.IGNORECASE
)
_OR_MORE = re.compile(
    _B
    + _amount("v")
    + r"\s*(?:\+|or\s+(?:more|above|higher|greater|over|bigger)|and\s+(?:up|above|over))(?![\w])",
    re.IGNORECASE,
)
_OR_LESS = re.compile(
    _B + _amount("v") + r"\s+(?:or\s+(?:less|under|below|lower|smaller)|and\s+(?:under|below|less))(?![\w])",
    re.IGNORECASE,
)
_EXACT = re.compile(
    _B + r"(?:exactly|of\s+exactly|for\s+exactly|=)\s+" + _amount("v") + r"(?![\w,])", re.IGNORECASE
)


def _is_money(text: str, match: re.Match[str], group: str) -> bool:
    """Bare numbers count as money only when nothing after them says days, invoices, percent..."""
    if _NOT_MONEY_AFTER.match(text, match.end(group)):
        return False
    raw = match.group(group)
    # "from 2025" or "over 3" with no money sign or scale is too weak to be an amount.
    has_marker = bool(
        re.search(r"[$]|k\b|grand|thousand|million|dollars|bucks|usd|hundred", raw, re.IGNORECASE)
    )
    return has_marker or (bool(re.search(r"\d", raw)) and not re.fullmatch(r"(?:19|20)\d{2}", raw.strip()))


def find_amounts(text: str) -> AmountMatch | None:
    """Min/max amount bounds stated in *text*, with where they were found."""
    low: Decimal | None = None
    high: Decimal | None = None
    spans: list[tuple[int, int]] = []

    def taken(start: int, end: int) -> bool:
        return any(start < e and end > s for s, e in spans)

    for pattern in (_BETWEEN, _DASH):
        for m in pattern.finditer(text):
            if taken(m.start(), m.end()) or not (_is_money(text, m, "hi")):
                continue
            if not re.search(
                r"[$]|k\b|grand|thousand|dollars|bucks|usd|\d", m.group("lo") + m.group("hi"), re.I
            ):
                continue
            a, b = amount_value(m.group("lo")), amount_value(m.group("hi"))
            low, high = min(a, b), max(a, b)
            spans.append((m.start(), m.end()))
    for pattern, kind in ((_EXACT, "eq"), (_OR_MORE, "min"), (_OR_LESS, "max"), (_MIN, "min"), (_MAX, "max")):
        for m in pattern.finditer(text):
            if taken(m.start(), m.end()) or not _is_money(text, m, "v"):
                continue
            if kind == "min" and m.group(0).lower().startswith("from") and "$" not in m.group("v"):
                continue  # "from 3 customers" is not a bound; "from $500" is
            value = amount_value(m.group("v"))
            if kind in {"min", "eq"}:
                low = value
            if kind in {"max", "eq"}:
                high = value
            spans.append((m.start(), m.end()))
    if not spans:
        return None
    return AmountMatch(low, high, tuple(sorted(spans)))
