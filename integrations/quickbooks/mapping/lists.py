"""QBO JSON ↔ domain for the name lists: Account, Term, TaxCode/TaxRate, Item, Customer, Vendor.

Inbound functions return a dict of model field values (the caller upserts); outbound functions build QBO
payloads from model instances. References between entities go through :class:`Refs`, which knows both
directions of the local-id ↔ QBO-id mapping. Amounts are parsed with ``Decimal(str(x))``, never as floats.
Transactions (Estimate, Invoice, Payment, Bill) live in ``documents``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from domain.errors import AppError
from domain.models.catalog import Account, Customer, Item, ItemType, TaxRate, Term, Vendor
from domain.money import cents
from domain.names import NameCandidate

# Address keys of the domain (seed 000 §3.1) and their QBO names.
ADDRESS_FIELDS = {
    "line1": "Line1",
    "line2": "Line2",
    "city": "City",
    "region": "CountrySubDivisionCode",
    "postal_code": "PostalCode",
    "country": "Country",
}
TAXABLE_CODE = "TAX"
NON_TAXABLE_CODE = "NON"
_FEE_RE = re.compile(r"\b(fee|fees|permit|haul[- ]?away|disposal)\b", re.IGNORECASE)
_HOURLY_RE = re.compile(r"\b(labou?r|per hour|hourly|/ ?hr)\b", re.IGNORECASE)

Fields = dict[str, Any]


class MappingError(AppError):
    status = 422
    code = "qbo_mapping"
    title = "Cannot translate between QuickBooks and the app"


# ---- references ----------------------------------------------------------------------------------------------


@dataclass
class Refs:
    """Local id ↔ QBO id per kind ("customer", "item", "term", ...), plus what lines need to know of items.

    ``tax_codes`` maps a local TaxRate id to its QBO TaxCode id; ``payment_methods`` maps a QBO
    PaymentMethod id to its lower-case name (the domain stores the name).
    """

    _to_local: dict[str, dict[str, str]] = field(default_factory=dict)
    _to_qbo: dict[str, dict[str, str]] = field(default_factory=dict)
    item_types: dict[str, ItemType] = field(default_factory=dict)
    item_names: dict[str, str] = field(default_factory=dict)
    payment_methods: dict[str, str] = field(default_factory=dict)
    tax_rate_percents: dict[str, Decimal] = field(default_factory=dict)

    def add(self, kind: str, local_id: str, qbo_id: str | None) -> None:
        if not qbo_id:
            return
        self._to_local.setdefault(kind, {})[qbo_id] = local_id
        self._to_qbo.setdefault(kind, {})[local_id] = qbo_id

    def add_item(self, item: Item) -> None:
        self.add("item", item.id, item.qbo_id)
        self.item_types[item.id] = ItemType(item.type)
        self.item_names[item.id] = item.name

    def local(self, kind: str, qbo_id: str | None) -> str | None:
        return self._to_local.get(kind, {}).get(qbo_id) if qbo_id else None

    def qbo(self, kind: str, local_id: str | None) -> str | None:
        return self._to_qbo.get(kind, {}).get(local_id) if local_id else None

    def require_local(self, kind: str, qbo_id: str | None) -> str:
        found = self.local(kind, qbo_id)
        if found is None:
            raise MappingError(
                f"QuickBooks {kind} {qbo_id} is not known here; import it first", kind=kind, id=qbo_id
            )
        return found

    def require_qbo(self, kind: str, local_id: str | None) -> str:
        found = self.qbo(kind, local_id)
        if found is None:
            raise MappingError(
                f"{kind} {local_id} has no QuickBooks id yet; push it to QuickBooks first",
                kind=kind,
                id=local_id,
            )
        return found

    def payment_method_id(self, name: str | None) -> str | None:
        if not name:
            return None
        wanted = name.strip().lower()
        return next((qid for qid, n in self.payment_methods.items() if n == wanted), None)


def payment_methods_from_qbo(methods: list[dict[str, Any]]) -> dict[str, str]:
    """QBO PaymentMethod list → {id: lower-case name}; the app has no table for them, so sync keeps this."""
    return {str(pm["Id"]): str(pm["Name"]).lower() for pm in methods}


# ---- small parsers ---------------------------------------------------------------------------------------------


def dec(value: Any) -> Decimal | None:
    """Exact decimal from a QBO number (JSON float/int/str); ``str`` first so 14.3 stays 14.3."""
    if value is None or value == "":
        return None
    return Decimal(str(value))


def money(value: Any, default: Decimal | None = Decimal("0.00")) -> Decimal | None:
    parsed = dec(value)
    return cents(parsed) if parsed is not None else default


def qbo_date(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def ref_value(obj: dict[str, Any], key: str) -> str | None:
    ref = obj.get(key)
    if isinstance(ref, dict) and ref.get("value") not in (None, ""):
        return str(ref["value"])
    return None


def ref(value: str | None, name: str | None = None) -> dict[str, str] | None:
    if not value:
        return None
    return {"value": value, "name": name} if name else {"value": value}


def nested(obj: dict[str, Any], key: str, inner: str) -> Any:
    value = obj.get(key)
    return value.get(inner) if isinstance(value, dict) else None


def compact(payload: dict[str, Any]) -> dict[str, Any]:
    """Drop keys whose value is None: QBO treats an absent field differently from a null one on create."""
    return {k: v for k, v in payload.items() if v is not None}


def with_identity(payload: dict[str, Any], row: Any) -> dict[str, Any]:
    """Id and SyncToken when the row is already in QBO, so the payload serves as a full update."""
    if getattr(row, "qbo_id", None):
        payload = {"Id": row.qbo_id, "SyncToken": row.sync_token or "0", **payload}
    return payload


def identity_fields(obj: dict[str, Any]) -> Fields:
    return {"qbo_id": str(obj["Id"]), "sync_token": str(obj.get("SyncToken", "0"))}


def address_from_qbo(addr: Any) -> dict[str, str]:
    if not isinstance(addr, dict):
        return {}
    return {ours: str(addr[theirs]) for ours, theirs in ADDRESS_FIELDS.items() if addr.get(theirs)}


def address_to_qbo(addr: dict[str, Any] | None) -> dict[str, str] | None:
    if not addr:
        return None
    out = {theirs: str(addr[ours]) for ours, theirs in ADDRESS_FIELDS.items() if addr.get(ours)}
    return out or None


def approved_at(accepted: Any) -> datetime | None:
    d = qbo_date(accepted)
    return datetime(d.year, d.month, d.day, tzinfo=UTC) if d else None


# ---- Account, Term, TaxCode/TaxRate ------------------------------------------------------------------------


def account_from_qbo(obj: dict[str, Any]) -> Fields:
    return {
        **identity_fields(obj),
        "name": str(obj["Name"]),
        "account_type": str(obj.get("AccountType") or ""),
        "account_sub_type": obj.get("AccountSubType"),
        "acct_num": obj.get("AcctNum"),
        "active": bool(obj.get("Active", True)),
    }


def account_to_qbo(row: Account) -> dict[str, Any]:
    return with_identity(
        compact(
            {
                "Name": row.name,
                "AccountType": row.account_type,
                "AccountSubType": row.account_sub_type,
                "AcctNum": row.acct_num,
                "Active": row.active,
            }
        ),
        row,
    )


def term_from_qbo(obj: dict[str, Any]) -> Fields:
    return {
        **identity_fields(obj),
        "name": str(obj["Name"]),
        "due_days": int(obj.get("DueDays") or 0),
        "active": bool(obj.get("Active", True)),
    }


def term_to_qbo(row: Term) -> dict[str, Any]:
    return with_identity(
        {"Name": row.name, "Type": "STANDARD", "DueDays": row.due_days, "Active": row.active}, row
    )


def tax_codes_by_rate(tax_codes: list[dict[str, Any]]) -> dict[str, str]:
    """QBO TaxRate id → the TaxCode that applies it (the code is what a transaction references)."""
    found: dict[str, str] = {}
    for code in tax_codes:
        details = nested(code, "SalesTaxRateList", "TaxRateDetail") or []
        for detail in details:
            rate_id = ref_value(detail, "TaxRateRef")
            if rate_id and rate_id not in found:
                found[rate_id] = str(code["Id"])
    return found


def tax_rate_from_qbo(obj: dict[str, Any], tax_code_id: str | None) -> Fields:
    return {
        **identity_fields(obj),
        "name": str(obj["Name"]),
        "rate_percent": dec(obj.get("RateValue")) or Decimal("0"),
        "qbo_tax_code_id": tax_code_id,
        "active": bool(obj.get("Active", True)),
    }


def tax_rate_to_qbo(row: TaxRate) -> dict[str, Any]:
    return with_identity({"Name": row.name, "RateValue": row.rate_percent, "Active": row.active}, row)


# ---- Item ---------------------------------------------------------------------------------------------------


def item_type_from_qbo(
    qbo_type: str | None, name: str, *, description: str | None = None, unit: str | None = None
) -> ItemType:
    """Service → discount or fee by name, labor when billed by the hour, else other (a per-job service).

    NonInventory/Inventory → material; anything else → other. Only hourly work is labor, because labor
    quantities are rounded up to half hours.
    """
    if qbo_type == "Service":
        if "discount" in name.lower():
            return ItemType.DISCOUNT
        if _FEE_RE.search(name):
            return ItemType.FEE
        hourly = unit is not None and unit.lower() in ("hour", "hours", "hr", "h")
        if hourly or (unit is None and _HOURLY_RE.search(f"{name} {description or ''}")):
            return ItemType.LABOR
        return ItemType.OTHER
    if qbo_type in ("NonInventory", "Inventory"):
        return ItemType.MATERIAL
    return ItemType.OTHER


def item_type_to_qbo(item_type: ItemType | str, *, inventory: bool = False) -> str:
    if ItemType(item_type) is ItemType.MATERIAL:
        return "Inventory" if inventory else "NonInventory"
    return "Service"


def item_from_qbo(
    obj: dict[str, Any], *, keywords: list[str] | None = None, unit: str | None = None
) -> Fields:
    """The demo company's ``itemKeywords``/``itemUnits`` fill what QBO has no field for."""
    name = str(obj["Name"])
    fields: Fields = {
        **identity_fields(obj),
        "name": name,
        "description": obj.get("Description"),
        "type": item_type_from_qbo(obj.get("Type"), name, description=obj.get("Description"), unit=unit),
        "rate": money(obj.get("UnitPrice")),
        "cost": money(obj.get("PurchaseCost"), None),
        "taxable": bool(obj.get("Taxable", False)),
        "active": bool(obj.get("Active", True)),
        "income_account_ref": ref_value(obj, "IncomeAccountRef"),
        "expense_account_ref": ref_value(obj, "ExpenseAccountRef"),
        # Our cost code travels as the QBO SKU: the one free-text code field an Item has.
        "cost_code": obj.get("Sku"),
    }
    if keywords is not None:
        fields["keywords"] = list(keywords)
    if unit is not None:
        fields["unit_of_measure"] = unit
    return fields


def item_to_qbo(row: Item, *, inventory: bool = False) -> dict[str, Any]:
    return with_identity(
        compact(
            {
                "Name": row.name,
                "Type": item_type_to_qbo(row.type, inventory=inventory),
                "Description": row.description,
                "UnitPrice": row.rate,
                "PurchaseCost": row.cost,
                "Taxable": row.taxable,
                "Active": row.active,
                "IncomeAccountRef": ref(row.income_account_ref),
                "ExpenseAccountRef": ref(row.expense_account_ref),
                "Sku": row.cost_code,
            }
        ),
        row,
    )


# ---- Customer, Vendor ------------------------------------------------------------------------------------------


def customer_from_qbo(obj: dict[str, Any], refs: Refs) -> Fields:
    return {
        **identity_fields(obj),
        "display_name": str(obj["DisplayName"]),
        "company_name": obj.get("CompanyName"),
        "first_name": obj.get("GivenName"),
        "last_name": obj.get("FamilyName"),
        "email": nested(obj, "PrimaryEmailAddr", "Address"),
        "phone": nested(obj, "PrimaryPhone", "FreeFormNumber"),
        "billing_address": address_from_qbo(obj.get("BillAddr")),
        "shipping_address": address_from_qbo(obj.get("ShipAddr")),
        "tax_exempt": not bool(obj.get("Taxable", True)),
        "active": bool(obj.get("Active", True)),
        "term_id": refs.local("term", ref_value(obj, "SalesTermRef")),
        "notes": obj.get("Notes"),
    }


def customer_to_qbo(row: Customer, refs: Refs) -> dict[str, Any]:
    return with_identity(
        compact(
            {
                "DisplayName": row.display_name,
                "CompanyName": row.company_name,
                "GivenName": row.first_name,
                "FamilyName": row.last_name,
                "PrimaryEmailAddr": {"Address": row.email} if row.email else None,
                "PrimaryPhone": {"FreeFormNumber": row.phone} if row.phone else None,
                "BillAddr": address_to_qbo(row.billing_address),
                "ShipAddr": address_to_qbo(row.shipping_address),
                "Taxable": not row.tax_exempt,
                "Active": row.active,
                "SalesTermRef": ref(refs.qbo("term", row.term_id)),
                "Notes": row.notes,
            }
        ),
        row,
    )


def vendor_from_qbo(obj: dict[str, Any]) -> Fields:
    return {
        **identity_fields(obj),
        "display_name": str(obj["DisplayName"]),
        "company_name": obj.get("CompanyName"),
        "email": nested(obj, "PrimaryEmailAddr", "Address"),
        "phone": nested(obj, "PrimaryPhone", "FreeFormNumber"),
        "active": bool(obj.get("Active", True)),
    }


def vendor_to_qbo(row: Vendor) -> dict[str, Any]:
    return with_identity(
        compact(
            {
                "DisplayName": row.display_name,
                "CompanyName": row.company_name,
                "PrimaryEmailAddr": {"Address": row.email} if row.email else None,
                "PrimaryPhone": {"FreeFormNumber": row.phone} if row.phone else None,
                "Active": row.active,
            }
        ),
        row,
    )


__all__ = [
    "MappingError",
    "Refs",
    "account_from_qbo",
    "account_to_qbo",
    "customer_from_qbo",
    "customer_to_qbo",
    "dec",
    "item_from_qbo",
    "item_to_qbo",
    "item_type_from_qbo",
    "item_type_to_qbo",
    "money",
    "name_candidates_from_qbo",
    "payment_methods_from_qbo",
    "tax_codes_by_rate",
    "tax_rate_from_qbo",
    "tax_rate_to_qbo",
    "term_from_qbo",
    "term_to_qbo",
    "vendor_from_qbo",
    "vendor_to_qbo",
]


def name_candidates_from_qbo(records: Sequence[dict[str, Any]]) -> list[NameCandidate]:
    """NameCandidates from QBO Customer/Vendor JSON (DisplayName plus CompanyName / FullyQualifiedName)."""
    out = []
    for record in records:
        aliases = tuple(
            {record[k] for k in ("CompanyName", "FullyQualifiedName", "PrintOnCheckName") if record.get(k)}
            - {record["DisplayName"]}
        )
        out.append(
            NameCandidate(
                id=str(record["Id"]),
                name=record["DisplayName"],
                aliases=tuple(sorted(aliases)),
                active=bool(record.get("Active", True)),
            )
        )
    return out
