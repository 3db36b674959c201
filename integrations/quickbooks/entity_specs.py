"""What the code knows about each QBO entity, in one table: names, local model, natural key, push and import.

The table is in import order (its rank): what an entity refers to comes before it, so every reference resolves.
``reads`` names the QBO lists fetched just before an entity only because its mapping needs them (tax codes give a
tax rate its code; payment methods name a customer's or payment's method); they have no rows of their own here.
``from_qbo`` / ``to_qbo`` are the field-level mappers (``mapping/``); an entity without ``to_qbo`` is never pushed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from domain.db import Base
from domain.models.catalog import Account, Customer, Item, TaxRate, Term, Vendor
from domain.models.payments import Bill, Payment
from domain.models.sales import Estimate, Invoice
from integrations.quickbooks.mapping import documents as md
from integrations.quickbooks.mapping import lists as m

FromQbo = Callable[[dict[str, Any], m.Refs], Any]  # Fields, or a MappedDocument / MappedPayment
ToQbo = Callable[[Any, m.Refs], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class EntitySpec:
    name: str  # the app's name: "customer"
    qbo: str  # QBO's: "Customer"
    model: type[Base]
    natural_key: tuple[str, str] | None  # (local attribute, QBO field) that QBO keeps unique
    from_qbo: FromQbo
    to_qbo: ToQbo | None = None  # None: QBO masters it, never pushed from here
    batchable: bool = True
    synced: bool = True  # has an agreed base (SyncState) and is pulled on webhooks and CDC
    with_inactive: bool = False  # a name list: QBO answers only active records unless asked
    reads: tuple[str, ...] = ()  # QBO lists fetched just before this entity, for its mapping

    @property
    def pushable(self) -> bool:
        return self.to_qbo is not None


def _no_tax_code(obj: dict[str, Any], refs: m.Refs) -> Any:
    return m.tax_rate_from_qbo(obj, None)  # the importer pairs rates with their codes from the whole list


ENTITIES: tuple[EntitySpec, ...] = (
    EntitySpec("account", "Account", Account, None, lambda o, r: m.account_from_qbo(o), with_inactive=True),
    EntitySpec("term", "Term", Term, None, lambda o, r: m.term_from_qbo(o), with_inactive=True),
    EntitySpec("tax_rate", "TaxRate", TaxRate, None, _no_tax_code, synced=False, reads=("TaxCode",)),
    EntitySpec(
        "item",
        "Item",
        Item,
        ("name", "Name"),
        lambda o, r: m.item_from_qbo(o),
        lambda row, r: m.item_to_qbo(row),
        with_inactive=True,
    ),
    EntitySpec(
        "customer",
        "Customer",
        Customer,
        ("display_name", "DisplayName"),
        m.customer_from_qbo,
        m.customer_to_qbo,
        with_inactive=True,
        reads=("PaymentMethod",),
    ),
    EntitySpec(
        "vendor",
        "Vendor",
        Vendor,
        ("display_name", "DisplayName"),
        lambda o, r: m.vendor_from_qbo(o),
        with_inactive=True,
    ),
    EntitySpec(
        "estimate",
        "Estimate",
        Estimate,
        ("doc_number", "DocNumber"),
        md.estimate_from_qbo,
        md.estimate_to_qbo,
    ),
    EntitySpec(
        "invoice", "Invoice", Invoice, ("doc_number", "DocNumber"), md.invoice_from_qbo, md.invoice_to_qbo
    ),
    # No natural key QBO enforces: a payment is only ever created alone, under its own requestid.
    EntitySpec("payment", "Payment", Payment, None, md.payment_from_qbo, md.payment_to_qbo, batchable=False),
    EntitySpec("bill", "Bill", Bill, None, md.bill_from_qbo),
)
SPECS: dict[str, EntitySpec] = {s.name: s for s in ENTITIES if s.synced}  # what the sync pushes and pulls
BY_QBO_NAME = {s.qbo.lower(): s for s in SPECS.values()}
# Every QBO entity an import reads, in order; the QBO names of the imported models (the importer's counts).
IMPORT_ENTITIES: tuple[str, ...] = tuple(name for s in ENTITIES for name in (*s.reads, s.qbo))
IMPORT_ORDER: tuple[str, ...] = tuple(s.qbo for s in ENTITIES)
WITH_INACTIVE = frozenset(name for s in ENTITIES if s.with_inactive for name in (s.qbo, *s.reads))


def spec_for_qbo(qbo_name: str) -> EntitySpec | None:
    """The synced entity QBO calls ``qbo_name`` (any case), if the sync knows it."""
    return BY_QBO_NAME.get(qbo_name.lower())


__all__ = [
    "BY_QBO_NAME",
    "ENTITIES",
    "IMPORT_ENTITIES",
    "IMPORT_ORDER",
    "SPECS",
    "WITH_INACTIVE",
    "EntitySpec",
    "spec_for_qbo",
]
