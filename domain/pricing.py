"""Line and document pricing. The domain computes every total; nothing is taken from a model or a client.

Rules: ``Decimal`` end to end, half-up to cents per line; materials carry a markup (tenant default, per-line
override) added on top of the unit price; discount lines are negative amounts that reduce the subtotal
proportionally across taxable lines; tax applies to taxable lines only and never to a tax-exempt customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from domain.errors import ValidationFailed
from domain.models.sales import LineType
from domain.money import ZERO, cents, percent_of, round_labor_hours

MAX_QUANTITY = Decimal("100000")
MAX_UNIT_PRICE = Decimal("10000000")
MAX_PERCENT = Decimal("1000")


@dataclass(frozen=True, slots=True)
class LineInput:
    type: LineType
    name: str
    quantity: Decimal
    unit_price: Decimal
    taxable: bool = True
    markup_percent: Decimal | None = None  # None: tenant default for materials, 0 for everything else
    item_id: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class PricedLine:
    type: LineType
    name: str
    quantity: Decimal
    unit_price: Decimal
    markup_percent: Decimal
    markup_amount: Decimal
    line_subtotal: Decimal
    taxable: bool
    item_id: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Totals:
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal


def _validate(line: LineInput) -> None:
    if not line.name.strip():
        raise ValidationFailed("every line needs a name")
    if line.type is LineType.TEXT:
        return
    if line.quantity <= 0 or line.quantity > MAX_QUANTITY:
        raise ValidationFailed(
            f"quantity for '{line.name}' must be between 0 and {MAX_QUANTITY}", line=line.name
        )
    if line.unit_price < 0 or line.unit_price > MAX_UNIT_PRICE:
        raise ValidationFailed(
            f"unit price for '{line.name}' must be between 0 and {MAX_UNIT_PRICE}; "
            "enter discounts as a positive amount on a discount line",
            line=line.name,
        )
    if line.markup_percent is not None and not (ZERO <= line.markup_percent <= MAX_PERCENT):
        raise ValidationFailed(
            f"markup for '{line.name}' must be between 0 and {MAX_PERCENT} %", line=line.name
        )


def price_line(line: LineInput, *, default_markup_percent: Decimal) -> PricedLine:
    """Price one line: labor hours rounded up to 0.5 h, markup on materials, half-up to cents."""
    _validate(line)
    if line.type is LineType.TEXT:
        return PricedLine(
            type=line.type,
            name=line.name,
            quantity=ZERO,
            unit_price=ZERO,
            markup_percent=ZERO,
            markup_amount=ZERO,
            line_subtotal=ZERO,
            taxable=False,
            item_id=line.item_id,
            description=line.description,
        )
    quantity = round_labor_hours(line.quantity) if line.type is LineType.LABOR else line.quantity
    if line.markup_percent is not None:
        markup_pct = line.markup_percent
    else:
        markup_pct = default_markup_percent if line.type is LineType.MATERIAL else ZERO
    if line.type is LineType.DISCOUNT:
        markup_pct = ZERO
    base = cents(quantity * line.unit_price)
    markup = percent_of(base, markup_pct)
    subtotal = base + markup
    if line.type is LineType.DISCOUNT:
        subtotal = -subtotal
    return PricedLine(
        type=line.type,
        name=line.name,
        quantity=quantity,
        unit_price=cents(line.unit_price),
        markup_percent=markup_pct,
        markup_amount=markup,
        line_subtotal=subtotal,
        taxable=line.taxable and line.type is not LineType.DISCOUNT,
        item_id=line.item_id,
        description=line.description,
    )


def document_totals(lines: Sequence[PricedLine], *, tax_rate_percent: Decimal, tax_exempt: bool) -> Totals:
    """Subtotal of positive lines, discounts, tax on the discounted taxable base, total."""
    subtotal = sum((ln.line_subtotal for ln in lines if ln.line_subtotal > 0), ZERO)
    discount = -sum((ln.line_subtotal for ln in lines if ln.line_subtotal < 0), ZERO)
    if discount > subtotal:
        raise ValidationFailed(f"discounts ({discount}) exceed the subtotal ({subtotal})")
    taxable_base = sum((ln.line_subtotal for ln in lines if ln.taxable and ln.line_subtotal > 0), ZERO)
    if subtotal > 0 and discount > 0:
        # Discounts reduce the taxable base in proportion to the taxable share of the subtotal.
        taxable_base = cents(taxable_base - discount * taxable_base / subtotal)
    tax = ZERO if tax_exempt or tax_rate_percent <= 0 else percent_of(taxable_base, tax_rate_percent)
    return Totals(subtotal=subtotal, discount_total=discount, tax_total=tax, total=subtotal - discount + tax)


def price_document(
    lines: Sequence[LineInput],
    *,
    default_markup_percent: Decimal,
    tax_rate_percent: Decimal,
    tax_exempt: bool,
) -> tuple[list[PricedLine], Totals]:
    priced = [price_line(ln, default_markup_percent=default_markup_percent) for ln in lines]
    return priced, document_totals(priced, tax_rate_percent=tax_rate_percent, tax_exempt=tax_exempt)


def with_locked_price(line: LineInput, unit_price: Decimal) -> LineInput:
    return replace(line, unit_price=unit_price)
