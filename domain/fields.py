"""Pydantic field types shared by every input and output: money and the names QuickBooks will accept."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer

from domain.money import CENT, cents

# Numeric(14, 2) holds 12 digits before the point; nothing a trades business bills comes near it.
MONEY_LIMIT = Decimal("10000000")


def _finite(value: object) -> object:
    # Pydantic reports "Infinity"/"NaN" with a message about decimals; say what is wrong with the amount.
    if isinstance(value, str | float | Decimal):
        try:
            parsed = Decimal(str(value).strip())
        except ArithmeticError:
            return value
        if not parsed.is_finite():
            raise ValueError("an amount must be a finite number")
    return value


def _to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def _money_text(value: Decimal) -> str:
    return f"{cents(value):.2f}"


# Every amount a response carries: "100.00", never "1E+2" or "0.1".
Money = Annotated[Decimal, PlainSerializer(_money_text, return_type=str, when_used="json")]

_IN = (BeforeValidator(_finite), AfterValidator(_to_cents))
MoneyIn = Annotated[Decimal, Field(ge=0, le=MONEY_LIMIT, max_digits=14, decimal_places=2), *_IN]
PositiveMoney = Annotated[Decimal, Field(gt=0, le=MONEY_LIMIT, max_digits=14, decimal_places=2), *_IN]

# QBO: names "must not contain colon (:), tab (\t), or newline (\n)"; other control characters break the sync.
_FORBIDDEN = re.compile(r"[:\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _qbo_name(value: str) -> str:
    bad = _FORBIDDEN.search(value)
    if bad is not None:
        char = bad.group(0)
        shown = "':'" if char == ":" else f"U+{ord(char):04X}"
        raise ValueError(
            f"a name cannot contain {shown} (QuickBooks rejects colons, tabs, newlines, controls)"
        )
    if any(unicodedata.category(ch) in {"Cs", "Co", "Cn"} for ch in value):
        raise ValueError("a name cannot contain unassigned or private-use characters")
    if len(name_key(value)) > NAME_KEY_LENGTH:
        raise ValueError("the name is too long once normalised")
    return value


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


_NAME = (BeforeValidator(_strip), AfterValidator(_qbo_name))
# QBO limits: DisplayName 500 characters, Item Name 100.
DisplayName = Annotated[str, Field(min_length=1, max_length=500), *_NAME]
ItemName = Annotated[str, Field(min_length=1, max_length=100), *_NAME]


NAME_KEY_LENGTH = 1000  # NFKC and casefolding can lengthen a name ("ß" → "ss")


def name_key(name: str) -> str:
    """The form two names are compared in for uniqueness: NFKC, Unicode casefold, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())
