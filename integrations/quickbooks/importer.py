"""Import a whole QBO company snapshot into the domain tables, idempotently.

Used by the demo (seeding from the bundled company), the sync's initial import and the agent's differential
test. Entities go in dependency order so every reference resolves; rows are matched by ``qbo_id`` within the
tenant (then by natural key, so a row created here before the first sync is linked rather than duplicated);
fields are only written when they differ, so a second run with the same snapshot changes nothing.
Flushes, never commits: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.db import Base, SourceSystem, SyncStatus, utcnow
from domain.models.catalog import Account, Customer, Item, TaxRate, Term, Vendor
from domain.models.payments import Bill, Payment, PaymentApplication
from domain.models.sales import Estimate, EstimateLine, Invoice, InvoiceLine
from domain.models.tenancy import Tenant
from integrations.quickbooks.mapping import (
    Fields,
    Refs,
    account_from_qbo,
    customer_from_qbo,
    item_from_qbo,
    payment_methods_from_qbo,
    tax_codes_by_rate,
    tax_rate_from_qbo,
    term_from_qbo,
    vendor_from_qbo,
)
from integrations.quickbooks.mapping_docs import (
    MappedDocument,
    bill_from_qbo,
    estimate_from_qbo,
    invoice_from_qbo,
    payment_from_qbo,
)

M = TypeVar("M", bound=Base)
IMPORT_ORDER = (
    "Account",
    "Term",
    "TaxRate",
    "Item",
    "Customer",
    "Vendor",
    "Estimate",
    "Invoice",
    "Payment",
    "Bill",
)
_LINE_FIELDS = (
    "position",
    "item_id",
    "type",
    "name",
    "description",
    "quantity",
    "unit_price",
    "markup_percent",
    "markup_amount",
    "line_subtotal",
    "taxable",
)


def load_refs(session: Session, tenant_id: str) -> Refs:
    """Every local ↔ QBO id pair of the tenant, for mapping in either direction."""
    refs = Refs()
    for kind, model in (
        ("account", Account),
        ("term", Term),
        ("customer", Customer),
        ("vendor", Vendor),
        ("estimate", Estimate),
        ("invoice", Invoice),
        ("payment", Payment),
        ("bill", Bill),
    ):
        for local_id, qbo_id in session.execute(
            select(model.id, model.qbo_id).where(model.tenant_id == tenant_id, model.qbo_id.is_not(None))
        ):
            refs.add(kind, local_id, qbo_id)
    for item in session.scalars(select(Item).where(Item.tenant_id == tenant_id)):
        refs.add_item(item)
    for rate in session.scalars(select(TaxRate).where(TaxRate.tenant_id == tenant_id)):
        refs.add("tax_code", rate.id, rate.qbo_tax_code_id)
        refs.tax_rate_percents[rate.id] = rate.rate_percent
    return refs


class _Upserter:
    def __init__(self, session: Session, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.now = utcnow()

    def existing(self, model: type[M], natural_key: str | None = None) -> tuple[dict[str, M], dict[str, M]]:
        rows = list(self.session.scalars(select(model).where(model.tenant_id == self.tenant_id)))  # type: ignore[attr-defined]
        by_qbo = {r.qbo_id: r for r in rows if r.qbo_id}  # type: ignore[attr-defined]
        by_key = {getattr(r, natural_key): r for r in rows if natural_key and not r.qbo_id}  # type: ignore[attr-defined]
        return by_qbo, by_key

    def upsert(
        self, model: type[M], fields: Fields, by_qbo: dict[str, M], by_key: dict[str, M], key: str | None
    ) -> tuple[M, bool]:
        row = by_qbo.get(fields["qbo_id"])
        if row is None and key and fields.get(key) is not None:
            row = by_key.pop(fields[key], None)
        created = row is None
        if row is None:
            row = model(tenant_id=self.tenant_id)
            self.session.add(row)
            by_qbo[fields["qbo_id"]] = row
        changed = _assign(row, fields) or created
        if changed:
            row.sync_status = SyncStatus.SYNCED  # type: ignore[attr-defined]
            row.source_system = SourceSystem.QUICKBOOKS  # type: ignore[attr-defined]
            row.last_synced_at = self.now  # type: ignore[attr-defined]
        return row, changed


def _same(current: Any, wanted: Any) -> bool:
    if isinstance(wanted, Decimal) and current is not None:
        return Decimal(current) == wanted
    if hasattr(wanted, "value") and isinstance(current, str):  # StrEnum vs the plain string read back
        return bool(current == wanted.value)
    if (
        hasattr(wanted, "tzinfo")
        and hasattr(current, "tzinfo")
        and wanted is not None
        and current is not None
    ):
        return bool(current.replace(tzinfo=None) == wanted.replace(tzinfo=None))
    return bool(current == wanted)


def _assign(row: Any, fields: Fields) -> bool:
    changed = False
    for name, value in fields.items():
        if not _same(getattr(row, name), value):
            setattr(row, name, value)
            changed = True
    return changed


def _sync_lines(
    row: Estimate | Invoice, wanted: list[Fields], line_model: type[EstimateLine] | type[InvoiceLine]
) -> bool:
    current = list(row.lines)
    if len(current) == len(wanted) and all(
        all(_same(getattr(have, f), want[f]) for f in _LINE_FIELDS)
        for have, want in zip(current, wanted, strict=True)
    ):
        return False
    row.lines.clear()
    for fields in wanted:
        row.lines.append(line_model(tenant_id=row.tenant_id, **fields))  # type: ignore[arg-type]
    return True


def import_company_snapshot(session: Session, tenant_id: str, company: dict[str, Any]) -> dict[str, int]:
    """Upsert every entity of ``company`` (QBO v3 JSON lists keyed by entity name); returns rows changed per entity."""
    up = _Upserter(session, tenant_id)
    counts = dict.fromkeys(IMPORT_ORDER, 0)
    keywords: dict[str, list[str]] = company.get("itemKeywords") or {}
    units: dict[str, str] = company.get("itemUnits") or {}

    def simple(
        entity: str, model: type[M], mapper: Callable[[dict[str, Any]], Fields], key: str | None
    ) -> None:
        by_qbo, by_key = up.existing(model, key)
        for obj in company.get(entity) or []:
            _row, changed = up.upsert(model, mapper(obj), by_qbo, by_key, key)
            counts[entity] += int(changed)
        session.flush()

    simple("Account", Account, account_from_qbo, None)
    simple("Term", Term, term_from_qbo, None)
    code_for_rate = tax_codes_by_rate(company.get("TaxCode") or [])
    simple("TaxRate", TaxRate, lambda o: tax_rate_from_qbo(o, code_for_rate.get(str(o["Id"]))), None)
    simple(
        "Item",
        Item,
        lambda o: item_from_qbo(o, keywords=keywords.get(o["Name"]), unit=units.get(o["Name"])),
        "name",
    )
    refs = load_refs(session, tenant_id)
    refs.payment_methods = payment_methods_from_qbo(company.get("PaymentMethod") or [])
    simple("Customer", Customer, lambda o: customer_from_qbo(o, refs), "display_name")
    simple("Vendor", Vendor, vendor_from_qbo, "display_name")
    refs = _reload(session, tenant_id, refs)

    _documents(up, company, "Estimate", Estimate, EstimateLine, lambda o: estimate_from_qbo(o, refs), counts)
    refs = _reload(session, tenant_id, refs)
    _documents(up, company, "Invoice", Invoice, InvoiceLine, lambda o: invoice_from_qbo(o, refs), counts)
    refs = _reload(session, tenant_id, refs)
    _payments(up, company, refs, counts)
    simple("Bill", Bill, lambda o: bill_from_qbo(o, refs), None)
    _default_tax_rate(session, tenant_id)
    session.flush()
    return counts


def _reload(session: Session, tenant_id: str, previous: Refs) -> Refs:
    refs = load_refs(session, tenant_id)
    refs.payment_methods = previous.payment_methods
    return refs


def _documents(
    up: _Upserter,
    company: dict[str, Any],
    entity: str,
    model: type[Estimate] | type[Invoice],
    line_model: type[EstimateLine] | type[InvoiceLine],
    mapper: Callable[[dict[str, Any]], MappedDocument],
    counts: dict[str, int],
) -> None:
    by_qbo, by_key = up.existing(model, "doc_number")
    for obj in company.get(entity) or []:
        mapped = mapper(obj)
        row, changed = up.upsert(model, mapped.fields, by_qbo, by_key, "doc_number")
        if _sync_lines(row, mapped.lines, line_model):
            changed = True
            row.sync_status, row.source_system, row.last_synced_at = (
                SyncStatus.SYNCED,
                SourceSystem.QUICKBOOKS,
                up.now,
            )
        counts[entity] += int(changed)
    up.session.flush()


def _payments(up: _Upserter, company: dict[str, Any], refs: Refs, counts: dict[str, int]) -> None:
    by_qbo, by_key = up.existing(Payment)
    for obj in company.get("Payment") or []:
        mapped = payment_from_qbo(obj, refs)
        row, changed = up.upsert(Payment, mapped.fields, by_qbo, by_key, None)
        wanted: dict[str, Decimal] = {}
        for app in mapped.applications:
            if app.invoice_id is not None:  # an invoice outside the snapshot cannot be linked
                wanted[app.invoice_id] = wanted.get(app.invoice_id, Decimal("0")) + app.amount
        have = {a.invoice_id: Decimal(a.amount) for a in row.applications}
        if have != wanted:
            row.applications.clear()
            up.session.flush()  # the unique (payment, invoice) pair must be gone before it is re-added
            for invoice_id, amount in wanted.items():
                row.applications.append(
                    PaymentApplication(tenant_id=up.tenant_id, invoice_id=invoice_id, amount=amount)
                )
            changed = True
        counts["Payment"] += int(changed)
    up.session.flush()


def _default_tax_rate(session: Session, tenant_id: str) -> None:
    """A tenant without a default tax rate gets the company's only active one, so drafts price tax from day one."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None or tenant.default_tax_rate_id:
        return
    active = list(
        session.scalars(select(TaxRate).where(TaxRate.tenant_id == tenant_id, TaxRate.active.is_(True)))
    )
    if len(active) == 1:
        tenant.default_tax_rate_id = active[0].id


__all__ = ["IMPORT_ORDER", "import_company_snapshot", "load_refs"]
