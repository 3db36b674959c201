"""Outbound: creates, updates, stale SyncTokens resolved per strategy, conflicts, and no duplicate creates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from domain.models import AuditLog, Customer, Invoice, ItemType, SyncConflict, SyncJob, SyncJobStatus, Tenant
from domain.schemas import CustomerCreate, CustomerUpdate, InvoiceCreate, LineCreate
from domain.services import catalog, invoices
from domain.services.outbox import enqueue_sync
from tests.factories import make_item
from tests.integrations.quickbooks.sync.conftest import Env


def _customer(env: Env, name: str) -> str:
    with env.sessions() as s:
        customer = catalog.create_customer(
            s, env.actor, CustomerCreate(display_name=name, email="a@example.com")
        )
        s.commit()
        return customer.id


def _remote(env: Env, entity: str, qbo_id: str) -> dict:
    return env.qbo.sandbox.realm(env.realm).get(entity, qbo_id)


async def test_create_then_update_lands_in_qbo_once(env: Env) -> None:
    cid = _customer(env, "Ada Plumbing")
    await env.drain()
    with env.sessions() as s:
        row = s.get(Customer, cid)
        assert row.qbo_id and row.sync_token == "0"
        catalog.update_customer(s, env.actor, cid, CustomerUpdate(email="ops@ada.example"))
        s.commit()
        qbo_id = row.qbo_id
    await env.drain()
    remote = _remote(env, "Customer", qbo_id)
    assert remote["PrimaryEmailAddr"]["Address"] == "ops@ada.example"
    assert [c["DisplayName"] for c in env.qbo.sandbox.realm(env.realm).all("Customer")].count(
        "Ada Plumbing"
    ) == 1


async def test_invoice_waits_for_its_customer_and_items(env: Env) -> None:
    cid = _customer(env, "Bea Builders")
    with env.sessions() as s:
        tenant = s.get(Tenant, env.tenant_id)
        item = make_item(s, tenant, name="Service call", type=ItemType.LABOR, rate="95")
        enqueue_sync(s, env.tenant_id, "item", item.id)
        inv = invoices.create_invoice(
            s,
            env.actor,
            InvoiceCreate(
                customer_id=cid,
                issue_date=date(2026, 3, 1),
                lines=[LineCreate(type="labor", name="Service call", quantity=Decimal("2"), item_id=item.id)],
            ),
        )
        s.commit()
        inv_id = inv.id
    await env.drain()
    with env.sessions() as s:
        inv = s.get(Invoice, inv_id)
        remote = _remote(env, "Invoice", inv.qbo_id)
        assert Decimal(str(remote["TotalAmt"])) == inv.total
        assert remote["CustomerRef"]["value"] == s.get(Customer, cid).qbo_id


async def test_stale_token_last_write_wins_keeps_the_overwritten_value_in_the_audit_log(env: Env) -> None:
    cid = _customer(env, "Cole Heating")
    await env.drain()
    with env.sessions() as s:
        qbo_id = s.get(Customer, cid).qbo_id
    # Someone edits the customer inside QBO (the SyncToken moves on) ...
    env.qbo.sandbox.update(
        env.realm, "Customer", {"Id": qbo_id, "PrimaryPhone": {"FreeFormNumber": "555-0100"}}
    )
    # ... and afterwards someone edits it here: ours is the later write.
    with env.sessions() as s:
        catalog.update_customer(s, env.actor, cid, CustomerUpdate(email="later@cole.example"))
        s.commit()
    await env.drain()
    remote = _remote(env, "Customer", qbo_id)
    assert remote["PrimaryEmailAddr"]["Address"] == "later@cole.example"
    with env.sessions() as s:
        audit = s.scalars(
            select(AuditLog).where(
                AuditLog.tenant_id == env.tenant_id, AuditLog.action == "sync.qbo_overwritten"
            )
        ).all()
        assert len(audit) == 1 and audit[0].before["phone"] == "555-0100"


async def test_manual_strategy_opens_a_conflict_with_both_sides(env: Env) -> None:
    with env.sessions() as s:
        s.get(Tenant, env.tenant_id).sync_settings = {"customer": "manual"}
        s.commit()
    cid = _customer(env, "Dell Drains")
    await env.drain()
    with env.sessions() as s:
        qbo_id = s.get(Customer, cid).qbo_id
    env.qbo.sandbox.update(
        env.realm, "Customer", {"Id": qbo_id, "PrimaryEmailAddr": {"Address": "qbo@dell.example"}}
    )
    with env.sessions() as s:
        catalog.update_customer(s, env.actor, cid, CustomerUpdate(email="app@dell.example"))
        s.commit()
    await env.drain()
    with env.sessions() as s:
        conflict = s.scalars(select(SyncConflict).where(SyncConflict.tenant_id == env.tenant_id)).one()
        assert conflict.local_values["email"] == "app@dell.example"
        assert conflict.remote_values["email"] == "qbo@dell.example"
        job = s.get(SyncJob, conflict.job_id)
        assert job.status is SyncJobStatus.CONFLICT
    assert _remote(env, "Customer", qbo_id)["PrimaryEmailAddr"]["Address"] == "qbo@dell.example"


async def test_crash_between_qbo_success_and_commit_is_replayed_not_duplicated(env: Env) -> None:
    from datetime import timedelta

    from domain.services.sync_policy import Strategy
    from integrations.quickbooks.sync import push
    from integrations.quickbooks.sync.claim import claim_jobs

    cid = _customer(env, "Eve Electric")
    doomed = env.context()
    with env.sessions() as s:
        (job,) = claim_jobs(
            s,
            doomed.worker_id,
            now=doomed.clock(),
            lease=doomed.lease,
            limit=5,
            tenant_ids=doomed.tenant_ids,
        )
        prep = push.prepare(s, job, Strategy.LAST_WRITE_WINS)
    created = await push.send(await env.client(env.tenant_id), prep)
    # The worker dies here: QBO has the customer, our database does not know it.
    replays_before = env.qbo.sandbox.stats.replays
    survivor = env.worker()
    survivor.ctx.lease = timedelta(0)  # the dead worker's lease has run out
    await env.drain(survivor)
    with env.sessions() as s:
        assert s.get(Customer, cid).qbo_id == created.remote["Id"]
        job = s.get(SyncJob, job.id)
        assert job.status is SyncJobStatus.DONE and job.attempts == 2
    names = [c["DisplayName"] for c in env.qbo.sandbox.realm(env.realm).all("Customer")]
    assert names.count("Eve Electric") == 1
    assert env.qbo.sandbox.stats.replays > replays_before  # QBO answered the retry from its requestid cache


async def test_item_without_an_account_mapping_waits_in_the_review_queue_until_mapped(env: Env) -> None:
    from sqlalchemy import update

    from domain.models import AccountMapping, Item, MappingReview
    from domain.services.sync_admin import sync_health
    from domain.services.sync_mappings import MappingIn, save_mappings

    with env.sessions() as s:
        s.execute(
            update(AccountMapping).where(AccountMapping.tenant_id == env.tenant_id).values(active=False)
        )
        item = make_item(s, s.get(Tenant, env.tenant_id), name="Trenching", type=ItemType.LABOR, rate="150")
        item.cost_code = "02-300"
        enqueue_sync(s, env.tenant_id, "item", item.id)
        s.commit()
        item_id = item.id
    await env.drain()
    with env.sessions() as s:
        review = s.scalars(select(MappingReview).where(MappingReview.tenant_id == env.tenant_id)).one()
        assert (review.source_kind, review.source_key, review.status) == ("cost_code", "02-300", "open")
        assert s.get(Item, item_id).qbo_id is None
        health = sync_health(s, env.actor)
        assert health.health == "yellow" and health.open_reviews == 1 and health.retrying == 0
        save_mappings(s, env.actor, [MappingIn("revenue", "cost_code", "02-300", "5", "Services")])
        s.commit()
    await env.drain()
    with env.sessions() as s:
        qbo_id = s.get(Item, item_id).qbo_id
        assert s.get(MappingReview, review.id).status == "released"
    assert _remote(env, "Item", qbo_id)["IncomeAccountRef"]["value"] == "5"


async def test_resolving_conflicts_takes_the_chosen_side_on_both_ends(env: Env) -> None:
    from domain.services.sync_admin import resolve_conflict

    with env.sessions() as s:
        s.get(Tenant, env.tenant_id).sync_settings = {"default_strategy": "manual"}
        s.commit()
    ids = [_customer(env, name) for name in ("Fay Framing", "Gus Glazing")]
    await env.drain()
    with env.sessions() as s:
        qbo_ids = [s.get(Customer, i).qbo_id for i in ids]
    for i, qbo_id in zip(ids, qbo_ids, strict=True):
        env.qbo.sandbox.update(
            env.realm,
            "Customer",
            {"Id": qbo_id, "PrimaryEmailAddr": {"Address": f"qbo-{qbo_id}@example.com"}},
        )
        with env.sessions() as s:
            catalog.update_customer(s, env.actor, i, CustomerUpdate(email=f"app-{qbo_id}@example.com"))
            s.commit()
    await env.drain()
    with env.sessions() as s:
        conflicts = {
            c.entity_id: c.id
            for c in s.scalars(select(SyncConflict).where(SyncConflict.tenant_id == env.tenant_id))
        }
        assert set(conflicts) == set(ids)
        resolve_conflict(s, env.actor, conflicts[ids[0]], "platform")
        resolve_conflict(s, env.actor, conflicts[ids[1]], "qbo")
        s.commit()
    await env.drain()
    assert (
        _remote(env, "Customer", qbo_ids[0])["PrimaryEmailAddr"]["Address"] == f"app-{qbo_ids[0]}@example.com"
    )
    with env.sessions() as s:
        assert s.get(Customer, ids[1]).email == f"qbo-{qbo_ids[1]}@example.com"
        assert s.get(Customer, ids[0]).sync_status.value == "synced"
        assert s.get(Customer, ids[1]).sync_status.value == "synced"


async def test_outside_the_sync_window_changes_wait_for_it_to_open(env: Env) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    # A window that opens in two hours (closed now); if that would wrap midnight, a one-minute one that is.
    start, end = ((now + timedelta(hours=2)).strftime("%H:%M"), (now + timedelta(hours=3)).strftime("%H:%M"))
    if start >= end:  # the window would wrap midnight; pick one that is closed now and does not
        start, end = ("00:00", "00:01") if now.strftime("%H:%M") > "00:01" else ("23:58", "23:59")
    with env.sessions() as s:
        tenant = s.get(Tenant, env.tenant_id)
        tenant.timezone = "UTC"
        tenant.sync_settings = {"window": {"start": start, "end": end}}
        s.commit()
    cid = _customer(env, "Hal Hydronics")
    worker = env.worker()
    assert await worker.run_once() == 1
    with env.sessions() as s:
        assert s.get(Customer, cid).qbo_id is None
        job = s.scalars(select(SyncJob).where(SyncJob.tenant_id == env.tenant_id)).one()
        assert job.status is SyncJobStatus.PENDING and job.attempts == 0
        due = job.next_attempt_at if job.next_attempt_at.tzinfo else job.next_attempt_at.replace(tzinfo=UTC)
        assert due > now
    assert all(c["DisplayName"] != "Hal Hydronics" for c in env.qbo.sandbox.realm(env.realm).all("Customer"))
