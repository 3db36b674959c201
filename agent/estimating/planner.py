"""The rule-based estimator: a job description in, catalog lines with quantities and hours out.

Rule-based and deterministic, so the demo, the tests and air-gapped installs draft the same estimate every
time. It only *proposes* lines (item names, quantities, hours); prices and totals come from
:func:`domain.drafting.build_draft`. What it cannot match to the catalog is a warning, never an invented item.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from agent.estimating.discounts import read_discounts
from agent.estimating.matching import Mention, read_items
from agent.estimating.profiles import Profile, build_profiles
from agent.estimating.text import EMERGENCY, LaborAsk, extract_labor, normalize, strip_emergency
from domain.discounts import DraftDiscount
from domain.drafting import (
    DEFAULT_MARKUP_PERCENT,
    CatalogEntry,
    DraftLineRequest,
    EstimateDraft,
    build_draft,
)
from domain.models.catalog import ItemType

HALF = Decimal("0.5")


@dataclass(frozen=True, slots=True)
class EstimatePlan:
    lines: list[DraftLineRequest]
    warnings: list[str] = field(default_factory=list)
    confidence: float = 0.0
    discounts: list[DraftDiscount] = field(default_factory=list)


def _labor_kind(entry: CatalogEntry) -> str:
    text = " ".join([entry.name, *entry.keywords, entry.description or ""]).lower()
    if re.search(r"apprentice|helper|assistant|trainee", text):
        return "apprentice"
    if re.search(r"emergency|after[- ]hours|overtime|weekend|night", text):
        return "emergency"
    return "standard"


def labor_items(catalog: Sequence[CatalogEntry]) -> dict[str, CatalogEntry]:
    """The hourly item for each kind of labor: standard, apprentice, emergency."""
    found: dict[str, CatalogEntry] = {}
    hourly = [e for e in catalog if e.active and e.billed_hourly]
    # A name that says "standard" (or the trade) beats the first hourly item that happens to be listed.
    hourly.sort(key=lambda e: 0 if re.search(r"standard|journeyman|plumber|regular", e.name, re.I) else 1)
    for entry in hourly:
        found.setdefault(_labor_kind(entry), entry)
    return found


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _labor_lines(
    asks: list[LaborAsk], emergency: bool, catalog: Sequence[CatalogEntry], each_count: Decimal
) -> tuple[list[DraftLineRequest], list[str]]:
    labor = labor_items(catalog)
    hours: dict[str, Decimal] = {}
    phrases: dict[str, list[str]] = {}
    warnings: list[str] = []
    for ask in asks:
        kind = ask.role or "standard"
        if kind == "standard" and emergency:
            kind = "emergency"
        amount = ask.hours * each_count if ask.each else ask.hours
        hours[kind] = hours.get(kind, Decimal(0)) + amount
        phrases.setdefault(kind, []).append(ask.phrase)
    lines: list[DraftLineRequest] = []
    for kind, total in hours.items():
        entry = labor.get(kind) or labor.get("standard")
        if entry is None:
            warnings.append(
                f"{_fmt(total)} h of {kind} labor were asked for, but the catalog has no hourly labor item."
            )
            continue
        if kind not in labor:
            warnings.append(f"The catalog has no {kind} labor rate; {_fmt(total)} h drafted as {entry.name}.")
        why = f"{_fmt(total)} h of {kind} labor stated in the job ({'; '.join(phrases[kind])})"
        if total % HALF:
            why += "; labor is billed in half hours, rounded up"
        if kind == "emergency":
            why += "; the work is out of hours, so the emergency rate applies"
        lines.append(DraftLineRequest(item_name=entry.name, hours=total, rationale=why + "."))
    return lines, warnings


def _item_lines(mentions: list[Mention]) -> tuple[list[DraftLineRequest], list[str], Decimal]:
    by_item: dict[str, list[Mention]] = {}
    for m in mentions:
        by_item.setdefault(m.profile.entry.id, []).append(m)
    counts: dict[str, Decimal] = {}
    for key, group in by_item.items():
        per_clause: dict[int, Decimal] = {}
        for m in group:
            if m.explicit and m.quantity is not None:
                per_clause[m.clause] = max(per_clause.get(m.clause, Decimal(0)), m.quantity)
        if per_clause:
            counts[key] = sum(per_clause.values(), Decimal(0))
    # "3 toilets with new wax rings": a plural without a number goes with the count the job did give.
    each = {k for k, group in by_item.items() if any(m.each for m in group)}
    most = max(
        (
            q
            for k, q in counts.items()
            if k not in each
            and by_item[k][0].profile.entry.counted
            and by_item[k][0].profile.entry.type is ItemType.MATERIAL
        ),
        default=Decimal(1),
    )
    lines: list[DraftLineRequest] = []
    warnings: list[str] = []
    for key, group in by_item.items():
        entry = group[0].profile.entry
        phrases = "; ".join(dict.fromkeys(f"'{m.clause_text}'" for m in group))
        if key in counts and key in each:
            # "2 toilets, 1 wax ring each"
            quantity = counts[key] * most
            why = f"{_fmt(counts[key])} for each of the {_fmt(most)} units in the job ({phrases})."
        elif key in counts:
            quantity = counts[key]
            why = f"{_fmt(quantity)} {entry.sold_by} from the job ({phrases})."
        elif entry.counted:
            # Only goods are counted: "clean the ducts" is one duct cleaning.
            plural = entry.type is ItemType.MATERIAL and any(m.plural for m in group)
            quantity = most if plural else Decimal(1)
            why = f"Named in the job ({phrases})."
            if plural and most == 1:
                warnings.append(f"The job asks for '{group[0].phrase}' without saying how many; drafted 1.")
            elif plural:
                why = f"{_fmt(quantity)}, one for each of the {_fmt(most)} units in the job ({phrases})."
        else:
            warnings.append(
                f"{entry.name} is sold per {entry.sold_by} and the job does not say how much "
                f"({phrases}), so it was not added."
            )
            continue
        lines.append(DraftLineRequest(item_name=entry.name, quantity=quantity, rationale=why))
    return lines, warnings, most


@lru_cache(maxsize=16)
def _profiles(catalog: tuple[CatalogEntry, ...]) -> list[Profile]:
    """Phrases per sellable item; cached because a session drafts many jobs against one price list."""
    return build_profiles(
        [e for e in catalog if e.active and not e.billed_hourly and e.type is not ItemType.DISCOUNT]
    )


def _profiles_for(catalog: Sequence[CatalogEntry]) -> list[Profile]:
    key = tuple(catalog)
    try:
        hash(key)
    except TypeError:  # an entry built with a list of keywords: fine, just not cacheable
        return _profiles.__wrapped__(key)
    return _profiles(key)


def plan_estimate(job_description: str, catalog: list[CatalogEntry]) -> EstimatePlan:
    """Catalog lines for a job description, the warnings a reviewer must see, and a confidence in [0, 1]."""
    discounts, text, discount_warnings = read_discounts(normalize(job_description))
    emergency = EMERGENCY.search(text) is not None
    asks, rest = extract_labor(text)
    _, rest = strip_emergency(rest)
    reading = read_items(rest, _profiles_for(catalog))
    item_lines, item_warnings, most = _item_lines(reading.mentions)
    labor_lines, labor_warnings = _labor_lines(asks, emergency, catalog, most)
    warnings = [*discount_warnings, *reading.warnings, *item_warnings, *labor_warnings]
    warnings += [f"Not in the catalog, so not priced: '{clause}'." for clause in reading.unmatched_clauses]
    by_name = {e.name.strip(): e for e in catalog}  # requests carry names stripped
    has_material = any(by_name[ln.item_name].type is ItemType.MATERIAL for ln in item_lines if ln.item_name)
    if has_material and not asks:
        warnings.append("The job does not say how many hours it takes; add labor before sending.")
    elif emergency and not asks:
        warnings.append("Out-of-hours work, but no hours were given; add emergency labor before sending.")
    lines = [*item_lines, *labor_lines]
    if not lines:
        warnings.append("Nothing in the job matches the catalog, so no lines were drafted; price it by hand.")
    confidence = 0.1 if not lines else max(0.1, 0.9 - 0.15 * len(warnings))
    return EstimatePlan(
        lines=lines,
        warnings=list(dict.fromkeys(warnings)),
        confidence=round(confidence, 2),
        discounts=discounts,
    )


def draft_estimate(
    job_description: str,
    catalog: list[CatalogEntry],
    *,
    tax_rate_percent: Decimal = Decimal("0"),
    tax_exempt: bool = False,
    default_markup_percent: Decimal = DEFAULT_MARKUP_PERCENT,
) -> tuple[EstimateDraft, EstimatePlan]:
    """Plan a job and price the plan: the whole offline drafting path in one call."""
    plan = plan_estimate(job_description, catalog)
    draft = build_draft(
        plan.lines,
        catalog,
        default_markup_percent=default_markup_percent,
        tax_rate_percent=tax_rate_percent,
        tax_exempt=tax_exempt,
        warnings=plan.warnings,
        discounts=plan.discounts,
    )
    return draft, plan
