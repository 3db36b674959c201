"""Per-entity glue between local rows and QBO JSON for the sync: payloads out, upserts in, key fields.

Which entities there are, and their mappers, is the table in ``entity_specs``; this module adds what the sync
needs around it: references resolved for a whole company or exactly one record, natural keys to adopt a twin
instead of duplicating it, the QBO-side key fields for checksums, and what a deletion in QBO means here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.db import Base, SourceSystem, SyncStatus, utcnow
from domain.models.catalog import Account, Customer, Item, TaxRate, Term, Vendor
from domain.models.payments import Payment, PaymentApplication, WriteOff
from domain.models.sales import Estimate, EstimateLine, Invoice, InvoiceLine, InvoiceStatus
from domain.services.invoices import net_of_write_offs, refresh_status
from domain.services.outbox import enqueue_pull
from domain.services.payment_methods import qbo_payment_methods
from domain.services.sync_checksums import KeyFields, day, money, qty
from integrations.quickbooks.entity_specs import SPECS, EntitySpec
from integrations.quickbooks.mapping import documents as md
from integrations.quickbooks.mapping import lists as m
from integrations.quickbooks.sync.row_fields import assign


def load_refs(session: Session, tenant_id: str) -> m.Refs:
    """Every local ↔ QBO id pair of the tenant, for mapping in either direction."""
    refs = m.Refs()
    for spec in SPECS.values():
        if spec.model is Item:
            continue  # an item's reference carries its name too
        model: Any = spec.model
        for local_id, qbo_id in session.execute(
            select(model.id, model.qbo_id).where(model.tenant_id == tenant_id, model.qbo_id.is_not(None))
        ):
            refs.add(spec.name, local_id, qbo_id)
    for item in session.scalars(select(Item).where(Item.tenant_id == tenant_id)):
        refs.add_item(item)
    for rate in session.scalars(select(TaxRate).where(TaxRate.tenant_id == tenant_id)):
        refs.add("tax_code", rate.id, rate.qbo_tax_code_id)
        refs.tax_rate_percents[rate.id] = rate.rate_percent
    refs.payment_methods = qbo_payment_methods(session, tenant_id)
    return refs


# ---- outbound ----------------------------------------------------------------------------------------------


def _push_refs(session: Session, tenant_id: str, row: Base) -> m.Refs:
    """Only the references this one record needs (load_refs reads the whole company)."""
    refs = m.Refs()

    def add(kind: str, model: type[Base], local_id: str | None) -> None:
        if local_id:
            qbo_id = session.scalar(
                select(model.qbo_id).where(model.id == local_id, model.tenant_id == tenant_id)  # type: ignore[attr-defined]
            )
            refs.add(kind, local_id, qbo_id)

    if isinstance(row, Customer):
        add("term", Term, row.term_id)
    if isinstance(row, Estimate | Invoice | Payment):
        add("customer", Customer, row.customer_id)
    if isinstance(row, Estimate | Invoice):
        add("term", Term, getattr(row, "term_id", None))
        if isinstance(row, Invoice):
            add("estimate", Estimate, row.estimate_id)
        item_ids = {line.item_id for line in row.lines if line.item_id}
        if item_ids:
            for item in session.scalars(select(Item).where(Item.id.in_(item_ids))):
                refs.add_item(item)
        if row.tax_rate_id:
            rate = session.get(TaxRate, row.tax_rate_id)
            if rate is not None:
                refs.add("tax_code", rate.id, rate.qbo_tax_code_id)
    if isinstance(row, Payment):
        for app in row.applications:
            add("invoice", Invoice, app.invoice_id)
        refs.payment_methods = qbo_payment_methods(session, tenant_id)
    return refs


def to_qbo(
    session: Session, tenant_id: str, entity: str, row: Base, refs: m.Refs | None = None
) -> dict[str, Any]:
    """The full QBO payload; raises ``MappingError`` naming a dependency that has no QBO id yet. ``refs``:
    references already loaded (an import's), instead of looking up this record's own."""
    spec = SPECS.get(entity)
    if spec is None or spec.to_qbo is None:
        raise m.MappingError(f"{entity} records are not pushed to QuickBooks", entity=entity)
    if isinstance(row, Item):
        return spec.to_qbo(row, m.Refs())  # an item refers to nothing the push resolves
    return spec.to_qbo(row, refs if refs is not None else _push_refs(session, tenant_id, row))


def dependencies(row: Base) -> list[tuple[str, str]]:
    """Local records that must exist in QBO before ``row`` can be pushed, as (entity, id)."""
    deps: list[tuple[str, str]] = []
    if isinstance(row, Estimate | Invoice | Payment):
        deps.append(("customer", row.customer_id))
    if isinstance(row, Estimate | Invoice):
        deps.extend(("item", line.item_id) for line in row.lines if line.item_id)
    if isinstance(row, Payment):
        deps.extend(("invoice", app.invoice_id) for app in row.applications)
    if isinstance(row, WriteOff):
        deps.append(("invoice", row.invoice_id))
    return deps


# ---- key fields of the QBO side ----------------------------------------------------------------------------


def _lines(obj: dict[str, Any]) -> list[list[str | None]]:
    rows = [
        [qty((line.get("SalesItemLineDetail") or {}).get("Qty") or 1), money(line.get("Amount"))]
        for line in obj.get("Line") or []
        if line.get("DetailType") == "SalesItemLineDetail"
    ]
    return sorted(rows, key=lambda r: (r[1] or "", r[0] or ""))


def _voided(obj: dict[str, Any]) -> bool:
    note = obj.get("PrivateNote")
    return bool(note and str(note).startswith(md.VOID_NOTE) and Decimal(str(obj.get("TotalAmt") or 0)) == 0)


def remote_key_fields(entity: str, obj: dict[str, Any]) -> KeyFields:
    """The same key fields ``local_key_fields`` reads from a local row, read from the QBO JSON."""
    if entity == "customer":
        return {
            "name": obj.get("DisplayName"),
            "email": m.nested(obj, "PrimaryEmailAddr", "Address") or None,
            "phone": m.nested(obj, "PrimaryPhone", "FreeFormNumber") or None,
            "active": bool(obj.get("Active", True)),
        }
    if entity == "item":
        return {
            "name": obj.get("Name"),
            "rate": money(obj.get("UnitPrice") or 0),
            "active": bool(obj.get("Active", True)),
        }
    if entity == "invoice":
        return {
            "date": day(obj.get("TxnDate")),
            "due": day(obj.get("DueDate")),
            "total": money(obj.get("TotalAmt") or 0),
            "voided": _voided(obj),
            "lines": _lines(obj),
        }
    if entity == "estimate":
        return {
            "date": day(obj.get("TxnDate")),
            "total": money(obj.get("TotalAmt") or 0),
            "status": obj.get("TxnStatus") or "Pending",
            "lines": _lines(obj),
        }
    if entity == "payment":
        return {
            "date": day(obj.get("TxnDate")),
            "amount": money(obj.get("TotalAmt") or 0),
            "voided": _voided(obj),
            "applied": sorted(money(line.get("Amount")) or "" for line in obj.get("Line") or []),
        }
    return {"id": obj.get("Id")}


def last_updated(obj: dict[str, Any]) -> str | None:
    meta = obj.get("MetaData") or {}
    value = meta.get("LastUpdatedTime")
    return str(value) if value else None


# ---- inbound -----------------------------------------------------------------------------------------------


def find_local(
    session: Session, tenant_id: str, entity: str, qbo_id: str, *, lock: bool = False
) -> Base | None:
    """The local twin of a QBO entity; ``lock`` holds its row so a user's concurrent edit is not lost."""
    model = SPECS[entity].model
    query = select(model).where(model.tenant_id == tenant_id, model.qbo_id == qbo_id)  # type: ignore[attr-defined]
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).first()


def _find_twin(session: Session, tenant_id: str, spec: EntitySpec, obj: dict[str, Any]) -> Base | None:
    """A local row not yet linked to QBO with the same natural key: link it rather than duplicate it."""
    if spec.natural_key is None or not obj.get(spec.natural_key[1]):
        return None
    attr, field = spec.natural_key
    model = spec.model
    return session.scalars(
        select(model).where(
            model.tenant_id == tenant_id,  # type: ignore[attr-defined]
            getattr(model, attr) == obj[field],
            model.qbo_id.is_(None),  # type: ignore[attr-defined]
        )
    ).first()


def _replace_lines(row: Estimate | Invoice, wanted: list[dict[str, Any]], model: type[Any]) -> None:
    row.lines.clear()
    for fields in wanted:
        row.lines.append(model(tenant_id=row.tenant_id, **fields))


def _mark_synced(row: Any) -> None:
    row.sync_status = SyncStatus.SYNCED
    row.last_synced_at = utcnow()


def apply_remote(
    session: Session, tenant_id: str, entity: str, obj: dict[str, Any], *, accounting_only: bool = False
) -> Base:
    """Upsert the local twin of ``obj``. ``accounting_only`` takes just what QBO masters (invoice balance and
    status, payment applications) and leaves our workflow fields alone.

    Raises ``MappingError`` naming a reference (customer, vendor...) that must be pulled first.
    """
    spec = SPECS[entity]
    refs = load_refs(session, tenant_id)
    row = find_local(session, tenant_id, entity, str(obj["Id"])) or _find_twin(session, tenant_id, spec, obj)
    created = row is None
    if row is None:
        row = spec.model(tenant_id=tenant_id)
        row.source_system = SourceSystem.QUICKBOOKS  # type: ignore[attr-defined]
    if accounting_only and not created and entity in ("customer", "item"):
        pass  # nothing on a customer or item is QBO's alone: ours stays, for its push or for a person
    elif entity in ("estimate", "invoice"):
        mapped = spec.from_qbo(obj, refs)
        if accounting_only and not created:
            _apply_accounting(session, row, mapped.fields)
        else:
            assign(row, mapped.fields)
            line_model = EstimateLine if entity == "estimate" else InvoiceLine
            _replace_lines(row, mapped.lines, line_model)  # type: ignore[arg-type]
            if isinstance(row, Invoice):
                net_of_write_offs(session, row)
    elif entity == "payment":
        _apply_payment(session, tenant_id, row, spec.from_qbo(obj, refs))  # type: ignore[arg-type]
    else:
        assign(row, spec.from_qbo(obj, refs))
    if created:
        session.add(row)
    _mark_synced(row)
    session.flush()
    return row


def _apply_accounting(session: Session, row: Any, fields: dict[str, Any]) -> None:
    """QBO's balance wins (a payment entered there lands here); a voided invoice stays void."""
    if not isinstance(row, Invoice) or row.status == InvoiceStatus.VOID:
        return
    row.sync_token = fields["sync_token"]
    row.balance_due = fields["balance_due"]
    row.amount_paid = fields["amount_paid"]
    row.status = fields["status"]
    net_of_write_offs(session, row)


def _apply_payment(session: Session, tenant_id: str, row: Payment, mapped: md.MappedPayment) -> None:
    assign(row, mapped.fields)
    wanted: dict[str, Decimal] = {}
    for app in mapped.applications:
        if app.invoice_id is None:
            raise m.MappingError(
                f"QuickBooks invoice {app.qbo_invoice_id} is not known here; import it first",
                kind="invoice",
                id=app.qbo_invoice_id,
            )
        wanted[app.invoice_id] = wanted.get(app.invoice_id, Decimal("0")) + app.amount
    have = {a.invoice_id: Decimal(a.amount) for a in row.applications}
    if have == wanted:
        return
    row.applications.clear()
    session.flush()
    for invoice_id, amount in wanted.items():
        row.applications.append(PaymentApplication(tenant_id=tenant_id, invoice_id=invoice_id, amount=amount))


def affected_invoices(row: Base) -> list[str]:
    """Invoices whose balance a payment change moves (pulled again so QBO's balance lands here)."""
    if isinstance(row, Payment):
        return [a.invoice_id for a in row.applications]
    return []


def pull_affected_invoices(session: Session, tenant_id: str, row: Base) -> None:
    """A payment moved invoice balances in QBO (pulled or pushed): fetch those invoices, so QBO's balance and
    status land here, also after a pull that ran before the payment reached QBO."""
    for invoice_id in affected_invoices(row):
        invoice = session.get(Invoice, invoice_id)
        if invoice is not None and invoice.qbo_id:
            enqueue_pull(session, tenant_id, "invoice", invoice.qbo_id)


def apply_remote_delete(session: Session, tenant_id: str, entity: str, qbo_id: str) -> Base | None:
    """QBO deleted (or voided away) the entity: keep our row for the record, but out of the books."""
    row = find_local(session, tenant_id, entity, qbo_id)
    if row is None:
        return None
    if isinstance(row, Customer | Item | Vendor | Account | Term):
        row.active = False
    elif isinstance(row, Invoice):
        row.status = InvoiceStatus.VOID
        row.voided_at = row.voided_at or utcnow()
        row.balance_due = Decimal("0.00")
    elif isinstance(row, Payment):
        invoices = [session.get(Invoice, a.invoice_id) for a in row.applications]
        for app, invoice in zip(row.applications, invoices, strict=True):
            if invoice is not None and invoice.status != InvoiceStatus.VOID:
                invoice.amount_paid = max(Decimal("0.00"), invoice.amount_paid - app.amount)
                refresh_status(invoice)
        row.applications.clear()
        row.voided = True
        row.unapplied_amount = Decimal("0.00")
    elif isinstance(row, Estimate):
        row.internal_notes = ((row.internal_notes or "") + " [deleted in QuickBooks]").strip()
    row.qbo_id = None  # type: ignore[attr-defined]
    row.sync_token = None  # type: ignore[attr-defined]
    row.sync_status = SyncStatus.SYNCED  # type: ignore[attr-defined]
    session.flush()
    return row


__all__ = [
    "affected_invoices",
    "apply_remote",
    "apply_remote_delete",
    "dependencies",
    "find_local",
    "last_updated",
    "load_refs",
    "pull_affected_invoices",
    "remote_key_fields",
    "to_qbo",
]
