"""Import a whole QBO company snapshot into the domain tables, idempotently.

Used by the demo (seeding from the bundled company), the sync's initial import and the agent's differential
test. Entities go in dependency order so every reference resolves; rows are matched by ``qbo_id`` within the
tenant (then by natural key, so a row created here before the first sync is linked rather than duplicated);
fields are only written when they differ, so a second run with the same snapshot changes nothing.

A record with local changes QBO has not taken yet (a push still queued, failing or dead, or an open conflict)
keeps them: it takes only what QBO masters (an invoice's balance and status). A snapshot older than the version
we already hold (a lower SyncToken) is not stepped back to. Every record that now matches QBO gets its agreed
base (``SyncState``) recorded, for the sync's three-way comparisons.
Flushes, never commits: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from domain.db import Base, SourceSystem, SyncStatus, utcnow
from domain.models.catalog import Account, Customer, Item, TaxRate, Term, Vendor
from domain.models.payments import Bill, Payment, PaymentApplication
from domain.models.sales import Estimate, EstimateLine, Invoice, InvoiceLine, InvoiceStatus
from domain.models.sync import ConflictStatus, SyncConflict, SyncDirection, SyncJob, SyncJobStatus
from domain.models.tenancy import Tenant
from domain.services.invoices import net_of_write_offs
from domain.services.lines import LINE_COLUMNS
from domain.services.payment_methods import store_payment_methods
from integrations.quickbooks.entity_specs import IMPORT_ORDER, SPECS
from integrations.quickbooks.mapping.documents import (
    MappedDocument,
    MappedPayment,
    bill_from_qbo,
    estimate_from_qbo,
    invoice_from_qbo,
    payment_from_qbo,
)
from integrations.quickbooks.mapping.lists import (
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
from integrations.quickbooks.mapping.write_off_docs import is_settlement
from integrations.quickbooks.sync.baselines import Imported, record_baselines
from integrations.quickbooks.sync.bulk_rows import build, insert_rows
from integrations.quickbooks.sync.entities import load_refs
from integrations.quickbooks.sync.row_fields import assign, older, same

M = TypeVar("M", bound=Base)
# The sync's name for each imported model that has a SyncState.
_SYNC_ENTITY: dict[type[Base], str] = {s.model: s.name for s in SPECS.values()}
_PUSHED = frozenset(s.name for s in SPECS.values() if s.pushable)
_CHILDREN: dict[type[Base], str] = {Estimate: "lines", Invoice: "lines", Payment: "applications"}
_ACCOUNTING = ("balance_due", "amount_paid", "status")  # what QBO masters on an invoice
# A push that has not landed: queued, running, waiting to retry, or dead until someone retries or dismisses it.
_UNSETTLED = (SyncJobStatus.PENDING, SyncJobStatus.RUNNING, SyncJobStatus.FAILED, SyncJobStatus.DEAD)
# A line is unchanged when its place and every priced column agree.
_LINE_FIELDS = ("position", *LINE_COLUMNS)


def local_changes(session: Session, tenant_id: str) -> set[tuple[str, str]]:
    """(entity, local id) of every record whose local changes QBO has not taken yet."""
    jobs = select(SyncJob.entity, SyncJob.entity_id).where(
        SyncJob.tenant_id == tenant_id,
        SyncJob.direction == SyncDirection.PUSH,
        SyncJob.status.in_(_UNSETTLED),
    )
    conflicts = select(SyncConflict.entity, SyncConflict.entity_id).where(
        SyncConflict.tenant_id == tenant_id, SyncConflict.status == ConflictStatus.OPEN
    )
    return {(e, i) for e, i in session.execute(jobs)} | {(e, i) for e, i in session.execute(conflicts)}


_Recorder = Callable[[Session, str, Imported, Refs], int]


class _Upserter:
    def __init__(self, session: Session, tenant_id: str, recorder: _Recorder) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.now = utcnow()
        self.held = local_changes(session, tenant_id)
        self.imported: Imported = {}
        self.recorder = recorder
        self.new: list[Base] = []  # built this pass, inserted in bulk when it ends

    def finish(self, refs: Refs | None = None) -> None:
        """End a pass: insert its new rows in bulk, flush the changed ones, record the agreed bases."""
        if self.new:
            insert_rows(self.session, self.new, _CHILDREN)
            self.new = []
        self.session.flush()
        self.record(refs)

    def record(self, refs: Refs | None = None) -> None:
        """Record the agreed base of what the last pass made equal to QBO (flushed), then let its rows go."""
        if self.imported:
            self.recorder(self.session, self.tenant_id, self.imported, refs or Refs())
            self.imported = {}

    def build(self, model: type[M], fields: Fields, **children: list[Base]) -> M:
        """A new row, as QBO has it, for the bulk insert at the end of the pass."""
        row = build(
            model,
            {
                "tenant_id": self.tenant_id,
                **fields,
                "sync_status": SyncStatus.SYNCED,
                "source_system": SourceSystem.QUICKBOOKS,
                "last_synced_at": self.now,
            },
            **children,
        )
        self.new.append(row)
        return row

    def existing(self, model: type[M], natural_key: str | None = None) -> tuple[dict[str, M], dict[str, M]]:
        query = select(model).where(model.tenant_id == self.tenant_id)  # type: ignore[attr-defined]
        children = _CHILDREN.get(model)
        if children is not None:  # compared for every row: read in a few batches, not one query per row
            query = query.options(selectinload(getattr(model, children)))
        rows = list(self.session.scalars(query))
        by_qbo = {r.qbo_id: r for r in rows if r.qbo_id}  # type: ignore[attr-defined]
        by_key = {getattr(r, natural_key): r for r in rows if natural_key and not r.qbo_id}  # type: ignore[attr-defined]
        return by_qbo, by_key

    def upsert(
        self,
        model: type[M],
        obj: dict[str, Any],
        fields: Fields,
        by_qbo: dict[str, M],
        by_key: dict[str, M],
        key: str | None,
        children: Callable[[], dict[str, list[Base]]] | None = None,
    ) -> tuple[M, bool, bool]:
        """(row, changed, whether it took QBO's whole version: lines and applications follow only then). A new
        row is built with the collections ``children`` makes (``build``), so only an existing row's follow."""
        row = by_qbo.get(fields["qbo_id"])
        if row is None and key and fields.get(key) is not None:
            row = by_key.pop(fields[key], None)
        entity = _SYNC_ENTITY.get(model)
        if isinstance(row, Invoice):
            fields = _net_write_offs(self.session, row, fields)
        if row is not None and entity in _PUSHED and (entity, row.id) in self.held:  # type: ignore[attr-defined]
            return row, _keep_local(row, fields), False
        if row is not None and older(fields["sync_token"], row.sync_token):  # type: ignore[attr-defined]
            return row, False, False  # a push or pull already brought a newer version here
        if row is None:
            row = self.build(model, fields, **(children() if children else {}))
            by_qbo[fields["qbo_id"]] = row
            if entity is not None:
                self.imported.setdefault(entity, []).append((obj, row))
            return row, True, False
        changed = assign(row, fields)
        if changed:
            row.sync_status = SyncStatus.SYNCED  # type: ignore[attr-defined]
            row.source_system = SourceSystem.QUICKBOOKS  # type: ignore[attr-defined]
            row.last_synced_at = self.now  # type: ignore[attr-defined]
        if entity is not None:
            self.imported.setdefault(entity, []).append((obj, row))
        return row, changed, True


def _keep_local(row: Any, fields: Fields) -> bool:
    """Local changes stay for their push. QBO's id links a twin never linked; an invoice not voided here takes
    QBO's balance and status. The SyncToken stays ours, so the push meets QBO's newer version as a stale write
    and the tenant's conflict strategy weighs the two against the base."""
    wanted: Fields = {}
    if row.qbo_id is None:
        wanted.update(qbo_id=fields["qbo_id"], sync_token=fields["sync_token"])
    if isinstance(row, Invoice) and row.status != InvoiceStatus.VOID:
        wanted.update({name: fields[name] for name in _ACCOUNTING})
    return assign(row, wanted)


def _net_write_offs(session: Session, row: Invoice, fields: Fields) -> Fields:
    """An invoice written off here takes QBO's paid amount net of the write-offs QBO already holds, as a pull
    does (``net_of_write_offs``); worked out on a scratch copy, so an invoice already netted stays unchanged."""
    if not row.written_off or fields["status"] is InvoiceStatus.VOID:
        return fields
    scratch = Invoice(
        id=row.id,
        tenant_id=row.tenant_id,
        doc_number=row.doc_number,
        total=fields["total"],
        written_off=row.written_off,
        amount_paid=fields["amount_paid"],
        status=fields["status"],
    )
    net_of_write_offs(session, scratch)
    return {**fields, **{name: getattr(scratch, name) for name in _ACCOUNTING}}


def _sync_lines(
    row: Estimate | Invoice, wanted: list[Fields], line_model: type[EstimateLine] | type[InvoiceLine]
) -> bool:
    current = list(row.lines)
    if len(current) == len(wanted) and all(
        all(same(getattr(have, f), want[f]) for f in _LINE_FIELDS)
        for have, want in zip(current, wanted, strict=True)
    ):
        return False
    row.lines.clear()
    for fields in wanted:
        row.lines.append(line_model(tenant_id=row.tenant_id, **fields))  # type: ignore[arg-type]
    return True


def import_company_snapshot(session: Session, tenant_id: str, company: dict[str, Any]) -> dict[str, int]:
    """Upsert every entity of ``company`` (QBO v3 JSON lists keyed by entity name); returns rows changed per entity."""
    counts = {entity: import_entity(session, tenant_id, company, entity) for entity in IMPORT_ORDER}
    finish_import(session, tenant_id)
    return counts


def import_entity(session: Session, tenant_id: str, company: dict[str, Any], entity: str) -> int:
    """Upsert ``company[entity]`` (one of ``IMPORT_ORDER``), the entities before it in that order already
    imported (in this transaction or an earlier one); returns how many rows changed. ``company`` must also hold
    what the entity reads (``EntitySpec.reads``: a tax rate's tax codes, a customer's payment methods)."""
    up = _Upserter(session, tenant_id, record_baselines)
    counts = {entity: 0}
    methods = company.get("PaymentMethod") or []

    def refs() -> Refs:
        loaded = load_refs(session, tenant_id)
        loaded.payment_methods = payment_methods_from_qbo(methods)  # as QBO has them, stored or not
        return loaded

    def simple(
        model: type[M], mapper: Callable[[dict[str, Any]], Fields], key: str | None, refs: Refs | None = None
    ) -> None:
        by_qbo, by_key = up.existing(model, key)
        for obj in company.get(entity) or []:
            _row, changed, _whole = up.upsert(model, obj, mapper(obj), by_qbo, by_key, key)
            counts[entity] += int(changed)
        up.finish(refs)

    if entity == "Account":
        simple(Account, account_from_qbo, None)
    elif entity == "Term":
        simple(Term, term_from_qbo, None)
    elif entity == "TaxRate":
        code_for_rate = tax_codes_by_rate(company.get("TaxCode") or [])
        simple(TaxRate, lambda o: tax_rate_from_qbo(o, code_for_rate.get(str(o["Id"]))), None)
    elif entity == "Item":
        keywords: dict[str, list[str]] = company.get("itemKeywords") or {}
        units: dict[str, str] = company.get("itemUnits") or {}
        simple(
            Item,
            lambda o: item_from_qbo(o, keywords=keywords.get(o["Name"]), unit=units.get(o["Name"])),
            "name",
        )
    elif entity == "Customer":
        store_payment_methods(session, tenant_id, methods)
        known = refs()
        simple(Customer, lambda o: customer_from_qbo(o, known), "display_name", known)
    elif entity == "Vendor":
        simple(Vendor, vendor_from_qbo, "display_name")
    elif entity == "Estimate":
        _documents(up, company, "Estimate", Estimate, EstimateLine, estimate_from_qbo, refs(), counts)
    elif entity == "Invoice":
        _documents(up, company, "Invoice", Invoice, InvoiceLine, invoice_from_qbo, refs(), counts)
    elif entity == "Payment":
        _payments(up, company, refs(), counts)
    elif entity == "Bill":
        known = refs()
        simple(Bill, lambda o: bill_from_qbo(o, known), None)
    else:
        raise ValueError(f"{entity} is not an entity the import knows")
    return counts[entity]


def finish_import(session: Session, tenant_id: str) -> None:
    """What follows the last entity: a tenant without a default tax rate gets the company's only active one."""
    _default_tax_rate(session, tenant_id)
    session.flush()


def _documents(
    up: _Upserter,
    company: dict[str, Any],
    entity: str,
    model: type[Estimate] | type[Invoice],
    line_model: type[EstimateLine] | type[InvoiceLine],
    mapper: Callable[[dict[str, Any], Refs], MappedDocument],
    refs: Refs,
    counts: dict[str, int],
) -> None:
    by_qbo, by_key = up.existing(model, "doc_number")
    for obj in company.get(entity) or []:
        mapped = mapper(obj, refs)
        row, changed, whole = up.upsert(
            model,
            obj,
            mapped.fields,
            by_qbo,
            by_key,
            "doc_number",
            partial(_new_lines, up, line_model, mapped),
        )
        if whole and _sync_lines(row, mapped.lines, line_model):
            changed = True
            row.sync_status, row.source_system, row.last_synced_at = (
                SyncStatus.SYNCED,
                SourceSystem.QUICKBOOKS,
                up.now,
            )
        counts[entity] += int(changed)
    up.finish(refs)


def _payments(up: _Upserter, company: dict[str, Any], refs: Refs, counts: dict[str, int]) -> None:
    by_qbo, by_key = up.existing(Payment)
    for obj in company.get("Payment") or []:
        if is_settlement(obj):  # pairs a credit memo with invoices, moves no money: not a payment here
            continue
        mapped = payment_from_qbo(obj, refs)
        row, changed, whole = up.upsert(
            Payment, obj, mapped.fields, by_qbo, by_key, None, partial(_applications, up, mapped)
        )
        if not whole:
            counts["Payment"] += int(changed)
            continue
        wanted = _applied(mapped)
        have = {a.invoice_id: Decimal(a.amount) for a in row.applications}
        if have != wanted:
            if row.applications:
                row.applications.clear()
                up.session.flush()  # the unique (payment, invoice) pair must be gone before it is re-added
            for invoice_id, amount in wanted.items():
                row.applications.append(
                    PaymentApplication(tenant_id=up.tenant_id, invoice_id=invoice_id, amount=amount)
                )
            changed = True
        counts["Payment"] += int(changed)
    up.finish(refs)


def _applied(mapped: MappedPayment) -> dict[str, Decimal]:
    """The amount applied to each invoice (QBO may apply a payment to one invoice in several lines)."""
    wanted: dict[str, Decimal] = {}
    for app in mapped.applications:
        if app.invoice_id is not None:  # an invoice outside the snapshot cannot be linked
            wanted[app.invoice_id] = wanted.get(app.invoice_id, Decimal("0")) + app.amount
    return wanted


def _applications(up: _Upserter, mapped: MappedPayment) -> dict[str, list[Base]]:
    """A new payment's applications, built for the bulk insert."""
    return {
        "applications": [
            build(PaymentApplication, {"tenant_id": up.tenant_id, "invoice_id": invoice_id, "amount": amount})
            for invoice_id, amount in _applied(mapped).items()
        ]
    }


def _new_lines(
    up: _Upserter, line_model: type[EstimateLine] | type[InvoiceLine], mapped: MappedDocument
) -> dict[str, list[Base]]:
    """A new document's lines, built for the bulk insert."""
    return {"lines": [build(line_model, {"tenant_id": up.tenant_id, **fields}) for fields in mapped.lines]}


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


__all__ = ["import_company_snapshot", "local_changes"]
