from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.money import cents, round_labor_hours, to_decimal


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2.675", "2.68"),
        ("2.665", "2.67"),
        ("-1.005", "-1.01"),
        (0.1, "0.10"),
        ("$1,250.5", "1250.50"),
        (3, "3.00"),
    ],
)
def test_cents_rounds_half_up(raw: object, expected: str) -> None:
    assert cents(raw) == Decimal(expected)


@pytest.mark.parametrize(
    ("hours", "billed"),
    [("0.1", "0.5"), ("0.5", "0.5"), ("2.25", "2.5"), ("3", "3.0"), ("3.01", "3.5"), ("7.5", "7.5")],
)
def test_labor_rounds_up_to_half_hours(hours: str, billed: str) -> None:
    assert round_labor_hours(hours) == Decimal(billed)


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", True, None, [1]])
def test_to_decimal_refuses_non_numbers(bad: object) -> None:
    with pytest.raises(ValueError):
        to_decimal(bad)


def test_labor_hours_must_be_positive() -> None:
    with pytest.raises(ValueError):
        round_labor_hours("0")


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000"), places=2))
def test_rounded_hours_are_half_steps_never_below_input(hours: Decimal) -> None:
    billed = round_labor_hours(hours)
    assert billed >= hours
    assert billed - hours < Decimal("0.5")
    assert (billed * 2) % 1 == 0
