"""Exact money: ``Decimal`` everywhere, rounded half-up to cents; never a float."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HALF_HOUR = Decimal("0.5")


def to_decimal(value: object) -> Decimal:
    """Parse a money-ish value exactly. Floats go through ``str`` so 0.1 stays 0.1."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise ValueError("a boolean is not an amount")
    elif isinstance(value, int | str):
        try:
            result = Decimal(str(value).strip().replace(",", "").lstrip("$"))
        except InvalidOperation as exc:
            raise ValueError(f"not a number: {value!r}") from exc
    elif isinstance(value, float):
        result = Decimal(repr(value))
    else:
        raise ValueError(f"not a number: {value!r}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def cents(value: object) -> Decimal:
    """Round to cents, half-up (the convention invoices and QBO use)."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def round_labor_hours(hours: object) -> Decimal:
    """Labor is billed in half hours, rounded up: 2.25 h → 2.5 h, 3.0 h → 3.0 h."""
    value = to_decimal(hours)
    if value <= 0:
        raise ValueError("labor hours must be positive")
    halves = (value / HALF_HOUR).to_integral_value(rounding=ROUND_CEILING)
    return (halves * HALF_HOUR).quantize(Decimal("0.1"))


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return cents(amount * percent / Decimal(100))
