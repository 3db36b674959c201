"""Discounts said in a job: "take 10% off", "a $50 discount", "15 percent off the water heater"."""

from __future__ import annotations

import re
from decimal import Decimal

from domain.discounts import DraftDiscount

_SIZE = r"(?:(?P<pct>\d+(?:\.\d+)?)\s*(?:%|percent|pct)|\$\s?(?P<amt>\d[\d,]*(?:\.\d+)?))"
_WHOLE = re.compile(
    r"^(?:the\s+)?(?:total|whole\s+(?:thing|job|estimate|quote)|estimate|quote|job|everything|it|all)$", re.I
)
_ON = (
    r"(?:\s+(?!please\b)(?:on|of|for|off)?\s*(?:the\s+)?(?P<item>[^,.;]+?))?"
    r"(?=\s*(?:[,.;]|$|\s+(?:and|but|please)\b|\s*please\b))"
)
_DISCOUNTS = [
    # "take 10% off", "knock $50 off the water heater", "10% discount on labor"
    re.compile(
        r"(?:\b(?:take|knock|give|apply|with|minus|less)\s+(?:them\s+|him\s+|her\s+)?(?:an?\s+)?)?"
        + _SIZE
        + r"\s*(?:off|discount)\b"
        + _ON,
        re.I,
    ),
    # "discount of 10%", "discount it by $50"
    re.compile(r"\bdiscount(?:\s+(?:it|them|the\s+\w+))?\s+(?:of|by)\s+" + _SIZE + _ON, re.I),
]


def read_discounts(text: str) -> tuple[list[DraftDiscount], str, list[str]]:
    """The discounts a job asks for, the job without them, and a warning for one whose size is not said."""
    found: list[DraftDiscount] = []
    for pattern in _DISCOUNTS:
        while (m := pattern.search(text)) is not None:
            item = (m["item"] or "").strip()
            item = None if not item or _WHOLE.match(item) else item
            size = (
                {"percent": Decimal(m["pct"])} if m["pct"] else {"amount": Decimal(m["amt"].replace(",", ""))}
            )
            found.append(
                DraftDiscount(**size, item_name=item, rationale=f"Asked for in the job: '{m[0].strip()}'.")
            )
            text = (text[: m.start()] + " " + text[m.end() :]).strip()
    warnings = []
    if re.search(r"\bdiscount", text, re.I):
        warnings.append(
            "The job asks for a discount without saying how much; none was applied. Add it by hand."
        )
    return found, " ".join(text.split()), warnings
