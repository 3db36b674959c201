"""Upserts pushed as QBO batches and settled in bulk: each record linked once, its sync state and history
written, an unchanged record skipped, and a record QBO already holds by name adopted, not duplicated."""

from __future__ import annotations

from sqlalchemy import select

from domain.models import Customer, SyncJob, SyncJobStatus, SyncRecord, SyncState
from domain.schemas import CustomerCreate, CustomerUpdate
from domain.services import catalog
from domain.services.outbox import enqueue_sync
from tests.integrations.quickbooks.sync.conftest import Env


def _customers(env: Env, names: list[str]) -> list[str]:
    with env.sessions() as s:
        ids = [catalog.create_customer(s, env.actor, CustomerCreate(display_name=n)).id for n in names]
        s.commit()
    return ids


async def test_a_batch_links_every_record_and_writes_its_state_and_history(env: Env) -> None:
    names = [f"Batch Customer {i:02d}" for i in range(35)]  # two batches: 30 and 5
    ids = _customers(env, names)
    worker = await env.drain()
    assert worker.stats.batches == 2 and worker.stats.done == 35
    remote = {c["DisplayName"]: c for c in env.qbo.sandbox.realm(env.realm).all("Customer")}
    assert sorted(remote) == names  # each once
    with env.sessions() as s:
        for cid in ids:
            row = s.get(Customer, cid)
            assert row.qbo_id == remote[row.display_name]["Id"] and row.sync_token == "0"
            state = s.scalars(select(SyncState).where(SyncState.entity_id == cid)).one()
            assert state.qbo_id == row.qbo_id and state.payload_checksum and state.remote_sync_token == "0"
            assert state.base_values["name"] == row.display_name
        history = s.execute(
            select(SyncRecord.entity_id, SyncRecord.action, SyncRecord.status).where(
                SyncRecord.tenant_id == env.tenant_id
            )
        ).all()
        assert sorted(history) == sorted((cid, "create", "synced") for cid in ids)

    # Four changed, one asked for again unchanged: the changes go out as updates, the other is skipped.
    with env.sessions() as s:
        for cid in ids[:4]:
            catalog.update_customer(s, env.actor, cid, CustomerUpdate(email=f"{cid[:8]}@example.com"))
        enqueue_sync(s, env.tenant_id, "customer", ids[4])
        s.commit()
    await env.drain()
    with env.sessions() as s:
        for cid in ids[:4]:
            row = s.get(Customer, cid)
            assert env.qbo.sandbox.realm(env.realm).get("Customer", row.qbo_id)["SyncToken"] == "1"
            assert row.sync_token == "1"
        actions = s.execute(
            select(SyncRecord.entity_id, SyncRecord.action, SyncRecord.status).where(
                SyncRecord.tenant_id == env.tenant_id, SyncRecord.action != "create"
            )
        ).all()
        assert sorted(actions) == sorted(
            [(cid, "update", "synced") for cid in ids[:4]] + [(ids[4], "upsert", "skipped")]
        )
        assert not s.scalars(
            select(SyncJob).where(SyncJob.tenant_id == env.tenant_id, SyncJob.status != SyncJobStatus.DONE)
        ).all()


async def test_a_batch_item_qbo_already_holds_is_adopted_not_duplicated(env: Env) -> None:
    names = [f"Twin Batch {i}" for i in range(5)]
    # QBO already has the third one (typed in there, or an earlier push whose answer was lost).
    env.qbo.sandbox.realm(env.realm)  # the company exists
    client = await env.client(env.tenant_id)
    existing = await client.create("Customer", {"DisplayName": names[2]}, request_id="typed-in-qbo")
    ids = _customers(env, names)
    await env.drain()
    remote = [c["DisplayName"] for c in env.qbo.sandbox.realm(env.realm).all("Customer")]
    assert sorted(remote) == names
    with env.sessions() as s:
        assert s.get(Customer, ids[2]).qbo_id == str(existing["Id"])
        adopted = s.scalars(
            select(SyncRecord.action).where(SyncRecord.entity_id == ids[2]).order_by(SyncRecord.at)
        ).all()
        assert adopted[0] == "adopt"
