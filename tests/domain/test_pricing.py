from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import ValidationFailed
from domain.models import LineType
from domain.money import cents
from domain.pricing import LineInput, price_document, price_line

D = Decimal


def test_seed_water_heater_example() -> None:
    lines, totals = price_document(
        [
            LineInput(LineType.LABOR, "Labor", D("3.5"), D("110"), taxable=False),
            LineInput(LineType.MATERIAL, "Water heater", D("1"), D("950")),
        ],
        default_markup_percent=D("20"),
        tax_rate_percent=D("0"),
        tax_exempt=False,
    )
    assert [ln.line_subtotal for ln in lines] == [D("385.00"), D("1140.00")]
    assert lines[1].markup_amount == D("190.00")
    assert totals.subtotal == D("1525.00")
    assert totals.total == D("1525.00")


def test_tax_applies_to_taxable_lines_only_and_never_to_exempt_customers() -> None:
    lines = [
        LineInput(LineType.LABOR, "Labor", D("2"), D("100"), taxable=False),
        LineInput(LineType.MATERIAL, "Faucet", D("1"), D("100"), markup_percent=D("0")),
    ]
    _, taxed = price_document(
        lines, default_markup_percent=D("20"), tax_rate_percent=D("8.25"), tax_exempt=False
    )
    _, exempt = price_document(
        lines, default_markup_percent=D("20"), tax_rate_percent=D("8.25"), tax_exempt=True
    )
    assert taxed.tax_total == D("8.25")
    assert taxed.total == D("308.25")
    assert exempt.tax_total == D("0.00")


def test_per_line_markup_override_and_labor_rounding() -> None:
    line = price_line(
        LineInput(LineType.MATERIAL, "Pipe", D("10"), D("1.43"), markup_percent=D("35")),
        default_markup_percent=D("20"),
    )
    assert line.markup_amount == D("5.01")  # 14.30 * 35 % = 5.005 → 5.01 half-up
    labor = price_line(
        LineInput(LineType.LABOR, "Labor", D("2.25"), D("110")), default_markup_percent=D("20")
    )
    assert labor.quantity == D("2.5")
    assert labor.markup_percent == 0


def test_discount_reduces_subtotal_and_taxable_base() -> None:
    lines = [
        LineInput(LineType.MATERIAL, "Faucet", D("1"), D("200"), markup_percent=D("0")),
        LineInput(LineType.DISCOUNT, "Loyalty", D("1"), D("20")),
    ]
    priced, totals = price_document(
        lines, default_markup_percent=D("20"), tax_rate_percent=D("10"), tax_exempt=False
    )
    assert priced[1].line_subtotal == D("-20.00")
    assert totals.discount_total == D("20.00")
    assert totals.tax_total == D("18.00")
    assert totals.total == D("198.00")


@pytest.mark.parametrize(
    "line",
    [
        LineInput(LineType.MATERIAL, "x", D("0"), D("1")),
        LineInput(LineType.MATERIAL, "x", D("1"), D("-5")),
        LineInput(LineType.MATERIAL, "x", D("1"), D("5"), markup_percent=D("-1")),
        LineInput(LineType.MATERIAL, " ", D("1"), D("5")),
        LineInput(LineType.MATERIAL, "x", D("1000000"), D("5")),
    ],
)
def test_out_of_bounds_lines_are_refused(line: LineInput) -> None:
    with pytest.raises(ValidationFailed):
        price_line(line, default_markup_percent=D("20"))


def test_discount_larger_than_subtotal_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        price_document(
            [
                LineInput(LineType.FEE, "Fee", D("1"), D("10")),
                LineInput(LineType.DISCOUNT, "Big", D("1"), D("11")),
            ],
            default_markup_percent=D("0"),
            tax_rate_percent=D("0"),
            tax_exempt=False,
        )


money = st.decimals(min_value=D("0"), max_value=D("5000"), places=2)
qty = st.decimals(min_value=D("0.25"), max_value=D("200"), places=2)
line_strategy = st.builds(
    LineInput,
    type=st.sampled_from([LineType.LABOR, LineType.MATERIAL, LineType.FEE, LineType.OTHER]),
    name=st.just("line"),
    quantity=qty,
    unit_price=money,
    taxable=st.booleans(),
    markup_percent=st.one_of(st.none(), st.decimals(min_value=D("0"), max_value=D("100"), places=1)),
)


@given(
    lines=st.lists(line_strategy, min_size=1, max_size=12),
    rate=st.decimals(min_value=D("0"), max_value=D("15"), places=3),
    exempt=st.booleans(),
)
def test_totals_always_equal_sum_of_rounded_lines_plus_tax(
    lines: list[LineInput], rate: Decimal, exempt: bool
) -> None:
    priced, totals = price_document(
        lines, default_markup_percent=D("20"), tax_rate_percent=rate, tax_exempt=exempt
    )
    for line in priced:
        assert line.line_subtotal == cents(line.line_subtotal)  # every line is whole cents
    assert totals.subtotal == sum((ln.line_subtotal for ln in priced), D("0"))
    taxable_base = sum((ln.line_subtotal for ln in priced if ln.taxable), D("0"))
    expected_tax = D("0.00") if exempt else cents(taxable_base * rate / 100)
    assert totals.tax_total == expected_tax
    assert totals.total == totals.subtotal + totals.tax_total
    assert totals.total >= 0
