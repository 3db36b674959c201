"""The rule-based estimator on the demo catalog: evaluation files, variants, quantities, hours and negatives."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from agent.estimating.catalog import catalog_from_company, company_tax_rate, load_company
from agent.estimating.planner import EstimatePlan, draft_estimate, labor_items, plan_estimate
from domain.drafting import CatalogEntry
from domain.models.catalog import ItemType

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
FIXTURE = ROOT / "integrations" / "quickbooks" / "sandbox" / "fixtures" / "qbo_demo_company.json"
D = Decimal


@pytest.fixture(scope="module")
def company() -> dict[str, Any]:
    return load_company(FIXTURE)


@pytest.fixture(scope="module")
def catalog(company: dict[str, Any]) -> list[CatalogEntry]:
    return catalog_from_company(company)


def _cases(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (HERE / name).read_text().splitlines() if line.strip()]


def lines_of(plan: EstimatePlan) -> dict[str, Decimal]:
    """item name → quantity (hours for labor) as the planner proposes them."""
    out: dict[str, Decimal] = {}
    for line in plan.lines:
        assert line.item_name is not None
        out[line.item_name] = line.hours if line.hours is not None else line.quantity  # type: ignore[assignment]
    return out


def drafted(job: str, catalog: list[CatalogEntry]) -> dict[str, Decimal]:
    """item name → quantity on the priced draft (labor already rounded)."""
    draft, _ = draft_estimate(job, catalog)
    return {ln.item_name: ln.priced.quantity for ln in draft.lines if ln.item_name}


def _check_case(case: dict[str, Any], catalog: list[CatalogEntry]) -> None:
    draft, plan = draft_estimate(case["job"], catalog)
    got = {ln.item_name: ln.priced.quantity for ln in draft.lines if ln.item_name}
    expect = case["expect"]
    required = {name: D(str(q)) for name, q in expect["required"].items()}
    allowed = set(required) | set(expect["optional"])
    assert {k: v for k, v in got.items() if k in required} == required, (case["job"], got)
    assert set(got) <= allowed, (case["job"], got)
    assert bool(draft.warnings) is expect["warnings"], (case["job"], draft.warnings)
    assert 0 <= plan.confidence <= 1


@pytest.mark.parametrize("case", _cases("estimates_public.jsonl"), ids=lambda c: c["job"][:50])
def test_public_jobs(case: dict[str, Any], catalog: list[CatalogEntry]) -> None:
    _check_case(case, catalog)


@pytest.mark.parametrize("case", _cases("estimate_jobs.jsonl"), ids=lambda c: c["job"][:50])
def test_held_out_jobs(case: dict[str, Any], catalog: list[CatalogEntry]) -> None:
    _check_case(case, catalog)


@pytest.mark.parametrize("name", ["estimates_public.jsonl", "estimate_jobs.jsonl"])
@pytest.mark.parametrize("variant", ["no keywords", "no keywords or units", "sorted by name", "reversed"])
def test_the_catalog_shape_does_not_matter(name: str, variant: str, company: dict[str, Any]) -> None:
    """A real QBO company has no keywords or units, and the product lists items by name."""
    if variant == "no keywords":
        entries = catalog_from_company({**company, "itemKeywords": {}})
        assert all(not e.keywords for e in entries)
    elif variant == "no keywords or units":
        entries = catalog_from_company({**company, "itemKeywords": {}, "itemUnits": {}})
        assert all(e.unit is None for e in entries)
    elif variant == "sorted by name":
        entries = sorted(catalog_from_company(company), key=lambda e: e.name)
    else:
        entries = list(reversed(catalog_from_company(company)))
    for case in _cases(name):
        _check_case(case, entries)


def test_items_are_typed_as_the_product_imports_them(catalog: list[CatalogEntry]) -> None:
    by_name = {e.name: e for e in catalog}
    assert by_name["Water Heater 50 gal Gas"].type is ItemType.MATERIAL
    assert by_name["Permit Fee"].type is ItemType.FEE
    assert by_name["Labor - Standard"].billed_hourly
    assert not by_name["Drain Cleaning - Main Line"].billed_hourly  # a QBO service priced per job
    assert by_name["PEX Pipe 1/2 in"].sold_by == "foot" and not by_name["PEX Pipe 1/2 in"].counted


def test_units_are_read_from_descriptions_when_missing(company: dict[str, Any]) -> None:
    by_name = {e.name: e for e in catalog_from_company({**company, "itemUnits": {}})}
    assert by_name["Labor - Apprentice"].billed_hourly  # "Apprentice helper, per hour"
    assert not by_name["Camera Inspection"].billed_hourly
    assert by_name["Copper Pipe 3/4 in"].sold_by == "foot"
    assert by_name["Toilet - Standard"].counted


def test_lines_only_ever_name_catalog_items(catalog: list[CatalogEntry]) -> None:
    names = {e.name for e in catalog}
    for case in _cases("estimates_public.jsonl") + _cases("estimate_jobs.jsonl"):
        plan = plan_estimate(case["job"], catalog)
        assert {ln.item_name for ln in plan.lines} <= names


@pytest.mark.parametrize(
    ("job", "hours"),
    [
        ("Unclog it, about 3.5 hours", {"Labor - Standard": D("3.5")}),
        ("Install a toilet, 2.25 hours", {"Labor - Standard": D("2.25")}),
        ("Install a toilet, half an hour", {"Labor - Standard": D("0.5")}),
        ("Install a toilet, an hour and a half", {"Labor - Standard": D("1.5")}),
        ("Install a toilet, 90 minutes", {"Labor - Standard": D("1.5")}),
        ("Install a toilet, 3-4 hours", {"Labor - Standard": D("4")}),
        ("Install a toilet, two hrs", {"Labor - Standard": D("2")}),
        ("Install a toilet, 12 hours each for a plumber and an apprentice",
         {"Labor - Standard": D("12"), "Labor - Apprentice": D("12")}),
        ("Install a toilet, 7 hours plumber and 7 hours apprentice",
         {"Labor - Standard": D("7"), "Labor - Apprentice": D("7")}),
        ("Install a toilet, plumber 3 hours, helper 2 hours",
         {"Labor - Standard": D("3"), "Labor - Apprentice": D("2")}),
        ("Install a toilet, 2 plumbers for 3 hours", {"Labor - Standard": D("6")}),
        ("Install a toilet, a plumber and a helper for 4 hours",
         {"Labor - Standard": D("4"), "Labor - Apprentice": D("4")}),
        ("Install a toilet, 5 hours of apprentice time", {"Labor - Apprentice": D("5")}),
        ("Install 2 toilets, 1.5 hours each", {"Labor - Standard": D("3")}),
        ("Install a toilet, a full day", {"Labor - Standard": D("8")}),
        ("Install a toilet, 2-man crew for 4 hours", {"Labor - Standard": D("8")}),
        ("Journeyman and apprentice, 5 hours each, replace a toilet",
         {"Labor - Standard": D("5"), "Labor - Apprentice": D("5")}),
        ("Install a toilet, 3.5hrs", {"Labor - Standard": D("3.5")}),
        ("Install a toilet. Figure 8 hrs for me and 8 for my apprentice.",
         {"Labor - Standard": D("8"), "Labor - Apprentice": D("8")}),
        ("Emergency after-hours toilet install, 3 hours", {"Labor - Emergency": D("3")}),
        ("Weekend job: install a toilet, 2 hours plumber, 2 hours apprentice",
         {"Labor - Emergency": D("2"), "Labor - Apprentice": D("2")}),
    ],
)  # fmt: skip
def test_stated_hours(job: str, hours: dict[str, Decimal], catalog: list[CatalogEntry]) -> None:
    labor = {k: v for k, v in lines_of(plan_estimate(job, catalog)).items() if k.startswith("Labor")}
    assert labor == hours


@pytest.mark.parametrize(
    ("job", "item", "quantity"),
    [
        ("Install two new toilets, 2 hours", "Toilet - Standard", D(2)),
        ("Toilet replacement x3, 4 hours", "Toilet - Standard", D(3)),
        ("Repipe with 150 feet of 1/2 inch PEX, 12 hours", "PEX Pipe 1/2 in", D(150)),
        ("8 feet of 3/4 copper, 1 hour", "Copper Pipe 3/4 in", D(8)),
        ("Replace the copper pipe, 20 ft, 2 hours", "Copper Pipe 3/4 in", D(20)),
        ("Run 1,200 ft of PEX, 30 hours", "PEX Pipe 1/2 in", D(1200)),
        ("Install a dozen toilets, 20 hours", "Toilet - Standard", D(12)),
        ("Replace 3 toilets with new wax rings, 4.5 hours", "Wax Ring & Bolts", D(3)),
        ("Install two 50-gallon gas water heaters, 8 hours, two permits", "Permit Fee", D(2)),
        ("PEX 1/2\" x 150', 12h", "PEX Pipe 1/2 in", D(150)),
        ("2x toilet + wax rings, 3h", "Wax Ring & Bolts", D(2)),
        ("On 3/18 at 2 pm replace 2 toilets at 1234 Main St, 3 hours", "Toilet - Standard", D(2)),
        ("Replace both toilets, three and a half hours", "Toilet - Standard", D(2)),
        ("Replace both toilets, three and a half hours", "Labor - Standard", D("3.5")),
    ],
)
def test_quantities(job: str, item: str, quantity: Decimal, catalog: list[CatalogEntry]) -> None:
    assert lines_of(plan_estimate(job, catalog))[item] == quantity


@pytest.mark.parametrize(
    ("job", "heater"),
    [
        ("Replace a 40 gallon water heater, 3 hours", "Water Heater 40 gal Gas"),
        ("Replace a 50 gallon gas water heater, 3 hours", "Water Heater 50 gal Gas"),
        ("Replace the 50-gal electric water heater, 3 hours", "Water Heater 50 gal Electric"),
        ("Put in an electric hot water heater, 3 hours", "Water Heater 50 gal Electric"),
        ("Install a tankless water heater, 6 hours", "Tankless Water Heater 199k BTU"),
        ("Install an on-demand water heater, 6 hours", "Tankless Water Heater 199k BTU"),
        ("Install a 199,000 BTU water heater, 6 hours", "Tankless Water Heater 199k BTU"),
        ("Water heater replacement, 50 gallon gas, 4 hours", "Water Heater 50 gal Gas"),
    ],
)
def test_water_heater_variants(job: str, heater: str, catalog: list[CatalogEntry]) -> None:
    plan = plan_estimate(job, catalog)
    heaters = [n for n in lines_of(plan) if "Water Heater" in n and "Venting" not in n]
    assert heaters == [heater]
    assert plan.warnings == []


def test_an_unsaid_variant_is_drafted_with_a_question(catalog: list[CatalogEntry]) -> None:
    plan = plan_estimate("Replace the water heater, 3 hours", catalog)
    assert "Water Heater 40 gal Gas" in lines_of(plan)
    assert any("does not say which one" in w for w in plan.warnings)
    assert plan.confidence < 0.9


@pytest.mark.parametrize(
    ("job", "absent"),
    [
        ("Replace the garbage disposal, 1 hour", "Haul-away & Disposal"),
        ("Haul-away & disposal of the old unit", "Garbage Disposal 1/2 HP"),
        ("Remove and dispose of the old water heater", "Garbage Disposal 1/2 HP"),
        ("Replace the faucet, 1 hour", "AC Capacitor"),
        ("Vacuum the crawlspace and replace a toilet, 3 hours", "AC Capacitor"),
        ("Fix a leaking pipe under the sink, 1 hour", "PEX Pipe 1/2 in"),
        ("Fix a leaking pipe under the sink, 1 hour", "Copper Pipe 3/4 in"),
        ("Replace the gas line to the stove, 2 hours", "Water Heater 40 gal Gas"),
        ("Toilet is clogged, clear the main line", "Toilet - Standard"),
        ("Replace the gas flex connector on the water heater, 1 hour", "Water Heater 40 gal Gas"),
        ("Haul away the old water heater", "Water Heater 40 gal Gas"),
        ("Replace the furnace, 10 hours", "Furnace Tune-up"),
        ("Replace the toilet flapper, 1 hour", "Toilet - Standard"),
        ("Replace 1/2 inch copper pipe, 20 ft, 2 hours", "Copper Pipe 3/4 in"),
        ("Install a 3/4 hp garbage disposal, 1 hour", "Garbage Disposal 1/2 HP"),
        ("Install a bathroom faucet, 1 hour", "Kitchen Faucet"),
        ("AC tune-up", "Furnace Tune-up"),
        ("Diagnose the water heater, 1 hour", "Service Call"),
        ("Run a camera through the main line", "Drain Cleaning - Main Line"),
        ("Replace the 40 gallon water heater with a tankless, 8 hours", "Water Heater 40 gal Gas"),
        ("Replace 25 ft of copper with PEX, 4 hours", "Copper Pipe 3/4 in"),
        ("Install a water heater expansion tank, 1 hour", "Water Heater 40 gal Gas"),
        ("Patch the ceiling above the kitchen faucet, 2 hours", "Ceiling"),
        ("Replace the 40 gal electric water heater, 3 hours", "Water Heater 40 gal Gas"),
        ("Replace the 40 gal electric water heater, 3 hours", "Tankless Water Heater 199k BTU"),
        ("Install a premium toilet, 2 hours", "Toilet - Standard"),
        ("Repair the garbage disposal, 1 hour", "Garbage Disposal 1/2 HP"),
        ("Reset the toilet with a new wax ring, 1 hour", "Toilet - Standard"),
        ("Cap the old gas line, 1 hour", "Gas Flex Connector 24 in"),
    ],
)
def test_false_friends_are_not_drafted(job: str, absent: str, catalog: list[CatalogEntry]) -> None:
    assert absent not in lines_of(plan_estimate(job, catalog))


@pytest.mark.parametrize(
    "job",
    [
        "Build a backyard pizza oven",
        "Paint the office",
        "Install a water softener",
        "Install a new furnace",
        "Landscaping and tree removal",
        "Replace 10 feet of pipe",
    ],
)
def test_work_the_catalog_cannot_price_is_a_warning(job: str, catalog: list[CatalogEntry]) -> None:
    draft, plan = draft_estimate(job, catalog)
    assert draft.lines == [] and plan.lines == []
    assert draft.warnings and plan.confidence <= 0.1
    assert draft.totals.total == D("0.00")


def test_partly_priceable_work_keeps_the_lines_and_warns_about_the_rest(catalog: list[CatalogEntry]) -> None:
    plan = plan_estimate("Replace the kitchen faucet and install a dishwasher, 3 hours", catalog)
    assert lines_of(plan) == {"Kitchen Faucet": D(1), "Labor - Standard": D(3)}
    assert any("dishwasher" in w for w in plan.warnings)


def test_materials_without_hours_ask_for_labor(catalog: list[CatalogEntry]) -> None:
    plan = plan_estimate("Install a smart thermostat", catalog)
    assert lines_of(plan) == {"Smart Thermostat": D(1)}
    assert any("hours" in w for w in plan.warnings)


@pytest.mark.parametrize("job", ["Furnace tune-up", "Clear the main sewer line", "Sewer camera inspection"])
def test_per_job_services_need_no_labor_line(job: str, catalog: list[CatalogEntry]) -> None:
    plan = plan_estimate(job, catalog)
    assert len(plan.lines) == 1 and plan.warnings == []
    assert not any(name.startswith("Labor") for name in lines_of(plan))


def test_a_service_gets_labor_when_hours_are_given(catalog: list[CatalogEntry]) -> None:
    assert drafted("Clear the main line, 2 hours", catalog) == {
        "Drain Cleaning - Main Line": D(1),
        "Labor - Standard": D("2.0"),
    }


def test_feet_without_a_length_are_not_guessed(catalog: list[CatalogEntry]) -> None:
    plan = plan_estimate("Replace the copper pipe, 2 hours", catalog)
    assert "Copper Pipe 3/4 in" not in lines_of(plan)
    assert any("per foot" in w for w in plan.warnings)


def test_drafts_are_priced_by_the_catalog(company: dict[str, Any], catalog: list[CatalogEntry]) -> None:
    job = "Replace a 50 gallon gas water heater, about 3.5 hours of labor, haul away the old one"
    draft, _ = draft_estimate(job, catalog, tax_rate_percent=company_tax_rate(company))
    data = json.loads(draft.to_json(), parse_float=Decimal)
    by_name = {ln["item_name"]: ln for ln in data["estimate"]["lines"]}
    assert by_name["Water Heater 50 gal Gas"]["line_subtotal"] == D("1140.00")
    assert by_name["Labor - Standard"]["line_subtotal"] == D("385.00")
    assert by_name["Haul-away & Disposal"]["line_subtotal"] == D("75.00")
    assert data["estimate"]["tax_total"] == D("94.05")
    assert data["estimate"]["total"] == D("1694.05")
    assert len(data["explanations"]) == 3 and all(e["rationale"] for e in data["explanations"])
    exempt, _ = draft_estimate(job, catalog, tax_rate_percent=D("8.25"), tax_exempt=True)
    assert exempt.totals.tax_total == D("0.00")


def test_the_same_job_always_drafts_the_same_lines(catalog: list[CatalogEntry]) -> None:
    job = "Install a 199k BTU tankless water heater with venting kit and permit, 7 hours plumber and 7 hours apprentice"
    assert plan_estimate(job, catalog) == plan_estimate(job, catalog)


def test_labor_kinds_come_from_the_catalog_words(catalog: list[CatalogEntry]) -> None:
    kinds = {kind: entry.name for kind, entry in labor_items(catalog).items()}
    assert kinds == {
        "standard": "Labor - Standard",
        "apprentice": "Labor - Apprentice",
        "emergency": "Labor - Emergency",
    }


def test_a_catalog_without_an_emergency_rate_says_so() -> None:
    small = [
        CatalogEntry("l", "Labor", ItemType.LABOR, D("100"), taxable=False, unit="hour"),
        CatalogEntry("t", "Toilet", ItemType.MATERIAL, D("200"), unit="each"),
    ]
    plan = plan_estimate("Emergency toilet replacement on a Sunday, 2 hours", small)
    assert lines_of(plan) == {"Toilet": D(1), "Labor": D(2)}
    assert any("no emergency labor rate" in w for w in plan.warnings)


def test_another_trade_catalog() -> None:
    electrician = [
        CatalogEntry("1", "Labor - Electrician", ItemType.LABOR, D("120"), taxable=False, unit="hour"),
        CatalogEntry("2", "GFCI Outlet", ItemType.MATERIAL, D("35"), unit="each"),
        CatalogEntry("3", "Ceiling Fan", ItemType.MATERIAL, D("180"), unit="each"),
        CatalogEntry("4", "Panel Upgrade 200 Amp", ItemType.OTHER, D("2400"), taxable=False, unit="each"),
        CatalogEntry("5", "Romex 12/2 Wire", ItemType.MATERIAL, D("0.9"), unit="foot"),
        CatalogEntry("6", "Permit Fee", ItemType.FEE, D("125"), taxable=False, unit="each"),
    ]
    plan = plan_estimate(
        "Install four GFCI outlets and two ceiling fans with 60 feet of romex, 5 hours, plus permit",
        electrician,
    )
    assert lines_of(plan) == {
        "GFCI Outlet": D(4),
        "Ceiling Fan": D(2),
        "Romex 12/2 Wire": D(60),
        "Permit Fee": D(1),
        "Labor - Electrician": D(5),
    }
    assert plan.warnings == []
    panel = plan_estimate("Upgrade the panel to 100 amp", electrician)
    assert panel.lines == [] and panel.warnings


def test_odd_item_names_do_not_break_the_reader() -> None:
    odd = [
        CatalogEntry(str(i), name, ItemType.OTHER, D("10"), unit="each")
        for i, name in enumerate(["-", "#", "3/4", "Misc.", " - Standard", "&", "Fee", "A - B"])
    ]
    odd.append(CatalogEntry("t", "Toilet", ItemType.MATERIAL, D("200"), unit="each"))
    plan = plan_estimate("Install a toilet and misc. parts - standard, 3/4 of the fee, 1 hour", odd)
    assert "Toilet" in lines_of(plan)


@pytest.mark.parametrize(
    "job",
    [
        "Install a new kitchen faucet (customer supplied), 1 hour",
        "Install a customer-supplied kitchen faucet, 1 hour",
        "Install the homeowner's own kitchen faucet, 1 hour",
    ],
)
def test_customer_supplied_material_is_labor_only(job: str, catalog: list[CatalogEntry]) -> None:
    plan = plan_estimate(job, catalog)
    assert lines_of(plan) == {"Labor - Standard": D(1)}
    assert plan.warnings == []


HVAC = [
    CatalogEntry("1", "HVAC Technician Labor", ItemType.LABOR, D("125"), False, None, (), "Certified tech, per hour"),
    CatalogEntry("2", "Helper Labor", ItemType.LABOR, D("60"), False, None, (), "Helper, per hour"),
    CatalogEntry("3", "After-Hours Labor", ItemType.LABOR, D("190"), False, None, (), "Nights and weekends, per hour"),
    CatalogEntry("5", "Condenser 3 Ton", ItemType.MATERIAL, D("2800"), True, None, (), "3 ton AC condenser"),
    CatalogEntry("6", "Condenser 4 Ton", ItemType.MATERIAL, D("3300"), True, None, (), "4 ton AC condenser"),
    CatalogEntry("7", "Gas Furnace 80k BTU", ItemType.MATERIAL, D("2200"), True, None, (), "80,000 BTU gas furnace"),
    CatalogEntry("8", "Air Filter 16x25", ItemType.MATERIAL, D("18"), True, None, (), "MERV 11 pleated filter"),
    CatalogEntry("9", "Refrigerant R-410A", ItemType.MATERIAL, D("85"), True, None, (), "Refrigerant, per pound"),
    CatalogEntry("10", "Duct Cleaning", ItemType.OTHER, D("450"), False, None, (), "Whole-house duct cleaning"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("job", "expected"),
    [
        ("Replace the 3 ton condenser, 6 hours, 2 lb of refrigerant",
         {"Condenser 3 Ton": D(1), "Refrigerant R-410A": D(2), "HVAC Technician Labor": D(6)}),
        ("Install a 4 ton condenser, 8 hours tech and 8 hours helper",
         {"Condenser 4 Ton": D(1), "HVAC Technician Labor": D(8), "Helper Labor": D(8)}),
        ("New 80k BTU gas furnace, 10 hours, weekend",
         {"Gas Furnace 80k BTU": D(1), "After-Hours Labor": D(10)}),
        ("Replace the 16x25 air filters (2), half an hour",
         {"Air Filter 16x25": D(2), "HVAC Technician Labor": D("0.5")}),
        ("Clean the ducts", {"Duct Cleaning": D(1)}),
    ],
)  # fmt: skip
def test_an_hvac_catalog_without_keywords_or_units(job: str, expected: dict[str, Decimal]) -> None:
    plan = plan_estimate(job, HVAC)
    assert lines_of(plan) == expected
    assert plan.warnings == []


def test_a_size_the_hvac_catalog_lacks_is_a_warning() -> None:
    plan = plan_estimate("Install a 5 ton condenser, 6 hours", HVAC)
    assert lines_of(plan) == {"HVAC Technician Labor": D(6)}
    assert any("5 ton" in w for w in plan.warnings)


def test_entries_with_list_keywords_still_plan() -> None:
    entry = CatalogEntry("t", "Commode Deluxe", ItemType.MATERIAL, D("300"), keywords=["toilet"])  # type: ignore[arg-type]
    assert lines_of(plan_estimate("Install a toilet, 2 hours", [entry])) == {"Commode Deluxe": D(1)}
