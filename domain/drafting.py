"""Estimate drafts from requested lines: validate against the catalog, then price with the domain rules.

Whoever proposes the lines (a language model or the offline planner) only names catalog items, quantities and
hours. Prices, markup, labor rounding, tax and totals all come from here and from :mod:`domain.pricing`; a line
the catalog cannot price is never invented, it becomes a warning for the person reviewing the draft.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.discounts import DraftDiscount, discount_lines
from domain.errors import ValidationFailed
from domain.exact_json import dumps_exact
from domain.models.catalog import Item, ItemType
from domain.models.sales import LineType
from domain.money import round_labor_hours, to_decimal
from domain.pricing import LineInput, PricedLine, Totals, price_document
from domain.schemas import EstimateCreate, LineCreate

DEFAULT_MARKUP_PERCENT = Decimal("20")
HUNDREDTH = Decimal("0.01")
# Bounds a drafted line must stay inside; outside them the line is left out and the reviewer is told why,
# because silently clamping a quantity would change what the customer is quoted.
MAX_LABOR_HOURS = Decimal("160")
MAX_EACH_QUANTITY = Decimal("500")
MAX_QUANTITY = Decimal("10000")
HOUR_UNITS = frozenset({"hour", "hours", "hr", "hrs", "h"})
EACH_UNITS = frozenset({"each", "ea", "unit", "job", "visit"})

_HOURLY = re.compile(r"\b(?:labou?r|hourly|per hour|an hour|/\s*hr|per hr)\b", re.IGNORECASE)

_PER_UNIT = re.compile(r"\bper (foot|ft|meter|yard|pound|lb|gallon|hour|hr)\b", re.IGNORECASE)

_LINE_TYPE = {
    ItemType.LABOR: LineType.LABOR,
    ItemType.MATERIAL: LineType.MATERIAL,
    ItemType.DISCOUNT: LineType.DISCOUNT,
    ItemType.FEE: LineType.FEE,
    ItemType.OTHER: LineType.OTHER,
}


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """What drafting needs to know about one item of the company's price list."""

    id: str
    name: str
    type: ItemType
    rate: Decimal
    taxable: bool = True
    unit: str | None = None
    keywords: tuple[str, ...] = ()
    description: str | None = None
    active: bool = True

    @classmethod
    def from_item(cls, item: Item) -> CatalogEntry:
        return cls(
            id=item.id,
            name=item.name,
            type=ItemType(item.type),
            rate=to_decimal(item.rate),
            taxable=bool(item.taxable),
            unit=item.unit_of_measure,
            keywords=tuple(item.keywords or ()),
            description=item.description,
            active=bool(item.active),
        )

    @property
    def billed_hourly(self) -> bool:
        """Hourly items are labor: their quantity is hours, rounded to the half hour."""
        if self.unit:
            return self.unit.strip().lower() in HOUR_UNITS
        if self.type is not ItemType.LABOR:
            return False
        # Without a unit, QBO "Service" items (imported as labor) are hourly only when they say so; a drain
        # cleaning or an inspection is priced per job.
        return _HOURLY.search(f"{self.name} {self.description or ''}") is not None

    @property
    def sold_by(self) -> str:
        """The unit a quantity counts; without one on the item, what its description says ("per foot")."""
        if self.unit and self.unit.strip():
            return self.unit.strip().lower()
        said = _PER_UNIT.search(f"{self.name} {self.description or ''}")
        if said:
            return "hour" if said.group(1).lower() in HOUR_UNITS else said.group(1).lower()
        return "hour" if self.billed_hourly else "each"

    @property
    def counted(self) -> bool:
        """Items sold by the piece (or per job) take whole quantities."""
        return self.sold_by in EACH_UNITS and not self.billed_hourly


class DraftLineRequest(BaseModel):
    """One line a drafter asks for: a catalog item by name, or free text (a note, never priced)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    item_name: str | None = Field(default=None, max_length=200)
    item_id: str | None = Field(default=None, max_length=64, description="Catalog id; wins over the name")
    text: str | None = Field(default=None, max_length=2000)
    quantity: Decimal | None = None
    hours: Decimal | None = None
    unit_price: Decimal | None = None
    rationale: str = Field(default="", max_length=2000)
    # Models following the seed's contract also send these; the catalog decides both, so they are only read.
    type: str | None = Field(default=None, max_length=20)
    taxable: bool | None = None


@dataclass(frozen=True, slots=True)
class DraftLine:
    line_id: str
    item_name: str | None
    priced: PricedLine
    rationale: str


@dataclass(frozen=True, slots=True)
class EstimateDraft:
    lines: list[DraftLine]
    totals: Totals
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The AIEstimateDraft shape, with Decimals kept exact."""
        return {
            "estimate": {
                "lines": [_line_dict(line) for line in self.lines],
                "subtotal": self.totals.subtotal,
                "discount_total": self.totals.discount_total,
                "tax_total": self.totals.tax_total,
                "total": self.totals.total,
            },
            "explanations": [
                {"line_item_id": line.line_id, "line": pos, "rationale": line.rationale}
                for pos, line in enumerate(self.lines, start=1)
                if line.rationale
            ],
            "warnings": list(self.warnings),
        }

    def to_json(self) -> str:
        """One line of JSON; Decimals are written as JSON numbers, money always with two decimals."""
        return dumps_exact(self.to_dict())


def _line_dict(line: DraftLine) -> dict[str, Any]:
    p = line.priced
    return {
        "item_id": p.item_id,
        "item_name": line.item_name,
        "type": p.type.value,
        "quantity": _plain(p.quantity),
        "unit_price": p.unit_price,
        "markup_percent": _plain(p.markup_percent),
        "markup_amount": p.markup_amount,
        "line_subtotal": p.line_subtotal,
        "taxable": p.taxable,
    }


def _plain(value: Decimal) -> Decimal:
    """Quantities and percents without trailing zeros (3.5, 12, 20) but never in exponent form."""
    normalized = value.normalize()
    return normalized.quantize(Decimal(1)) if normalized == normalized.to_integral_value() else normalized


class _Catalog:
    def __init__(self, entries: Iterable[CatalogEntry]) -> None:
        self.entries = list(entries)
        self._exact = {e.name: e for e in self.entries}
        self._ids = {e.id: e for e in self.entries}
        self._folded: dict[str, CatalogEntry] = {}
        for e in self.entries:
            self._folded.setdefault(_fold(e.name), e)

    def by_id(self, item_id: str) -> CatalogEntry | None:
        return self._ids.get(item_id.strip())

    def find(self, name: str) -> CatalogEntry | None:
        return self._exact.get(name) or self._folded.get(_fold(name))

    def suggestions(self, name: str) -> list[str]:
        names = [e.name for e in self.entries if e.active]
        folded = {_fold(n): n for n in names}
        return [folded[m] for m in difflib.get_close_matches(_fold(name), list(folded), n=3, cutoff=0.6)]


def _fold(name: str) -> str:
    return " ".join(name.casefold().split())


@dataclass
class _Pending:
    entry: CatalogEntry
    quantity: Decimal
    unit_price: Decimal
    rationales: list[str]


def build_draft(
    requests: Sequence[DraftLineRequest],
    catalog: Iterable[CatalogEntry],
    *,
    default_markup_percent: Decimal = DEFAULT_MARKUP_PERCENT,
    tax_rate_percent: Decimal = Decimal("0"),
    tax_exempt: bool = False,
    allow_price_override: bool = False,
    warnings: Sequence[str] = (),
    discounts: Sequence[DraftDiscount] = (),
) -> EstimateDraft:
    """Validate requested lines against the catalog and price them; problems become warnings, not lines.

    ``discounts`` come off the priced lines as discount lines (one that cannot apply is a warning)."""
    cat = _Catalog(catalog)
    notes: list[str] = list(warnings)
    pending: dict[str, _Pending] = {}
    texts: list[tuple[str, str]] = []
    for req in requests:
        entry = cat.by_id(req.item_id) if req.item_id else None
        if entry is None and req.item_name:
            entry = cat.find(req.item_name)
        if entry is None and (req.item_name or req.item_id):
            asked = req.item_name or req.item_id or ""
            hint = cat.suggestions(asked)
            also = f" (closest: {', '.join(hint)})" if hint else ""
            notes.append(f"'{asked}' is not in the catalog, so it was not added{also}.")
            continue
        if entry is None:
            if req.text:
                texts.append((req.text, req.rationale))
                if req.unit_price or req.quantity or req.hours:
                    notes.append(
                        f"'{req.text}' is not a catalog item, so it is listed as a note without a price; "
                        "price it by hand or pick a catalog item."
                    )
            continue
        if not entry.active:
            notes.append(f"'{entry.name}' is inactive in the catalog, so it was not added.")
            continue
        quantity = _quantity(entry, req, notes)
        if quantity is None:
            continue
        price = _unit_price(entry, req, allow_price_override, notes)
        if entry.id in pending:
            # Two requests for one item are one line: a reviewer expects "2 toilets", not two toilet lines.
            merged = pending[entry.id]
            merged.quantity += quantity
            merged.rationales.append(req.rationale)
        else:
            pending[entry.id] = _Pending(entry, quantity, price, [req.rationale])

    inputs: list[LineInput] = []
    names: list[str | None] = []
    rationales: list[str] = []
    for p in pending.values():
        limit = _limit(p.entry)
        if p.quantity > limit:
            # Checked again after merging: two requests may each fit and together not.
            notes.append(f"{p.quantity} of '{p.entry.name}' is over the {limit} a line may hold; not added.")
            continue
        inputs.append(
            LineInput(
                type=LineType.LABOR if p.entry.billed_hourly else _LINE_TYPE[p.entry.type],
                name=p.entry.name,
                quantity=p.quantity,
                unit_price=p.unit_price,
                taxable=p.entry.taxable,
                item_id=p.entry.id,
                description=p.entry.description,
            )
        )
        names.append(p.entry.name)
        rationales.append(" ".join(r for r in p.rationales if r))
    for text, rationale in texts:
        inputs.append(
            LineInput(type=LineType.TEXT, name=text[:200], quantity=Decimal(0), unit_price=Decimal(0))
        )
        names.append(None)
        rationales.append(rationale)

    def price_all(lines: list[LineInput]) -> tuple[list[PricedLine], Totals]:
        return price_document(
            lines,
            default_markup_percent=default_markup_percent,
            tax_rate_percent=tax_rate_percent,
            tax_exempt=tax_exempt,
        )

    priced, totals = price_all(inputs)
    if discounts:
        off = discount_lines(priced, discounts, notes)
        inputs += off
        names += [None] * len(off)
        rationales += [d.description or "" for d in off]
        priced, totals = price_all(inputs)
    lines = [
        DraftLine(line_id=f"li{pos}", item_name=name, priced=line, rationale=why)
        for pos, (line, name, why) in enumerate(zip(priced, names, rationales, strict=True), start=1)
    ]
    return EstimateDraft(lines=lines, totals=totals, warnings=_dedupe(notes))


def _limit(entry: CatalogEntry) -> Decimal:
    if entry.billed_hourly:
        return MAX_LABOR_HOURS
    return MAX_EACH_QUANTITY if entry.counted else MAX_QUANTITY


def _quantity(entry: CatalogEntry, req: DraftLineRequest, notes: list[str]) -> Decimal | None:
    if entry.billed_hourly:
        hours = req.hours if req.hours is not None else req.quantity
        if hours is None or hours <= 0:
            notes.append(f"No hours were given for '{entry.name}', so it was not added.")
            return None
        return round_labor_hours(hours)
    quantity = req.quantity
    if quantity is None:
        if not entry.counted:
            notes.append(
                f"No quantity was given for '{entry.name}' (sold per {entry.sold_by}), so it was not added."
            )
            return None
        quantity = Decimal(1)
    if quantity <= 0:
        notes.append(f"Quantity {quantity} for '{entry.name}' is not positive, so it was not added.")
        return None
    limit = _limit(entry)
    if quantity > limit:
        notes.append(
            f"Quantity {quantity} for '{entry.name}' is over the {limit} a line may hold; not added."
        )
        return None
    if entry.counted and quantity != quantity.to_integral_value():
        whole = quantity.to_integral_value(rounding=ROUND_CEILING)
        notes.append(f"'{entry.name}' is sold whole; {quantity} was rounded up to {whole}.")
        quantity = whole
    # Lengths and weights to the hundredth, the precision an estimate line stores.
    return quantity.quantize(HUNDREDTH, rounding=ROUND_CEILING) if quantity % HUNDREDTH else quantity


def _unit_price(entry: CatalogEntry, req: DraftLineRequest, allowed: bool, notes: list[str]) -> Decimal:
    if req.unit_price is None or req.unit_price == entry.rate:
        if entry.rate == 0:
            notes.append(f"'{entry.name}' has no price in the catalog; set its amount before sending.")
        return entry.rate
    if allowed and req.unit_price >= 0:
        return req.unit_price
    notes.append(
        f"'{entry.name}' is priced from the catalog ({entry.rate}), not the suggested {req.unit_price}."
    )
    return entry.rate


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def draft_to_estimate_lines(draft: EstimateDraft, *, keep_prices: bool = False) -> list[LineCreate]:
    """Lines the estimates service persists: catalog items by id (it re-prices them), rationale kept.

    ``keep_prices`` carries a drafted unit price that differs from the catalog, for callers allowed to
    override prices; otherwise the service prices from the catalog again, so a draft can never smuggle a price.
    """
    lines: list[LineCreate] = []
    for line in draft.lines:
        p = line.priced
        lines.append(
            LineCreate(
                type=p.type,
                name=p.name,
                quantity=p.quantity,
                # A discount line's amount is the discount itself; a catalog line's price is the catalog's.
                unit_price=p.unit_price
                if (keep_prices and p.item_id) or p.type is LineType.DISCOUNT
                else None,
                item_id=p.item_id,
                description=p.description,
                rationale=line.rationale or None,
            )
        )
    return lines


def draft_to_estimate_create(
    draft: EstimateDraft,
    *,
    customer_id: str,
    prompt: str,
    model: str,
    confidence: float,
    keep_prices: bool = False,
    title: str | None = None,
) -> EstimateCreate:
    """The input of ``create_estimate`` for a draft, with its ``ai_origin`` (prompt, model, confidence)."""
    if not draft.lines:
        raise ValidationFailed("the draft has no lines to save", warnings=list(draft.warnings))
    warnings = "\n".join(f"- {w}" for w in draft.warnings)
    return EstimateCreate(
        customer_id=customer_id,
        lines=draft_to_estimate_lines(draft, keep_prices=keep_prices),
        title=title,
        internal_notes=f"Drafting warnings:\n{warnings}"[:4000] if warnings else None,
        ai_origin={"prompt": prompt[:4000], "model": model, "confidence": round(float(confidence), 2)},
    )


__all__ = [
    "CatalogEntry",
    "DraftLine",
    "DraftLineRequest",
    "EstimateDraft",
    "build_draft",
    "draft_to_estimate_create",
    "draft_to_estimate_lines",
]
