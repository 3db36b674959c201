"""The initial import records the agreed base (SyncState) of every record it brings in, so the first edits after
an import are weighed three ways (base, ours, QBO's) rather than by SyncToken alone, unchanged records are not
pushed again, and a re-import leaves a local edit that is still on its way to QBO alone."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from domain.db import utcnow
from domain.models import (
    Customer,
    Invoice,
    InvoiceStatus,
    SyncConflict,
    SyncJob,
    SyncJobStatus,
    SyncRecord,
    SyncState,
    Tenant,
)
from domain.schemas import CustomerUpdate
from domain.services import catalog
from domain.services.outbox import enqueue_pull, enqueue_sync
from domain.services.sync_checksums import checksum, local_key_fields
from domain.services.sync_policy import Strategy
from integrations.quickbooks.entity_specs import SPECS
from integrations.quickbooks.sync.entities import last_updated, remote_key_fields
from integrations.quickbooks.sync.initial_import import initial_import
from integrations.quickbooks.sync.push import prepare
from tests.integrations.quickbooks.sync.conftest import Env

COMPANY = {"Customer": 6, "Item": 3, "Vendor": 2, "Estimate": 3, "Invoice": 5, "Payment": 2, "Bill": 2}
STATE_COLUMNS = (
    "qbo_id",
    "base_values",
    "base_checksum",
    "remote_values",
    "remote_checksum",
    "remote_sync_token",
    "remote_updated_at",
    "payload_checksum",
)


async def _import(env: Env) -> None:
    await initial_import(await env.client(env.tenant_id), env.sessions, env.tenant_id, page_size=4)


async def _imported_company(env: Env) -> None:
    for seed, (entity, count) in enumerate(COMPANY.items()):
        env.qbo.sandbox.generate(env.realm, entity, count, seed=seed)
    await _import(env)


def _remote(env: Env, entity: str, qbo_id: str) -> dict[str, Any]:
    return dict(env.qbo.sandbox.realm(env.realm).get(SPECS[entity].qbo, qbo_id))


def _states(env: Env) -> dict[tuple[str, str], dict[str, Any]]:
    with env.sessions() as s:
        rows = s.scalars(select(SyncState).where(SyncState.tenant_id == env.tenant_id))
        return {
            (r.entity, r.entity_id): {c: getattr(r, c) for c in (*STATE_COLUMNS, "id", "synced_at")}
            for r in rows
        }


def _set_strategy(env: Env, strategy: str) -> None:
    with env.sessions() as s:
        s.get(Tenant, env.tenant_id).sync_settings = {"default_strategy": strategy}  # type: ignore[union-attr]
        s.commit()


def _first(env: Env, model: Any, **where: Any) -> Any:
    with env.sessions() as s:
        query = select(model).where(model.tenant_id == env.tenant_id, model.qbo_id.is_not(None))
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return s.scalars(query.order_by(model.qbo_id)).first()


async def test_every_imported_record_has_the_base_a_push_and_a_pull_agree_on(env: Env) -> None:
    await _imported_company(env)
    states = _states(env)
    seen = set()
    with env.sessions() as s:
        for entity, spec in SPECS.items():
            rows = list(s.scalars(select(spec.model).where(spec.model.tenant_id == env.tenant_id)))  # type: ignore[attr-defined]
            assert rows, entity
            for row in rows:
                state = states[(entity, row.id)]
                seen.add((entity, row.id))
                remote = _remote(env, entity, row.qbo_id)
                assert state["qbo_id"] == row.qbo_id
                assert state["remote_sync_token"] == row.sync_token == str(remote["SyncToken"])
                assert state["remote_updated_at"] == last_updated(remote)
                assert state["remote_updated_at"] or entity in ("account", "term")  # seeded without MetaData
                assert state["base_checksum"] == checksum(local_key_fields(row))
                assert state["base_values"] == local_key_fields(row)
                assert state["remote_checksum"] == checksum(remote_key_fields(entity, remote))
                if not spec.pushable:
                    assert state["payload_checksum"] is None
                    continue
                # What a push of the unchanged record computes is what the import remembered: nothing to send.
                job = SyncJob(tenant_id=env.tenant_id, entity=entity, entity_id=row.id, operation="upsert")
                prep = prepare(s, job, Strategy.MANUAL)
                assert prep.payload_checksum == state["payload_checksum"], entity
                assert prep.skip == "already up to date in QuickBooks"
    assert set(states) == seen
    # A repeated import (the same company) finds every base already right and writes none of them again.
    await _import(env)
    assert _states(env) == states


async def test_the_base_is_what_a_pull_of_the_same_version_remembers(env: Env) -> None:
    await _imported_company(env)
    before = _states(env)
    pulled = {}
    with env.sessions() as s:
        for entity, spec in SPECS.items():
            row = s.scalars(
                select(spec.model).where(spec.model.tenant_id == env.tenant_id).order_by(spec.model.qbo_id)  # type: ignore[attr-defined]
            ).first()
            enqueue_pull(s, env.tenant_id, entity, row.qbo_id, {"force": True})  # type: ignore[union-attr]
            pulled[entity] = row.id  # type: ignore[union-attr]
        s.commit()
    await env.drain()
    after = _states(env)
    for entity, row_id in pulled.items():
        key = (entity, row_id)
        assert after[key]["synced_at"] != before[key]["synced_at"], entity  # the pull did write it
        for column in STATE_COLUMNS:
            if column == "payload_checksum" and entity in ("estimate", "invoice"):
                # A pull checksums the lines it has just rebuilt, whose quantities do not yet have the scale
                # the database gives them (4 vs 4.0000); the import's is the one a push computes (see above).
                continue
            assert after[key][column] == before[key][column], (entity, column)


async def test_a_qbo_edit_then_a_local_edit_is_weighed_against_the_imported_base(env: Env) -> None:
    _set_strategy(env, "manual")
    await _imported_company(env)
    customer = _first(env, Customer)
    imported_base = _states(env)[("customer", customer.id)]["base_values"]
    env.qbo.sandbox.update(
        env.realm, "Customer", {"Id": customer.qbo_id, "PrimaryPhone": {"FreeFormNumber": "555-0142"}}
    )
    with env.sessions() as s:
        catalog.update_customer(s, env.actor, customer.id, CustomerUpdate(email="office@ours.example"))
        s.commit()
    await env.drain()
    with env.sessions() as s:
        conflict = s.scalars(select(SyncConflict).where(SyncConflict.tenant_id == env.tenant_id)).one()
        # Three-way: both sides moved away from the base the import recorded (with no base there is none).
        assert conflict.base_values == imported_base
        assert conflict.local_values["email"] == "office@ours.example"
        assert conflict.remote_values["phone"] == "555-0142"
    remote = _remote(env, "customer", customer.qbo_id)
    assert remote["PrimaryPhone"]["FreeFormNumber"] == "555-0142"
    assert (remote.get("PrimaryEmailAddr") or {}).get("Address") != "office@ours.example"


async def test_a_qbo_edit_outside_the_key_fields_lets_a_local_edit_through(env: Env) -> None:
    _set_strategy(env, "manual")
    await _imported_company(env)
    customer = _first(env, Customer)
    # QBO's SyncToken moves, its key fields do not: only a SyncToken comparison would call this a conflict.
    env.qbo.sandbox.update(env.realm, "Customer", {"Id": customer.qbo_id, "Notes": "gate code 4412"})
    with env.sessions() as s:
        catalog.update_customer(s, env.actor, customer.id, CustomerUpdate(email="office@ours.example"))
        s.commit()
    await env.drain()
    with env.sessions() as s:
        assert s.scalars(select(SyncConflict).where(SyncConflict.tenant_id == env.tenant_id)).all() == []
    assert _remote(env, "customer", customer.qbo_id)["PrimaryEmailAddr"]["Address"] == "office@ours.example"


async def test_a_local_edit_after_import_pushes_even_when_a_pull_of_the_record_comes_first(env: Env) -> None:
    _set_strategy(env, "manual")
    await _imported_company(env)
    customer = _first(env, Customer)
    with env.sessions() as s:
        # A webhook or CDC poll names the record (QBO unchanged) while our edit is still queued.
        enqueue_pull(s, env.tenant_id, "customer", customer.qbo_id)
        catalog.update_customer(s, env.actor, customer.id, CustomerUpdate(email="office@ours.example"))
        s.execute(
            update(SyncJob)
            .where(SyncJob.tenant_id == env.tenant_id, SyncJob.direction == "push")
            .values(next_attempt_at=utcnow() + timedelta(hours=1))
        )
        s.commit()
    worker = env.worker()
    assert await worker.run_once() == 1  # the pull alone
    with env.sessions() as s:
        pulled = s.scalars(
            select(SyncRecord).where(SyncRecord.tenant_id == env.tenant_id, SyncRecord.direction == "pull")
        ).one()
        assert (pulled.action, pulled.message) == ("noop", "already up to date")
        s.execute(update(SyncJob).where(SyncJob.tenant_id == env.tenant_id).values(next_attempt_at=utcnow()))
        s.commit()
    await env.drain(worker)
    with env.sessions() as s:
        assert s.scalars(select(SyncConflict).where(SyncConflict.tenant_id == env.tenant_id)).all() == []
        assert s.get(Customer, customer.id).sync_token == "1"  # type: ignore[union-attr]
    assert _remote(env, "customer", customer.qbo_id)["PrimaryEmailAddr"]["Address"] == "office@ours.example"


async def test_an_unchanged_record_is_not_pushed_again(env: Env) -> None:
    await _imported_company(env)
    queued = {}
    with env.sessions() as s:
        for entity in ("customer", "item", "estimate", "invoice", "payment"):
            model = SPECS[entity].model
            row = s.scalars(select(model).where(model.tenant_id == env.tenant_id)).first()  # type: ignore[attr-defined]
            enqueue_sync(s, env.tenant_id, entity, row.id)  # type: ignore[union-attr]
            queued[entity] = (row.id, row.qbo_id, row.sync_token)  # type: ignore[union-attr]
        s.commit()
    await env.drain()
    with env.sessions() as s:
        for entity, (row_id, qbo_id, token) in queued.items():
            record = s.scalars(
                select(SyncRecord).where(
                    SyncRecord.tenant_id == env.tenant_id, SyncRecord.entity_id == row_id
                )
            ).one()
            assert (record.status, record.message) == ("skipped", "already up to date in QuickBooks"), entity
            assert str(_remote(env, entity, qbo_id)["SyncToken"]) == token, entity


async def test_a_reimport_keeps_a_pending_local_edit_and_its_base(env: Env) -> None:
    _set_strategy(env, "manual")
    await _imported_company(env)
    customer = _first(env, Customer)
    invoice = _first(env, Invoice, status=InvoiceStatus.OPEN)
    with env.sessions() as s:
        catalog.update_customer(s, env.actor, customer.id, CustomerUpdate(email="office@ours.example"))
        row = s.get(Invoice, invoice.id)
        row.due_date = row.due_date + timedelta(days=15)  # type: ignore[union-attr,operator]
        enqueue_sync(s, env.tenant_id, "invoice", invoice.id)
        s.commit()
        local_due = row.due_date  # type: ignore[union-attr]
    before = _states(env)
    # Meanwhile in QBO: a note on the customer, a payment against the invoice.
    env.qbo.sandbox.update(env.realm, "Customer", {"Id": customer.qbo_id, "Notes": "gate code 4412"})
    env.qbo.sandbox.create(
        env.realm,
        "Payment",
        {
            "CustomerRef": {"value": _remote(env, "invoice", invoice.qbo_id)["CustomerRef"]["value"]},
            "TotalAmt": 10,
            "Line": [{"Amount": 10, "LinkedTxn": [{"TxnId": invoice.qbo_id, "TxnType": "Invoice"}]}],
        },
    )
    await _import(env)
    after = _states(env)
    with env.sessions() as s:
        kept = s.get(Customer, customer.id)
        assert kept.email == "office@ours.example" and kept.notes == customer.notes  # type: ignore[union-attr]
        assert kept.sync_token == customer.sync_token  # type: ignore[union-attr]
        inv = s.get(Invoice, invoice.id)
        assert inv.due_date == local_due and inv.sync_token == invoice.sync_token  # type: ignore[union-attr]
        # What QBO masters still lands: the payment's effect on the balance.
        assert inv.balance_due == invoice.balance_due - Decimal("10.00")  # type: ignore[union-attr]
        assert inv.status is InvoiceStatus.PARTIAL  # type: ignore[union-attr]
    assert after[("customer", customer.id)] == before[("customer", customer.id)]
    assert after[("invoice", invoice.id)] == before[("invoice", invoice.id)]
    assert len(after) == len(before) + 1  # the new payment
    # The queued pushes meet QBO's newer versions and are weighed against the untouched base: QBO changed
    # nothing that matters there, so ours go through (with the manual strategy, a conflict otherwise).
    await env.drain()
    with env.sessions() as s:
        assert s.scalars(select(SyncConflict).where(SyncConflict.tenant_id == env.tenant_id)).all() == []
        jobs = s.scalars(
            select(SyncJob).where(SyncJob.tenant_id == env.tenant_id, SyncJob.direction == "push")
        ).all()
        assert {j.status for j in jobs} == {SyncJobStatus.DONE}
    assert _remote(env, "customer", customer.qbo_id)["PrimaryEmailAddr"]["Address"] == "office@ours.example"
    assert str(_remote(env, "invoice", invoice.qbo_id)["DueDate"]) == local_due.isoformat()  # type: ignore[union-attr]
