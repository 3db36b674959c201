"""Write-offs reach QBO as a credit memo on the "Bad Debt" item applied by a zero payment: the invoice closes
there too, once, even when a step fails halfway; echoes of our own writes are not mistaken for payments."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from domain.models import (
    Customer,
    Invoice,
    InvoiceStatus,
    ItemType,
    MappingReview,
    Payment,
    SyncJob,
    SyncJobStatus,
    Tenant,
    WriteOff,
)
from domain.schemas import CustomerCreate, InvoiceCreate, LineCreate, WriteOffCreate
from domain.services import catalog, invoices
from domain.services.sync_mappings import MappingIn, save_mappings
from integrations.quickbooks.api.errors import QboUnavailable
from integrations.quickbooks.sandbox.webhooks import legacy_body
from integrations.quickbooks.sync import write_offs
from integrations.quickbooks.sync.initial_import import initial_import
from integrations.quickbooks.sync.webhook_events import parse_events, store_events
from tests.factories import make_item
from tests.integrations.quickbooks.sync.conftest import Env
from tests.integrations.quickbooks.sync.scenario import ChangeTap


def _bad_debts_account(env: Env) -> str:
    account = env.qbo.sandbox.create(
        env.realm,
        "Account",
        {"Name": "Bad Debts", "AccountType": "Expense", "AccountSubType": "BadDebts"},
    )
    return str(account["Id"])


def _map_bad_debts(env: Env, account_id: str) -> None:
    with env.sessions() as s:
        save_mappings(s, env.actor, [MappingIn("bad_debt", "default", "*", account_id, "Bad Debts")])
        s.commit()


def _invoice(env: Env, name: str, amount: str) -> str:
    with env.sessions() as s:
        customer = catalog.create_customer(s, env.actor, CustomerCreate(display_name=name))
        item = make_item(
            s, s.get(Tenant, env.tenant_id), name=f"Repair for {name}", type=ItemType.LABOR, rate="1"
        )
        invoice = invoices.create_invoice(
            s,
            env.actor,
            InvoiceCreate(
                customer_id=customer.id,
                issue_date=date(2026, 10, 1),
                lines=[
                    LineCreate(
                        type="other",
                        name="Repair",
                        quantity=Decimal("1"),
                        item_id=item.id,
                        unit_price=Decimal(amount),
                    )
                ],
            ),
        )
        s.commit()
        return invoice.id


def _write_off(env: Env, invoice_id: str, amount: str | None) -> str:
    with env.sessions() as s:
        row = invoices.write_off_invoice(
            s,
            env.actor,
            invoice_id,
            WriteOffCreate(
                reason="customer went out of business",
                amount=Decimal(amount) if amount else None,
                on=date(2026, 11, 2),
            ),
        )
        s.commit()
        return row.id


def _store(env: Env) -> object:
    return env.qbo.sandbox.realm(env.realm)


def _deliver(env: Env, tap: ChangeTap) -> int:
    """What QBO's webhooks would have sent for everything that changed there."""
    changes = tap.take()
    if not changes:
        return 0
    body = json.dumps(legacy_body([(env.realm, c) for c in changes])).encode()
    with env.sessions() as s:
        store_events(s, parse_events(body))
        s.commit()
    return len(changes)


async def test_a_partial_write_off_lands_in_qbo_once_and_survives_the_echo(env: Env) -> None:
    _map_bad_debts(env, _bad_debts_account(env))
    invoice_id = _invoice(env, "Gone Fishing LLC", "500.00")
    await env.drain()
    tap = ChangeTap(env)
    try:
        write_off_id = _write_off(env, invoice_id, "120.00")
        await env.drain()
        store = _store(env)
        with env.sessions() as s:
            row = s.get(WriteOff, write_off_id)
            invoice = s.get(Invoice, invoice_id)
            assert row.qbo_id and row.settlement_qbo_id
            memo = store.get("CreditMemo", row.qbo_id)
            settlement = store.get("Payment", row.settlement_qbo_id)
            qbo_invoice = store.get("Invoice", invoice.qbo_id)
        assert Decimal(str(memo["TotalAmt"])) == Decimal("120.00")
        assert Decimal(str(memo["RemainingCredit"])) == 0
        assert memo["Line"][0]["SalesItemLineDetail"]["ItemRef"]["name"] == "Bad Debt"
        assert Decimal(str(settlement["TotalAmt"])) == 0 and Decimal(str(settlement["UnappliedAmt"])) == 0
        assert Decimal(str(qbo_invoice["Balance"])) == Decimal("380.00")
        bad_debt = [i for i in store.all("Item") if i["Name"] == "Bad Debt"]
        assert len(bad_debt) == 1 and bad_debt[0]["IncomeAccountRef"]["value"]

        # Every change QBO reports comes back as a webhook: none of it is a payment, nothing moves here.
        assert _deliver(env, tap) >= 3
        await env.drain()
        with env.sessions() as s:
            invoice = s.get(Invoice, invoice_id)
            assert invoice.amount_paid == 0 and invoice.written_off == Decimal("120.00")
            assert invoice.balance_due == Decimal("380.00") and invoice.status is InvoiceStatus.PARTIAL
            assert s.scalars(select(Payment).where(Payment.tenant_id == env.tenant_id)).all() == []
        # A re-import of the whole company takes neither the settlement for a payment nor undoes the write-off.
        await initial_import(await env.client(env.tenant_id), env.sessions, env.tenant_id)
        with env.sessions() as s:
            invoice = s.get(Invoice, invoice_id)
            assert (invoice.amount_paid, invoice.balance_due) == (0, Decimal("380.00"))
            assert s.scalars(select(Payment).where(Payment.tenant_id == env.tenant_id)).all() == []
        # The rest written off too: the invoice closes on both sides.
        _write_off(env, invoice_id, None)
        await env.drain()
        _deliver(env, tap)
        await env.drain()
        with env.sessions() as s:
            invoice = s.get(Invoice, invoice_id)
            assert invoice.status is InvoiceStatus.WRITTEN_OFF and invoice.balance_due == 0
            assert Decimal(str(store.get("Invoice", invoice.qbo_id)["Balance"])) == 0
        assert len(store.all("CreditMemo")) == 2
        assert len([i for i in store.all("Item") if i["Name"] == "Bad Debt"]) == 1
    finally:
        tap.close()


async def test_a_payment_entered_in_qbo_after_a_write_off_lands_net_of_it(env: Env) -> None:
    _map_bad_debts(env, _bad_debts_account(env))
    invoice_id = _invoice(env, "Partly Paid Co", "500.00")
    await env.drain()
    _write_off(env, invoice_id, "100.00")
    await env.drain()
    with env.sessions() as s:
        invoice = s.get(Invoice, invoice_id)
        qbo_invoice_id = invoice.qbo_id
        customer_qbo = s.get(Customer, invoice.customer_id).qbo_id
    paid = env.qbo.sandbox.create(
        env.realm,
        "Payment",
        {
            "CustomerRef": {"value": customer_qbo},
            "TotalAmt": 150,
            "Line": [{"Amount": 150, "LinkedTxn": [{"TxnId": qbo_invoice_id, "TxnType": "Invoice"}]}],
        },
    )
    with env.sessions() as s:
        from domain.services.outbox import enqueue_pull

        enqueue_pull(s, env.tenant_id, "payment", str(paid["Id"]))
        s.commit()
    await env.drain()
    with env.sessions() as s:
        invoice = s.get(Invoice, invoice_id)
        assert (invoice.amount_paid, invoice.written_off, invoice.balance_due) == (
            Decimal("150.00"),
            Decimal("100.00"),
            Decimal("250.00"),
        )
        assert invoice.status is InvoiceStatus.PARTIAL


async def test_without_a_bad_debt_account_the_write_off_waits_for_a_mapping(env: Env) -> None:
    invoice_id = _invoice(env, "No Mapping Yet Inc", "80.00")
    await env.drain()
    write_off_id = _write_off(env, invoice_id, None)
    await env.drain()
    with env.sessions() as s:
        review = s.scalars(
            select(MappingReview).where(
                MappingReview.entity_id == write_off_id, MappingReview.status == "open"
            )
        ).one()
        assert review.profile == "bad_debt"
        job = s.scalars(select(SyncJob).where(SyncJob.entity_id == write_off_id)).one()
        assert job.error_kind == "unmapped" and "bad-debt" in job.last_error
    assert _store(env).all("CreditMemo") == []
    _map_bad_debts(env, _bad_debts_account(env))  # releases what it held
    await env.drain()
    with env.sessions() as s:
        assert s.get(WriteOff, write_off_id).settlement_qbo_id
        assert s.get(MappingReview, review.id).status == "released"


async def test_the_companys_own_bad_debts_account_is_used_when_nothing_is_mapped(env: Env) -> None:
    account_id = _bad_debts_account(env)
    with env.sessions() as s:
        from domain.models import Account

        s.add(
            Account(
                tenant_id=env.tenant_id,
                name="Bad Debts",
                account_type="Expense",
                account_sub_type="BadDebts",
                qbo_id=account_id,
            )
        )
        s.commit()
    invoice_id = _invoice(env, "Pulled Chart LLC", "60.00")
    await env.drain()
    _write_off(env, invoice_id, None)
    await env.drain()
    item = next(i for i in _store(env).all("Item") if i["Name"] == "Bad Debt")
    assert item["IncomeAccountRef"]["value"] == account_id


async def test_a_failure_after_the_credit_memo_resumes_without_a_second_one(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    _map_bad_debts(env, _bad_debts_account(env))
    invoice_id = _invoice(env, "Halfway House Ltd", "90.00")
    await env.drain()
    real_apply = write_offs._apply
    calls = {"n": 0}

    async def flaky_apply(client, plan):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise QboUnavailable("QuickBooks is down for a moment", should_retry=True)
        return await real_apply(client, plan)

    monkeypatch.setattr(write_offs, "_apply", flaky_apply)
    write_off_id = _write_off(env, invoice_id, None)
    await env.drain()
    assert calls["n"] == 2
    with env.sessions() as s:
        row = s.get(WriteOff, write_off_id)
        assert row.settlement_qbo_id
        job = s.scalars(select(SyncJob).where(SyncJob.entity_id == write_off_id)).one()
        assert job.status is SyncJobStatus.DONE and job.attempts == 2
    assert len(_store(env).all("CreditMemo")) == 1


async def test_qbo_refusing_the_settlement_says_what_to_do(env: Env) -> None:
    _map_bad_debts(env, _bad_debts_account(env))
    invoice_id = _invoice(env, "Paid Elsewhere Corp", "70.00")
    await env.drain()
    with env.sessions() as s:
        invoice = s.get(Invoice, invoice_id)
        qbo_invoice_id = invoice.qbo_id
        customer_qbo = s.get(Customer, invoice.customer_id).qbo_id
    # Someone records the full payment in QBO before our write-off of the same balance goes out.
    env.qbo.sandbox.create(
        env.realm,
        "Payment",
        {
            "CustomerRef": {"value": customer_qbo},
            "TotalAmt": 70,
            "Line": [{"Amount": 70, "LinkedTxn": [{"TxnId": qbo_invoice_id, "TxnType": "Invoice"}]}],
        },
    )
    write_off_id = _write_off(env, invoice_id, None)
    await env.drain()
    with env.sessions() as s:
        job = s.scalars(select(SyncJob).where(SyncJob.entity_id == write_off_id)).one()
        assert job.status is SyncJobStatus.DEAD
        assert "apply the credit memo there by hand, or reverse the write-off" in job.last_error
        assert s.get(WriteOff, write_off_id).settlement_qbo_id is None
    assert Decimal(str(_store(env).get("Invoice", qbo_invoice_id)["Balance"])) == 0
