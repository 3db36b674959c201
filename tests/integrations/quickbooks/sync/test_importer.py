"""Importing the demo company: counts, balances from QBO, payment applications, idempotency, tenant scoping."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from domain.models import (
    ConflictStatus,
    Customer,
    Estimate,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Item,
    ItemType,
    Payment,
    PaymentApplication,
    SyncConflict,
    SyncJob,
    SyncJobStatus,
    SyncState,
    TaxRate,
    Tenant,
    WriteOff,
)
from domain.services.invoices import refresh_status
from domain.services.sync_checksums import checksum, local_key_fields
from integrations.quickbooks.entity_specs import IMPORT_ORDER
from integrations.quickbooks.sync.entities import remote_key_fields
from integrations.quickbooks.sync.importer import import_company_snapshot

FIXTURE = (
    Path(__file__).resolve().parents[4] / "integrations/quickbooks/sandbox/fixtures/qbo_demo_company.json"
)


@pytest.fixture(scope="module")
def company() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text())


def new_tenant(session: Session, name: str = "Northwind") -> str:
    tenant = Tenant(name=name)
    session.add(tenant)
    session.flush()
    return tenant.id


def count(session: Session, model: Any, tenant_id: str) -> int:
    return int(
        session.scalar(select(func.count()).select_from(model).where(model.tenant_id == tenant_id)) or 0
    )


def test_import_is_complete_and_idempotent(session: Session, company: dict[str, Any]) -> None:
    tenant_id = new_tenant(session)
    first = import_company_snapshot(session, tenant_id, company)
    assert first == {entity: len(company[entity]) for entity in IMPORT_ORDER}
    lines_before = count(session, InvoiceLine, tenant_id)
    second = import_company_snapshot(session, tenant_id, company)
    assert second == dict.fromkeys(IMPORT_ORDER, 0)
    assert not session.dirty and not session.new
    assert count(session, InvoiceLine, tenant_id) == lines_before
    assert count(session, Invoice, tenant_id) == len(company["Invoice"])


def test_balances_and_payment_applications_follow_qbo(session: Session, company: dict[str, Any]) -> None:
    tenant_id = new_tenant(session)
    import_company_snapshot(session, tenant_id, company)
    invoices = {i.qbo_id: i for i in session.scalars(select(Invoice).where(Invoice.tenant_id == tenant_id))}
    for original in company["Invoice"]:
        row = invoices[original["Id"]]
        balance = Decimal(str(original["Balance"]))
        assert row.balance_due == balance
        expected = (
            InvoiceStatus.PAID
            if balance == 0
            else InvoiceStatus.OPEN
            if balance == row.total
            else InvoiceStatus.PARTIAL
        )
        assert row.status == expected
    split = next(p for p in company["Payment"] if len(p["Line"]) == 2)
    payment = session.scalars(
        select(Payment).where(Payment.tenant_id == tenant_id, Payment.qbo_id == split["Id"])
    ).one()
    applied = {
        invoices_by_id.qbo_id: a.amount
        for a in payment.applications
        for invoices_by_id in [session.get(Invoice, a.invoice_id)]
    }
    assert applied == {ln["LinkedTxn"][0]["TxnId"]: Decimal(str(ln["Amount"])) for ln in split["Line"]}
    unapplied = next(p for p in company["Payment"] if not p["Line"])
    row = session.scalars(
        select(Payment).where(Payment.tenant_id == tenant_id, Payment.qbo_id == unapplied["Id"])
    ).one()
    assert row.applications == [] and row.unapplied_amount == Decimal(str(unapplied["UnappliedAmt"]))
    assert row.payment_method == "check"
    total_applied = session.scalar(
        select(func.sum(PaymentApplication.amount)).where(PaymentApplication.tenant_id == tenant_id)
    )
    assert total_applied == sum(Decimal(str(ln["Amount"])) for p in company["Payment"] for ln in p["Line"])


def test_changes_in_qbo_update_rows(session: Session, company: dict[str, Any]) -> None:
    tenant_id = new_tenant(session)
    import_company_snapshot(session, tenant_id, company)
    changed = copy.deepcopy(company)
    changed["Customer"][0]["PrimaryEmailAddr"]["Address"] = "new@acme.example"
    inv = changed["Invoice"][-1]
    inv["Line"][0]["Description"] = "Edited in QuickBooks"
    inv["SyncToken"] = "7"
    counts = import_company_snapshot(session, tenant_id, changed)
    assert counts["Customer"] == 1 and counts["Invoice"] == 1 and counts["Item"] == 0
    row = session.scalars(
        select(Invoice).where(Invoice.tenant_id == tenant_id, Invoice.qbo_id == inv["Id"])
    ).one()
    assert row.sync_token == "7" and row.lines[0].description == "Edited in QuickBooks"


def test_links_rows_created_before_the_first_sync(session: Session, company: dict[str, Any]) -> None:
    tenant_id = new_tenant(session)
    local = Item(tenant_id=tenant_id, name="Labor - Standard", type=ItemType.LABOR, rate=Decimal("99"))
    session.add(local)
    session.flush()
    import_company_snapshot(session, tenant_id, company)
    assert count(session, Item, tenant_id) == len(company["Item"])
    assert local.qbo_id == "1" and local.rate == Decimal("110.00")


def test_tenants_are_kept_apart(session: Session, company: dict[str, Any]) -> None:
    a, b = new_tenant(session, "A"), new_tenant(session, "B")
    import_company_snapshot(session, a, company)
    assert import_company_snapshot(session, b, company) == {e: len(company[e]) for e in IMPORT_ORDER}
    assert count(session, Customer, a) == count(session, Customer, b) == len(company["Customer"])
    assert count(session, Estimate, b) == len(company["Estimate"])
    rate_a = session.scalars(select(TaxRate).where(TaxRate.tenant_id == a)).one()
    assert rate_a.qbo_tax_code_id == "2" and rate_a.rate_percent == Decimal("8.25")
    assert session.get(Tenant, a).default_tax_rate_id == rate_a.id  # type: ignore[union-attr]


SYNCED = ("Account", "Term", "Item", "Customer", "Vendor", "Estimate", "Invoice", "Payment", "Bill")


def states(session: Session, tenant_id: str) -> dict[tuple[str, str], tuple[Any, ...]]:
    rows = session.scalars(
        select(SyncState).where(SyncState.tenant_id == tenant_id).execution_options(populate_existing=True)
    )
    return {
        (r.entity, r.entity_id): (
            r.id,
            r.qbo_id,
            r.base_checksum,
            r.remote_checksum,
            r.remote_sync_token,
            r.payload_checksum,
            r.synced_at,
        )
        for r in rows
    }


def one(session: Session, model: Any, tenant_id: str, qbo_id: str) -> Any:
    return session.scalars(select(model).where(model.tenant_id == tenant_id, model.qbo_id == qbo_id)).one()


def push_job(session: Session, tenant_id: str, entity: str, row_id: str, status: SyncJobStatus) -> SyncJob:
    job = SyncJob(tenant_id=tenant_id, entity=entity, entity_id=row_id, operation="upsert", status=status)
    session.add(job)
    session.flush()
    return job


def test_every_synced_record_gets_its_base_once(session: Session, company: dict[str, Any]) -> None:
    tenant_id = new_tenant(session)
    import_company_snapshot(session, tenant_id, company)
    first = states(session, tenant_id)
    assert len(first) == sum(len(company[e]) for e in SYNCED)  # tax rates are not synced records
    customer = one(session, Customer, tenant_id, company["Customer"][0]["Id"])
    assert first[("customer", customer.id)][1:5] == (
        customer.qbo_id,
        checksum(local_key_fields(customer)),
        checksum(remote_key_fields("customer", company["Customer"][0])),
        company["Customer"][0]["SyncToken"],
    )
    assert all(v[5] is not None for (entity, _), v in first.items() if entity in ("customer", "invoice"))
    import_company_snapshot(session, tenant_id, copy.deepcopy(company))
    assert states(session, tenant_id) == first  # nothing rewritten, not even the time


def test_unpushed_local_changes_survive_a_reimport(session: Session, company: dict[str, Any]) -> None:
    tenant_id = new_tenant(session)
    import_company_snapshot(session, tenant_id, company)
    qbo_customer = company["Customer"][0]
    qbo_invoice = next(i for i in company["Invoice"] if i["Balance"] == i["TotalAmt"] and i.get("DueDate"))
    qbo_estimate = company["Estimate"][0]
    customer = one(session, Customer, tenant_id, qbo_customer["Id"])
    invoice = one(session, Invoice, tenant_id, qbo_invoice["Id"])
    estimate = one(session, Estimate, tenant_id, qbo_estimate["Id"])
    customer.email = "ours@acme.example"
    push_job(session, tenant_id, "customer", customer.id, SyncJobStatus.PENDING)
    invoice.due_date = date(2031, 1, 31)
    push_job(session, tenant_id, "invoice", invoice.id, SyncJobStatus.FAILED)
    estimate.internal_notes = "ours"
    session.add(
        SyncConflict(
            tenant_id=tenant_id,
            entity="estimate",
            entity_id=estimate.id,
            strategy="manual",
            local_checksum="-",
            remote_checksum="-",
        )
    )
    session.flush()
    base = states(session, tenant_id)
    changed = copy.deepcopy(company)
    for entity, qbo_id, edit in (
        ("Customer", qbo_customer["Id"], {"PrimaryEmailAddr": {"Address": "theirs@acme.example"}}),
        ("Invoice", qbo_invoice["Id"], {"DueDate": "2030-12-31", "Balance": 100}),
        ("Estimate", qbo_estimate["Id"], {"PrivateNote": "theirs"}),
    ):
        obj = next(o for o in changed[entity] if o["Id"] == qbo_id)
        obj.update(edit, SyncToken="3")
    import_company_snapshot(session, tenant_id, changed)
    assert customer.email == "ours@acme.example" and customer.sync_token == "0"
    assert invoice.due_date == date(2031, 1, 31) and invoice.sync_token == "0"
    # What QBO masters lands all the same: the balance a payment there left.
    assert invoice.balance_due == Decimal("100.00") and invoice.status is InvoiceStatus.PARTIAL
    assert estimate.internal_notes == "ours" and estimate.sync_token == "0"
    after = states(session, tenant_id)
    for key in (("customer", customer.id), ("invoice", invoice.id), ("estimate", estimate.id)):
        assert after[key] == base[key]
    # Once the push has landed (or the conflict is settled), QBO's newer version is taken and agreed on.
    session.execute(update(SyncJob).where(SyncJob.tenant_id == tenant_id).values(status=SyncJobStatus.DONE))
    session.execute(
        update(SyncConflict).where(SyncConflict.tenant_id == tenant_id).values(status=ConflictStatus.RESOLVED)
    )
    import_company_snapshot(session, tenant_id, changed)
    assert customer.email == "theirs@acme.example" and invoice.due_date == date(2030, 12, 31)
    assert estimate.internal_notes == "theirs"
    latest = states(session, tenant_id)
    assert {latest[("customer", customer.id)][4], latest[("invoice", invoice.id)][4]} == {"3"}


def test_a_twin_with_an_unpushed_create_is_linked_but_keeps_its_fields(
    session: Session, company: dict[str, Any]
) -> None:
    tenant_id = new_tenant(session)
    local = Item(tenant_id=tenant_id, name="Labor - Standard", type=ItemType.LABOR, rate=Decimal("99"))
    session.add(local)
    session.flush()
    push_job(session, tenant_id, "item", local.id, SyncJobStatus.DEAD)
    import_company_snapshot(session, tenant_id, company)
    assert local.qbo_id == "1" and local.sync_token == "0" and local.rate == Decimal("99.00")
    assert ("item", local.id) not in states(session, tenant_id)  # nothing agreed yet: the push decides


def test_an_older_snapshot_does_not_step_back(session: Session, company: dict[str, Any]) -> None:
    tenant_id = new_tenant(session)
    import_company_snapshot(session, tenant_id, company)
    customer = one(session, Customer, tenant_id, company["Customer"][0]["Id"])
    # A push landed after the snapshot was read: QBO and we are at SyncToken 1 with the new email.
    customer.email, customer.sync_token = "new@acme.example", "1"
    session.flush()
    base = states(session, tenant_id)
    import_company_snapshot(session, tenant_id, company)
    assert customer.email == "new@acme.example" and customer.sync_token == "1"
    assert states(session, tenant_id)[("customer", customer.id)] == base[("customer", customer.id)]


def test_a_write_off_made_here_survives_a_reimport(session: Session, company: dict[str, Any]) -> None:
    tenant_id = new_tenant(session)
    import_company_snapshot(session, tenant_id, company)
    qbo_invoice = next(i for i in company["Invoice"] if i["Balance"] == i["TotalAmt"])
    invoice = one(session, Invoice, tenant_id, qbo_invoice["Id"])
    invoice.written_off = Decimal("50.00")  # not yet in QBO: its balance there is still the whole total
    refresh_status(invoice)
    session.flush()
    netted = (invoice.amount_paid, invoice.balance_due, invoice.status)
    assert import_company_snapshot(session, tenant_id, company)["Invoice"] == 0
    assert (invoice.amount_paid, invoice.balance_due, invoice.status) == netted
    assert invoice.balance_due == invoice.total - Decimal("50.00")
    # A payment entered in QBO still lands, net of the write-off.
    paid = copy.deepcopy(company)
    obj = next(i for i in paid["Invoice"] if i["Id"] == qbo_invoice["Id"])
    obj.update(Balance=float(Decimal(str(obj["TotalAmt"])) - 10), SyncToken="1")
    import_company_snapshot(session, tenant_id, paid)
    assert invoice.amount_paid == Decimal("10.00")
    assert invoice.balance_due == invoice.total - Decimal("60.00") and invoice.status is InvoiceStatus.PARTIAL


def test_a_settled_write_off_is_netted_once(session: Session, company: dict[str, Any]) -> None:
    tenant_id = new_tenant(session)
    import_company_snapshot(session, tenant_id, company)
    qbo_invoice = next(i for i in company["Invoice"] if i["Balance"] == i["TotalAmt"])
    invoice = one(session, Invoice, tenant_id, qbo_invoice["Id"])
    invoice.written_off = Decimal("50.00")
    refresh_status(invoice)
    session.add(
        WriteOff(
            tenant_id=tenant_id,
            invoice_id=invoice.id,
            amount=Decimal("50.00"),
            reason="bad debt",
            written_off_on=date(2026, 1, 5),
            settlement_qbo_id="9001",
        )
    )
    session.flush()
    # QBO holds the write-off as an applied credit (it counts as paid there) and a payment of 10.
    settled = copy.deepcopy(company)
    obj = next(i for i in settled["Invoice"] if i["Id"] == qbo_invoice["Id"])
    obj.update(Balance=float(Decimal(str(obj["TotalAmt"])) - 60), SyncToken="2")
    import_company_snapshot(session, tenant_id, settled)
    assert invoice.amount_paid == Decimal("10.00")
    assert invoice.balance_due == invoice.total - Decimal("60.00") and invoice.status is InvoiceStatus.PARTIAL
    assert import_company_snapshot(session, tenant_id, settled)["Invoice"] == 0
    assert invoice.amount_paid == Decimal("10.00")
