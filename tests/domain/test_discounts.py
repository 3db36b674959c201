"""Draft discounts: percent or amount, on a line or the whole draft; one that cannot apply is a warning."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from pydantic import ValidationError

from agent.estimating.discounts import read_discounts
from domain.discounts import DraftDiscount
from domain.drafting import CatalogEntry, DraftLineRequest, build_draft
from domain.models.catalog import ItemType

CATALOG = [
    CatalogEntry(id="1", name="Water heater 50 gal", type=ItemType.MATERIAL, rate=D("1000")),
    CatalogEntry(id="2", name="Labor", type=ItemType.LABOR, rate=D("100"), unit="hour"),
]
LINES = [DraftLineRequest(item_name="Water heater 50 gal"), DraftLineRequest(item_name="Labor", hours=D("3"))]


def draft(*discounts: DraftDiscount):  # type: ignore[no-untyped-def]
    return build_draft(LINES, CATALOG, tax_rate_percent=D("8"), discounts=discounts)


def test_percent_off_the_whole_draft_and_an_amount_off_one_line() -> None:
    result = draft(DraftDiscount(percent=D("10")), DraftDiscount(amount=D("50"), item_name="water heater"))
    # 1200.00 (1000 + 20 % markup) + 300.00 labor; 10 % of 1500 and 50 off the heater.
    assert result.totals.subtotal == D("1500.00") and result.totals.discount_total == D("200.00")
    assert result.totals.tax_total == D("104.00") and result.totals.total == D("1404.00")
    names = [ln.priced.name for ln in result.lines][-2:]
    assert names == ["Discount: 10% off", "Discount: $50.00 off Water heater 50 gal"]
    assert result.warnings == []


def test_what_cannot_apply_is_a_warning_not_a_silent_drop() -> None:
    result = draft(DraftDiscount(percent=D("5"), item_name="toilet"), DraftDiscount(amount=D("2000")))
    assert result.totals.discount_total == 0
    assert result.warnings == [
        "Discount: 5% off toilet was not applied: the draft has no 'toilet' line.",
        "Discount: $2,000.00 off was not applied: it is more than the 1500.00 it comes off.",
    ]


def test_a_discount_is_a_percent_or_an_amount() -> None:
    with pytest.raises(ValidationError):
        DraftDiscount()
    with pytest.raises(ValidationError):
        DraftDiscount(percent=D("10"), amount=D("5"))
    with pytest.raises(ValidationError):
        DraftDiscount(percent=D("150"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("replace the water heater, 3 hours, take 10% off", [(D("10"), None, None)]),
        ("knock $50 off the water heater", [(None, D("50"), "water heater")]),
        ("2 toilets, 10 percent discount on labor", [(D("10"), None, "labor")]),
        ("discount of 5% please", [(D("5"), None, None)]),
        ("take 15% off the total, 2 hours", [(D("15"), None, None)]),
    ],
)
def test_discount_words(text: str, expected: list[tuple]) -> None:
    found, rest, warnings = read_discounts(text)
    assert [(d.percent, d.amount, d.item_name) for d in found] == expected
    assert "%" not in rest and "$" not in rest and warnings == []


def test_a_discount_without_a_size_warns() -> None:
    found, _, warnings = read_discounts("replace the heater and give them a discount")
    assert found == [] and len(warnings) == 1
