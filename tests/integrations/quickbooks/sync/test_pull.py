"""Inbound: webhook events in both formats, deduplicated; payments, voids, deletes and merges made in QBO land
here; CDC catches what no webhook reported."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from domain.models import Customer, Invoice, InvoiceStatus, Payment, SyncJob, SyncRun, WebhookEvent
from domain.schemas import CustomerCreate
from domain.services import catalog
from integrations.quickbooks.sync import cdc
from integrations.quickbooks.sync.webhook_events import parse_events, sign, store_events, verify_signature
from tests.integrations.quickbooks.sync.conftest import Env


def legacy(realm: str, *entities: tuple[str, str, str, str]) -> bytes:
    rows = [{"name": n, "id": i, "operation": op, "lastUpdated": t} for n, i, op, t in entities]
    return json.dumps(
        {"eventNotifications": [{"realmId": realm, "dataChangeEvent": {"entities": rows}}]}
    ).encode()


def cloud(realm: str, entity: str, qbo_id: str, verb: str, when: str, data: dict | None = None) -> dict:
    return {
        "specversion": "1.0",
        "id": f"{entity}-{qbo_id}-{when}",
        "source": "intuit.test",
        "type": f"qbo.{entity.lower()}.{verb}.v1",
        "time": when,
        "intuitentityid": qbo_id,
        "intuitaccountid": realm,
        "data": data or {},
    }


def deliver(env: Env, body: bytes) -> None:
    with env.sessions() as s:
        store_events(s, parse_events(body))
        s.commit()


def test_signature_matches_intuits_published_vector() -> None:
    body = (
        b'{"eventNotifications":[{"realmId":"1269959970","dataChangeEvent":{"entities":[{"name":"Vendor","id":"40",'
        b'"operation":"Update","lastUpdated":"2016-10-05T03:09:04.000Z"},{"name":"Customer","id":"43","operation":'
        b'"Create","lastUpdated":"2016-10-05T03:07:04.000Z"}]}}]}'
    )
    token = "00faeec4-08d0-4996-bb37-698ae19f0149"
    assert sign(body, token) == "6q+xGyMirJupwKTh2/WBl2NcdxzxqdIbk3sneKTxLWM="
    assert verify_signature(body, "6q+xGyMirJupwKTh2/WBl2NcdxzxqdIbk3sneKTxLWM=", token)
    assert not verify_signature(body + b" ", "6q+xGyMirJupwKTh2/WBl2NcdxzxqdIbk3sneKTxLWM=", token)
    assert not verify_signature(body, None, token)


async def test_events_in_both_formats_deduplicate_and_pull_the_entity_once(env: Env) -> None:
    created = env.qbo.sandbox.create(env.realm, "Customer", {"DisplayName": "Quinn Contracting"})
    when = created["MetaData"]["LastUpdatedTime"]
    body = legacy(env.realm, ("Customer", created["Id"], "Create", when))
    deliver(env, body)
    deliver(env, body)  # QBO redelivers
    deliver(env, json.dumps([cloud(env.realm, "Customer", created["Id"], "created", when)]).encode())
    with env.sessions() as s:
        events = s.scalar(
            select(func.count()).select_from(WebhookEvent).where(WebhookEvent.tenant_id == env.tenant_id)
        )
        jobs = s.scalar(select(func.count()).select_from(SyncJob).where(SyncJob.tenant_id == env.tenant_id))
    assert events == 1  # the same change in either format has the same realm|entity|id|operation|time
    assert jobs == 1
    later = legacy(env.realm, ("Customer", created["Id"], "Update", "2099-01-01T00:00:00Z"))
    deliver(env, later)
    with env.sessions() as s:
        assert (
            s.scalar(select(func.count()).select_from(SyncJob).where(SyncJob.tenant_id == env.tenant_id)) == 1
        )
    await env.drain()
    with env.sessions() as s:
        row = s.scalars(
            select(Customer).where(Customer.tenant_id == env.tenant_id, Customer.qbo_id == created["Id"])
        ).one()
        assert row.display_name == "Quinn Contracting"


async def test_payment_entered_in_qbo_pays_the_invoice_here(env: Env) -> None:
    sb = env.qbo.sandbox
    cust = sb.create(env.realm, "Customer", {"DisplayName": "Rae Renovations"})
    item = sb.create(
        env.realm,
        "Item",
        {"Name": "Labor", "Type": "Service", "IncomeAccountRef": {"value": "5"}, "UnitPrice": 100},
    )
    inv = sb.create(
        env.realm,
        "Invoice",
        {
            "CustomerRef": {"value": cust["Id"]},
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": 300,
                    "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": 3, "UnitPrice": 100},
                }
            ],
        },
    )
    deliver(env, legacy(env.realm, ("Invoice", inv["Id"], "Create", inv["MetaData"]["LastUpdatedTime"])))
    await env.drain()  # the invoice arrives, pulling its customer on the way
    pay = sb.create(
        env.realm,
        "Payment",
        {
            "CustomerRef": {"value": cust["Id"]},
            "TotalAmt": 120,
            "Line": [{"Amount": 120, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}],
        },
    )
    deliver(env, legacy(env.realm, ("Payment", pay["Id"], "Create", pay["MetaData"]["LastUpdatedTime"])))
    await env.drain()
    with env.sessions() as s:
        invoice = s.scalars(
            select(Invoice).where(Invoice.tenant_id == env.tenant_id, Invoice.qbo_id == inv["Id"])
        ).one()
        assert invoice.balance_due == Decimal("180.00")
        assert invoice.status is InvoiceStatus.PARTIAL
        payment = s.scalars(select(Payment).where(Payment.tenant_id == env.tenant_id)).one()
        assert [a.amount for a in payment.applications] == [Decimal("120.00")]
    # Deleting the payment in QBO gives the balance back.
    sb.delete(env.realm, "Payment", pay["Id"])
    deliver(env, legacy(env.realm, ("Payment", pay["Id"], "Delete", "2099-01-01T00:00:00Z")))
    deliver(env, legacy(env.realm, ("Invoice", inv["Id"], "Update", "2099-01-01T00:00:01Z")))
    await env.drain()
    with env.sessions() as s:
        invoice = s.scalars(
            select(Invoice).where(Invoice.tenant_id == env.tenant_id, Invoice.qbo_id == inv["Id"])
        ).one()
        assert invoice.balance_due == Decimal("300.00") and invoice.status is InvoiceStatus.OPEN
        assert s.scalars(select(Payment).where(Payment.tenant_id == env.tenant_id)).one().voided


async def test_merge_in_qbo_moves_documents_to_the_survivor(env: Env) -> None:
    with env.sessions() as s:
        a = catalog.create_customer(s, env.actor, CustomerCreate(display_name="Sam Smith"))
        b = catalog.create_customer(s, env.actor, CustomerCreate(display_name="Samuel Smith"))
        s.commit()
        a_id, b_id = a.id, b.id
    await env.drain()
    with env.sessions() as s:
        qa, qb = s.get(Customer, a_id).qbo_id, s.get(Customer, b_id).qbo_id
    env.qbo.sandbox.merge(env.realm, "Customer", qa, qb)
    body = json.dumps(
        [cloud(env.realm, "Customer", qa, "merged", "2099-01-01T00:00:00Z", {"deletedid": qb})]
    ).encode()
    deliver(env, body)
    await env.drain()
    with env.sessions() as s:
        assert s.get(Customer, b_id).active is False
        assert s.get(Customer, a_id).active is True


async def test_cdc_poll_catches_a_change_no_webhook_reported(env: Env) -> None:
    with env.sessions() as s:
        c = catalog.create_customer(s, env.actor, CustomerCreate(display_name="Tess Tiling"))
        s.commit()
        cid = c.id
    await env.drain()
    with env.sessions() as s:
        qbo_id = s.get(Customer, cid).qbo_id
    env.qbo.sandbox.update(
        env.realm, "Customer", {"Id": qbo_id, "PrimaryPhone": {"FreeFormNumber": "555-0199"}}
    )
    with env.sessions() as s:
        cdc.enqueue_poll(s, env.tenant_id, trigger="manual")
        s.commit()
    await env.drain()
    with env.sessions() as s:
        assert s.get(Customer, cid).phone == "555-0199"


async def test_initial_import_pages_every_entity_with_progress_and_is_idempotent(env: Env) -> None:
    from integrations.quickbooks.sync.initial_import import initial_import

    sb = env.qbo.sandbox
    sb.generate(env.realm, "Customer", 23, seed=1)
    sb.generate(env.realm, "Item", 7, seed=2)
    sb.generate(env.realm, "Invoice", 31, seed=3)
    sb.generate(env.realm, "Payment", 9, seed=4)
    seen: list[tuple[str, int, int | None]] = []
    client = await env.client(env.tenant_id)
    result = await initial_import(
        client, env.sessions, env.tenant_id, page_size=10, on_progress=lambda e, n, t: seen.append((e, n, t))
    )
    assert result.fetched["Customer"] == 23 and result.fetched["Invoice"] == 31
    invoice_steps = [n for e, n, t in seen if e == "Invoice"]
    assert ("Invoice", 31, 31) in seen and len(invoice_steps) == 5  # 0, then one step per page of 10
    with env.sessions() as s:
        assert (
            s.scalar(select(func.count()).select_from(Invoice).where(Invoice.tenant_id == env.tenant_id))
            == 31
        )
        run = s.get(SyncRun, result.run_id)
        assert run.status == "completed" and run.progress["Customer"] == {"done": 23, "total": 23}
    again = await initial_import(client, env.sessions, env.tenant_id)
    assert sum(again.changed.values()) == 0


async def test_with_platform_wins_a_pull_before_our_push_keeps_our_edit_on_both_sides(env: Env) -> None:
    from domain.models import Tenant
    from domain.schemas import CustomerUpdate

    with env.sessions() as s:
        s.get(Tenant, env.tenant_id).sync_settings = {"default_strategy": "platform_wins"}
        c = catalog.create_customer(s, env.actor, CustomerCreate(display_name="Uma Upholstery"))
        s.commit()
        cid = c.id
    await env.drain()
    with env.sessions() as s:
        qbo_id = s.get(Customer, cid).qbo_id
    env.qbo.sandbox.update(
        env.realm, "Customer", {"Id": qbo_id, "PrimaryEmailAddr": {"Address": "qbo@uma.example"}}
    )
    with env.sessions() as s:
        catalog.update_customer(s, env.actor, cid, CustomerUpdate(email="app@uma.example"))
        # QBO's change is fetched before our push goes out.
        for job in s.scalars(select(SyncJob).where(SyncJob.entity_id == cid, SyncJob.status == "pending")):
            job.next_attempt_at = job.next_attempt_at + timedelta(seconds=1)
        from domain.services.outbox import enqueue_pull

        enqueue_pull(s, env.tenant_id, "customer", qbo_id)
        s.commit()
    await env.drain()
    with env.sessions() as s:
        assert s.get(Customer, cid).email == "app@uma.example"
    remote = env.qbo.sandbox.realm(env.realm).get("Customer", qbo_id)
    assert remote["PrimaryEmailAddr"]["Address"] == "app@uma.example"
