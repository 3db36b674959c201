"""Which jobs a worker takes: a worker scoped to some tenants never touches another tenant's queue."""

from __future__ import annotations

from sqlalchemy import delete, select

from domain.models import Customer, SyncJob, SyncJobStatus, Tenant
from domain.schemas import CustomerCreate
from domain.services import catalog
from integrations.quickbooks.sync.claim import claim_jobs
from tests.factories import make_actor, make_tenant
from tests.integrations.quickbooks.sync.conftest import Env


async def test_a_scoped_worker_leaves_other_tenants_jobs_alone(env: Env) -> None:
    with env.sessions() as s:
        other = make_tenant(s, name="Another Company")
        other_actor = make_actor(s, other)
        theirs = catalog.create_customer(s, other_actor, CustomerCreate(display_name="Not Yours Ltd"))
        ours = catalog.create_customer(s, env.actor, CustomerCreate(display_name="Ours Plumbing"))
        s.commit()
        other_id, theirs_id, ours_id = other.id, theirs.id, ours.id
    try:
        ctx = env.context()
        with env.sessions() as s:
            claimed = claim_jobs(
                s, ctx.worker_id, now=ctx.clock(), lease=ctx.lease, limit=50, tenant_ids=ctx.tenant_ids
            )
            assert {(j.tenant_id, j.entity_id) for j in claimed} == {(env.tenant_id, ours_id)}
        await env.drain()
        with env.sessions() as s:
            assert s.get(Customer, ours_id).qbo_id is not None
            assert s.get(Customer, theirs_id).qbo_id is None
            waiting = s.scalar(select(SyncJob.status).where(SyncJob.entity_id == theirs_id))
            assert waiting is SyncJobStatus.PENDING
        names = [c["DisplayName"] for c in env.qbo.sandbox.realm(env.realm).all("Customer")]
        assert names == ["Ours Plumbing"]
    finally:
        with env.sessions() as s:
            s.execute(delete(Tenant).where(Tenant.id == other_id))
            s.commit()
