"""Importing the demo company: counts, balances from QBO, payment applications, idempotency, tenant scoping."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.models import (
    Customer,
    Estimate,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Item,
    ItemType,
    Payment,
    PaymentApplication,
    TaxRate,
    Tenant,
)
from integrations.quickbooks.importer import IMPORT_ORDER, import_company_snapshot

FIXTURE = (
    Path(__file__).resolve().parents[3] / "integrations/quickbooks/sandbox/fixtures/qbo_demo_company.json"
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
