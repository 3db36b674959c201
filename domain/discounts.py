"""Discounts on an estimate draft: a percent or an amount, off one line or the whole estimate.

The domain turns each into a discount line of a fixed amount (what QBO's DiscountLineDetail holds); one it cannot
apply (no such line, more than the base) becomes a warning for the reviewer, never a silent drop.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.models.sales import LineType
from domain.money import ZERO, cents, percent_of
from domain.pricing import LineInput, PricedLine


class DraftDiscount(BaseModel):
    """One discount asked for: ``percent`` or ``amount``; ``item_name`` for one line, none for the whole estimate."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    percent: Decimal | None = Field(default=None, gt=0, le=100)
    amount: Decimal | None = Field(default=None, gt=0, le=Decimal("10000000"))
    item_name: str | None = Field(default=None, max_length=200, description="The line it is off; none = all")
    rationale: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _one_of(self) -> DraftDiscount:
        if (self.percent is None) == (self.amount is None):
            raise ValueError("a discount is a percent or an amount, exactly one of them")
        return self

    def label(self, line: str | None = None) -> str:
        """ "Discount: 10% off", "Discount: $50.00 off Water heater"."""
        size = (
            f"{self.percent.normalize():f}%"
            if self.percent is not None
            else f"${cents(self.amount or 0):,.2f}"
        )
        on = line or self.item_name
        return f"Discount: {size} off {on}" if on else f"Discount: {size} off"


def _fold(name: str) -> str:
    return " ".join(name.casefold().split())


def discount_lines(
    priced: Sequence[PricedLine], discounts: Sequence[DraftDiscount], notes: list[str]
) -> list[LineInput]:
    """Discount lines for ``priced`` (the draft's lines before discounts); what cannot apply is noted."""
    lines: list[LineInput] = []
    left = sum((p.line_subtotal for p in priced if p.line_subtotal > 0), ZERO)
    for d in discounts:
        if d.item_name:
            target = next((p for p in priced if _fold(p.name) == _fold(d.item_name)), None)
            if target is None:
                target = next((p for p in priced if _fold(d.item_name) in _fold(p.name)), None)
            if target is None or target.line_subtotal <= 0:
                notes.append(f"{d.label()} was not applied: the draft has no '{d.item_name}' line.")
                continue
            base, name = (
                target.line_subtotal,
                f"Discount: {d.label().split(': ', 1)[1].replace(d.item_name, target.name)}",
            )
        else:
            base, name = left, d.label()
        amount = percent_of(base, d.percent) if d.percent is not None else cents(d.amount)
        if amount <= 0 or amount > min(base, left):
            notes.append(
                f"{d.label()} was not applied: it is more than the {cents(min(base, left))} it comes off."
            )
            continue
        left -= amount
        lines.append(
            LineInput(
                type=LineType.DISCOUNT,
                name=name[:200],
                quantity=Decimal(1),
                unit_price=amount,
                taxable=False,
                description=d.rationale or None,
            )
        )
    return lines
