"""Estimate drafts: catalog validation, bounds, pricing, the AIEstimateDraft JSON and persisting a draft."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from domain.drafting import (
    MAX_EACH_QUANTITY,
    MAX_LABOR_HOURS,
    CatalogEntry,
    DraftLineRequest,
    build_draft,
    draft_to_estimate_create,
    draft_to_estimate_lines,
)
from domain.errors import ValidationFailed
from domain.models import Item, ItemType, LineType
from domain.services.estimates import create_estimate
from tests.domain.conftest import TODAY, Shop

D = Decimal
LINE_KEYS = {
    "item_id", "item_name", "type", "quantity", "unit_price", "markup_percent", "markup_amount", "line_subtotal",
    "taxable",
}  # fmt: skip

CATALOG = [
    CatalogEntry("1", "Labor - Standard", ItemType.LABOR, D("110"), taxable=False, unit="hour"),
    CatalogEntry("6", "Water Heater 50 gal Gas", ItemType.MATERIAL, D("950"), unit="each"),
    CatalogEntry("16", "PEX Pipe 1/2 in", ItemType.MATERIAL, D("1.10"), unit="foot"),
    CatalogEntry("25", "Permit Fee", ItemType.FEE, D("150"), taxable=False, unit="each"),
    CatalogEntry("12", "Toilet - Standard", ItemType.MATERIAL, D("260"), unit="each"),
    CatalogEntry("99", "Old Boiler", ItemType.MATERIAL, D("3000"), unit="each", active=False),
]


def ask(name: str | None = None, **kw: object) -> DraftLineRequest:
    return DraftLineRequest(item_name=name, **kw)  # type: ignore[arg-type]


def draft(*requests: DraftLineRequest, **kw: object):  # type: ignore[no-untyped-def]
    kw.setdefault("tax_rate_percent", D("8.25"))
    return build_draft(list(requests), CATALOG, **kw)  # type: ignore[arg-type]


def test_seed_water_heater_swap_is_priced_by_the_domain() -> None:
    result = draft(
        ask("Labor - Standard", hours=D("3.5"), rationale="remove and install"),
        ask("Water Heater 50 gal Gas", quantity=D(1), rationale="like for like"),
    )
    labor, heater = result.lines
    assert (labor.priced.line_subtotal, labor.priced.markup_amount) == (D("385.00"), D("0.00"))
    assert heater.priced.markup_percent == D("20")
    assert (heater.priced.markup_amount, heater.priced.line_subtotal) == (D("190.00"), D("1140.00"))
    assert result.totals.subtotal == D("1525.00")
    assert result.totals.tax_total == D("94.05")  # 8.25 % of the taxable heater only
    assert result.totals.total == D("1619.05")
    assert result.warnings == []


def test_labor_rounds_up_to_the_half_hour() -> None:
    result = draft(ask("Labor - Standard", hours=D("2.25")))
    assert result.lines[0].priced.quantity == D("2.5")
    assert result.lines[0].priced.line_subtotal == D("275.00")


def test_hours_may_come_as_quantity_and_tiny_jobs_bill_half_an_hour() -> None:
    result = draft(ask("Labor - Standard", quantity=D("0.1")))
    assert result.lines[0].priced.quantity == D("0.5")


def test_tax_exempt_customer_pays_no_tax() -> None:
    result = draft(ask("Water Heater 50 gal Gas"), tax_exempt=True)
    assert result.totals.tax_total == D("0.00")
    assert result.totals.total == result.totals.subtotal == D("1140.00")


def test_tenant_markup_applies_to_materials_only() -> None:
    result = draft(ask("Toilet - Standard", quantity=D(2)), ask("Permit Fee"), default_markup_percent=D("35"))
    toilet, permit = result.lines
    assert (toilet.priced.markup_amount, toilet.priced.line_subtotal) == (D("182.00"), D("702.00"))
    assert (permit.priced.markup_percent, permit.priced.line_subtotal) == (D("0"), D("150.00"))


def test_money_stays_decimal_and_json_writes_two_decimals() -> None:
    result = draft(ask("PEX Pipe 1/2 in", quantity=D("150")), ask("Labor - Standard", hours=D(12)))
    data = json.loads(result.to_json(), parse_float=Decimal)
    pex = data["estimate"]["lines"][0]
    assert set(pex) == LINE_KEYS
    assert pex["unit_price"] == D("1.10") and str(pex["unit_price"]) == "1.10"
    assert str(pex["line_subtotal"]) == "198.00"  # 165.00 + 20 % markup
    assert str(data["estimate"]["subtotal"]) == "1518.00"
    assert str(data["estimate"]["lines"][1]["quantity"]) == "12"
    assert '"quantity": 150,' in result.to_json()
    for value in result.to_dict()["estimate"].values():
        assert not isinstance(value, float)


def test_json_has_the_contract_shape() -> None:
    data = json.loads(draft(ask("Permit Fee", rationale="city requires it")).to_json())
    assert set(data) == {"estimate", "explanations", "warnings"}
    assert set(data["estimate"]) == {"lines", "subtotal", "discount_total", "tax_total", "total"}
    line = data["estimate"]["lines"][0]
    assert line == {
        "item_id": "25", "item_name": "Permit Fee", "type": "fee", "quantity": 1, "unit_price": 150.0,
        "markup_percent": 0, "markup_amount": 0.0, "line_subtotal": 150.0, "taxable": False,
    }  # fmt: skip
    assert data["explanations"] == [{"line_item_id": "li1", "line": 1, "rationale": "city requires it"}]


def test_unknown_item_is_a_warning_never_a_line() -> None:
    result = draft(ask("Water Heater 75 gal Gas", quantity=D(1)), ask("Permit Fee"))
    assert [ln.item_name for ln in result.lines] == ["Permit Fee"]
    assert len(result.warnings) == 1
    assert "Water Heater 75 gal Gas" in result.warnings[0]
    assert "Water Heater 50 gal Gas" in result.warnings[0]  # the closest name is suggested


def test_names_match_exactly_then_ignoring_case() -> None:
    result = draft(ask("  permit FEE "), ask("toilet - standard"))
    assert [ln.item_name for ln in result.lines] == ["Permit Fee", "Toilet - Standard"]
    assert [ln.priced.item_id for ln in result.lines] == ["25", "12"]


def test_inactive_items_are_not_drafted() -> None:
    result = draft(ask("Old Boiler"))
    assert result.lines == [] and "inactive" in result.warnings[0]


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (ask("Labor - Standard", hours=MAX_LABOR_HOURS + 1), "over the"),
        (ask("Labor - Standard", hours=MAX_LABOR_HOURS + D("0.2")), "over the"),
        (ask("Labor - Standard"), "No hours"),
        (ask("Toilet - Standard", quantity=D(0)), "not positive"),
        (ask("Toilet - Standard", quantity=D(-2)), "not positive"),
        (ask("Toilet - Standard", quantity=MAX_EACH_QUANTITY + 1), "over the"),
        (ask("PEX Pipe 1/2 in"), "No quantity"),
    ],
)
def test_out_of_bounds_lines_are_left_out_with_a_reason(request_: DraftLineRequest, message: str) -> None:
    result = draft(request_)
    assert result.lines == []
    assert message in result.warnings[0]
    assert result.totals.total == D("0.00")


def test_whole_items_round_up_with_a_warning() -> None:
    result = draft(ask("Toilet - Standard", quantity=D("1.5")))
    assert result.lines[0].priced.quantity == D(2)
    assert "rounded up to 2" in result.warnings[0]


def test_suggested_prices_are_ignored_unless_overrides_are_allowed() -> None:
    kept = draft(ask("Permit Fee", unit_price=D("99")))
    assert kept.lines[0].priced.unit_price == D("150.00")
    assert "not the suggested 99" in kept.warnings[0]
    overridden = draft(ask("Permit Fee", unit_price=D("99")), allow_price_override=True)
    assert overridden.lines[0].priced.unit_price == D("99.00") and overridden.warnings == []


def test_free_text_is_an_unpriced_note() -> None:
    result = draft(ask(text="Build a pizza oven", unit_price=D("5000"), quantity=D(1)), ask("Permit Fee"))
    note = result.lines[-1]
    assert note.item_name is None and note.priced.type is LineType.TEXT
    assert note.priced.line_subtotal == D("0.00")
    assert result.totals.subtotal == D("150.00")
    assert "not a catalog item" in result.warnings[0]
    assert json.loads(result.to_json())["estimate"]["lines"][-1]["item_name"] is None


def test_two_requests_for_one_item_become_one_line() -> None:
    result = draft(
        ask("Toilet - Standard", quantity=D(1), rationale="upstairs"),
        ask("toilet - standard", quantity=D(2), rationale="downstairs"),
    )
    assert len(result.lines) == 1
    assert result.lines[0].priced.quantity == D(3)
    assert result.lines[0].rationale == "upstairs downstairs"


def test_passed_warnings_come_first_and_repeat_once() -> None:
    result = draft(ask("Nope"), ask("Nope"), warnings=["planner said so"])
    assert result.warnings[0] == "planner said so"
    assert len(result.warnings) == 2


def test_catalog_entry_from_item_row() -> None:
    item = Item(
        id="i1", name="Sump Pump 1/3 HP", type=ItemType.MATERIAL, rate=D("240"), taxable=True, active=True,
        unit_of_measure="each", keywords=["sump pump"], description="Submersible",
    )  # fmt: skip
    entry = CatalogEntry.from_item(item)
    assert entry == CatalogEntry(
        "i1",
        "Sump Pump 1/3 HP",
        ItemType.MATERIAL,
        D("240"),
        True,
        "each",
        ("sump pump",),
        "Submersible",
        True,
    )
    assert entry.counted and not entry.billed_hourly


def test_an_empty_draft_cannot_become_an_estimate() -> None:
    with pytest.raises(ValidationFailed):
        draft_to_estimate_create(draft(ask("Nope")), customer_id="c", prompt="p", model="m", confidence=0.1)


def test_a_draft_is_saved_as_an_estimate_with_its_rationale_and_origin(shop: Shop, session: Session) -> None:
    catalog = [CatalogEntry.from_item(i) for i in (shop.labor, shop.heater, shop.permit)]
    result = build_draft(
        [
            DraftLineRequest(
                item_name="Water Heater 50 gal Gas", quantity=D(1), rationale="50 gal gas asked"
            ),
            DraftLineRequest(item_name="Labor - Standard", hours=D("2.25"), rationale="2.25 h stated"),
            DraftLineRequest(item_name="Permit Fee", rationale="permit asked"),
        ],
        catalog,
        default_markup_percent=shop.tenant.default_markup_percent,
        tax_rate_percent=shop.tax.rate_percent,
        tax_exempt=shop.customer.tax_exempt,
    )
    lines = draft_to_estimate_lines(result)
    assert all(line.unit_price is None for line in lines)  # the service prices from the catalog again
    data = draft_to_estimate_create(
        result, customer_id=shop.customer.id, prompt="Replace the heater", model="offline", confidence=0.9
    )
    estimate = create_estimate(session, shop.office, data, today=TODAY)
    assert estimate.ai_origin == {"prompt": "Replace the heater", "model": "offline", "confidence": 0.9}
    assert [ln.rationale for ln in estimate.lines] == ["50 gal gas asked", "2.25 h stated", "permit asked"]
    assert [ln.quantity for ln in estimate.lines] == [D(1), D("2.5"), D(1)]
    assert estimate.subtotal == result.totals.subtotal == D("1565.00")
    assert estimate.total == result.totals.total


def test_lines_may_name_items_by_catalog_id_and_carry_the_seed_fields() -> None:
    result = draft(
        DraftLineRequest(item_id="25", item_name="whatever the model called it", type="fee", taxable=True),
        DraftLineRequest(item_id="nope", quantity=D(1)),
    )
    assert [ln.item_name for ln in result.lines] == ["Permit Fee"]
    assert result.lines[0].priced.taxable is False  # the catalog decides taxability, not the model
    assert len(result.warnings) == 1 and "'nope' is not in the catalog" in result.warnings[0]


def test_a_request_naming_nothing_adds_nothing() -> None:
    result = draft(DraftLineRequest(quantity=D(2)))
    assert result.lines == [] and result.warnings == []


def test_lengths_keep_at_most_two_decimals() -> None:
    result = draft(ask("PEX Pipe 1/2 in", quantity=D("10.3333333")))
    assert result.lines[0].priced.quantity == D("10.34")
    assert draft_to_estimate_lines(result)[0].quantity == D("10.34")  # storable on an estimate line


def test_merged_requests_are_bounded_too() -> None:
    result = draft(
        ask("Toilet - Standard", quantity=MAX_EACH_QUANTITY), ask("Toilet - Standard", quantity=D(1))
    )
    assert result.lines == [] and "over the" in result.warnings[0]


def test_an_item_without_a_price_is_drafted_with_a_warning() -> None:
    catalog = [*CATALOG, CatalogEntry("26", "Discount", ItemType.DISCOUNT, D("0"))]
    result = build_draft([ask("Discount")], catalog)
    assert result.totals.total == D("0.00")
    assert "no price" in result.warnings[0]
