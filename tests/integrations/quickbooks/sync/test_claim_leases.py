"""Job claims: renewed while their round runs (a long push is not taken over), fenced on their token (a finisher
whose lease ran out cannot overwrite the new claim's result, even one by the same worker), and freed at once
when a worker takes a realm over from a previous owner. Clocks are pinned; both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from domain.clock import ManualClock
from domain.models import Customer, SyncJob, SyncJobStatus, SyncRecord
from domain.schemas import CustomerCreate
from domain.services import catalog
from domain.services.sync_policy import Strategy
from integrations.quickbooks.sync import bulk_settle, push
from integrations.quickbooks.sync.claim import claim_jobs, release_orphans, renew_claims
from integrations.quickbooks.sync.settle import settle_push
from integrations.quickbooks.sync.worker import SyncWorker
from tests.integrations.quickbooks.sync.conftest import Env

T0 = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def _queue(env: Env, *names: str) -> list[str]:
    """Customers whose pushes are due at T0; returns their ids."""
    with env.sessions() as s:
        ids = [catalog.create_customer(s, env.actor, CustomerCreate(display_name=n)).id for n in names]
        s.flush()
        s.execute(update(SyncJob).where(SyncJob.tenant_id == env.tenant_id).values(next_attempt_at=T0))
        s.commit()
    return ids


def _claim(env: Env, worker: str, now: datetime) -> list[SyncJob]:
    with env.sessions() as s:
        return claim_jobs(s, worker, now=now, lease=LEASE, limit=10, tenant_ids=[env.tenant_id])


def _remote(name: str, qbo_id: str) -> dict[str, object]:
    return {
        "Id": qbo_id,
        "SyncToken": "0",
        "DisplayName": name,
        "MetaData": {"LastUpdatedTime": "2026-03-18"},
    }


def _prepared(env: Env, job: SyncJob) -> push.Prepared:
    with env.sessions() as s:
        return push.prepare(s, job, Strategy.LAST_WRITE_WINS)


async def test_a_renewed_claim_stays_and_a_lapsed_one_is_taken_over_and_fenced(env: Env) -> None:
    (cid,) = _queue(env, "Renewal Plumbing")
    (mine,) = _claim(env, "worker-a", T0)
    prep = _prepared(env, mine)
    with env.sessions() as s:
        assert renew_claims(s, [mine.claim_token or ""], T0 + timedelta(seconds=20)) == 1
    # 40 s after the claim, 20 s after its renewal: still held.
    assert _claim(env, "worker-b", T0 + timedelta(seconds=40)) == []
    # No renewal for longer than the lease: another worker takes it over.
    (theirs,) = _claim(env, "worker-b", T0 + timedelta(seconds=51))
    assert theirs.id == mine.id and theirs.claim_token != mine.claim_token
    with env.sessions() as s:
        # The first holder neither renews it back nor settles over the new claim.
        assert renew_claims(s, [mine.claim_token or ""], T0 + timedelta(seconds=52)) == 0
        assert not settle_push(
            s, prep.claim, prep, push.Outcome("create", _remote("Renewal Plumbing", "901"))
        )
        assert bulk_settle.settle_round(s, [(prep, push.Outcome("create", _remote("x", "902")))], T0) == []
        s.commit()
        assert s.get(Customer, cid).qbo_id is None
        assert s.get(SyncJob, mine.id).status is SyncJobStatus.RUNNING
    theirs_prep = _prepared(env, theirs)
    with env.sessions() as s:
        assert settle_push(s, theirs.claim_token, theirs_prep, push.Outcome("create", _remote("R", "903")))
        assert s.get(Customer, cid).qbo_id == "903"
        assert s.get(SyncJob, mine.id).status is SyncJobStatus.DONE


async def test_a_lapsed_claim_of_the_same_worker_cannot_settle_after_its_new_claim(env: Env) -> None:
    (cid,) = _queue(env, "Same Worker Heating")
    (first,) = _claim(env, "worker-a", T0)
    old = _prepared(env, first)
    (again,) = _claim(env, "worker-a", T0 + LEASE + timedelta(seconds=1))
    assert again.locked_by == first.locked_by and again.claim_token != first.claim_token
    new = _prepared(env, again)
    with env.sessions() as s:
        done = bulk_settle.settle_round(s, [(new, push.Outcome("create", _remote("Same", "911")))], T0)
        s.commit()
        assert done == [again.id]
        assert not settle_push(s, old.claim, old, push.Outcome("create", _remote("Same", "999")))
        assert s.get(Customer, cid).qbo_id == "911"
        history = s.scalars(select(SyncRecord.qbo_id).where(SyncRecord.job_id == again.id)).all()
        assert history == ["911"]


async def test_taking_a_realm_over_frees_the_jobs_its_previous_owner_held(env: Env) -> None:
    _queue(env, "Orphan One", "Orphan Two")
    held = _claim(env, "worker-dead", T0)
    assert len(held) == 2
    later = T0 + timedelta(seconds=5)  # well inside the dead worker's job lease
    assert _claim(env, "worker-new", later) == []
    with env.sessions() as s:
        assert release_orphans(s, [env.tenant_id], "worker-new", LEASE, later) == 2
    assert {j.id for j in _claim(env, "worker-new", later)} == {j.id for j in held}
    with env.sessions() as s:
        # What the new owner itself holds is never freed.
        assert release_orphans(s, [env.tenant_id], "worker-new", LEASE, later) == 0
    assert _claim(env, "worker-other", later) == []


async def test_the_worker_renews_a_push_that_outlasts_its_lease(env: Env) -> None:
    """A push in flight longer than the lease (the emulator answers slowly, the pinned clock jumps past the lease
    meanwhile) keeps its claim: another worker cannot take it, and the first one settles it."""
    (cid,) = _queue(env, "Slow Answer Electric")
    clock = ManualClock(T0)
    worker = SyncWorker(env.context(clock=clock, lease=LEASE, claim_renewal=0.02), poll_interval=0.05)
    env.qbo.sandbox.set_faults(latency_ms=3000.0)
    try:
        task = asyncio.create_task(worker.run_once())
        for _ in range(2):
            claimed_at = _locked_at(env, cid)
            while claimed_at is None:
                await asyncio.sleep(0.01)
                claimed_at = _locked_at(env, cid)
            clock.advance(timedelta(seconds=20))
            while _locked_at(env, cid) != clock():  # the heartbeat moved the lease to the new now
                assert not task.done(), "the push ended before the test could check the renewal"
                await asyncio.sleep(0.01)
        # 40 s after the claim, more than the lease: held all the same.
        assert _claim(env, "worker-b", clock()) == []
        assert await task == 1
    finally:
        env.qbo.sandbox.set_faults(latency_ms=0.0)
    with env.sessions() as s:
        job = s.scalars(select(SyncJob).where(SyncJob.entity_id == cid)).one()
        assert job.status is SyncJobStatus.DONE and job.attempts == 1
        assert s.get(Customer, cid).qbo_id is not None
    assert worker.claims.renewals >= 2


def _locked_at(env: Env, customer_id: str) -> datetime | None:
    with env.sessions() as s:
        value = s.scalar(
            select(SyncJob.locked_at).where(
                SyncJob.entity_id == customer_id, SyncJob.status == SyncJobStatus.RUNNING
            )
        )
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
