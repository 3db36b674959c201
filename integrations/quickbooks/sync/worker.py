"""The sync worker: claims due jobs, pushes and pulls them, records the outcome; safe to run several at once.

Database work is synchronous SQLAlchemy run in threads (``asyncio.to_thread``) so the event loop keeps many
QBO requests in flight; the per-realm limiter in the client keeps them under QBO's throttles. Many upserts of
one tenant go out as QBO batches of up to 30 (``batch_push``); ``run`` claims the next round while the current
one is in flight (``rounds``), and the claims of every round in flight are renewed while it runs
(``claim_keeper``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from domain.errors import AppError
from domain.models.sync import SyncDirection, SyncJob, SyncJobStatus
from domain.services.sync_policy import Strategy, SyncPolicy
from integrations.quickbooks.api.client import QboClient
from integrations.quickbooks.entity_specs import SPECS
from integrations.quickbooks.mapping.lists import MappingError
from integrations.quickbooks.sync import batch_push, cdc, realm_lease, write_offs
from integrations.quickbooks.sync import pull as pulling
from integrations.quickbooks.sync import push as pushing
from integrations.quickbooks.sync.claim import claim_jobs, due_tenants, release_orphans, still_ours
from integrations.quickbooks.sync.claim_keeper import ClaimKeeper
from integrations.quickbooks.sync.entities import apply_remote
from integrations.quickbooks.sync.failures import Failure, classify
from integrations.quickbooks.sync.rounds import RoundPipeline
from integrations.quickbooks.sync.settle import finish, settle_failure, settle_push
from integrations.quickbooks.sync.sync_context import SyncContext

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_PULL_DEPENDENCIES = 5


@dataclass
class WorkerStats:
    claimed: int = 0
    # (job id, claimed at) of every claim, so a test can prove no job was held by two workers at once.
    claims: list[tuple[str, str]] = field(default_factory=list)
    done: int = 0
    failed: int = 0
    batches: int = 0


class SyncWorker:
    def __init__(
        self,
        ctx: SyncContext,
        *,
        claim_size: int = 60,
        concurrency: int = 10,
        poll_interval: float = 1.0,
        batch_min: int = 4,
    ) -> None:
        self.ctx = ctx
        self.claim_size = claim_size
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.batch_min = batch_min
        self.stats = WorkerStats()
        self._policies: dict[str, SyncPolicy] = {}
        self.claims = ClaimKeeper(ctx.sessions, ctx.clock, ctx.lease, interval=ctx.claim_renewal)
        self.leases = (
            realm_lease.LeaseKeeper(ctx.worker_id, ctx.realm_lease, ctx.clock, ctx.sessions)
            if ctx.realm_lease is not None
            else None
        )

    # ---- plumbing --------------------------------------------------------------------------------------

    async def db(self, fn: Callable[[Session], T]) -> T:
        def run() -> T:
            with self.ctx.sessions() as session:
                return fn(session)

        return await asyncio.to_thread(run)

    def _policy(self, session: Session, tenant_id: str) -> SyncPolicy:
        policy = self._policies.get(tenant_id)
        if policy is None:
            policy = self._policies[tenant_id] = self.ctx.policy(session, tenant_id)
        return policy

    async def fail(self, job: SyncJob, failure: Failure) -> None:
        self.stats.failed += 1

        def run(session: Session) -> None:
            settle_failure(
                session,
                job.claim_token,
                job.id,
                failure,
                self._policy(session, job.tenant_id),
                self.ctx.clock(),
                dependency_delay=self.ctx.dependency_delay,
            )

        await self.db(run)

    # ---- rounds ----------------------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim one round of due jobs and work it to the end; returns how many were claimed."""
        jobs = await self.claim_round()
        if jobs:
            async with self.keeping():
                await self.work_round(jobs)
        return len(jobs)

    async def claim_round(self) -> list[SyncJob]:
        """Claim up to ``claim_size`` due jobs of the tenants this worker may work now."""
        now = self.ctx.clock()
        try:
            tenant_ids = self.ctx.tenant_ids
            if self.leases is not None:
                tenant_ids = await self.db(lambda s: self._leased(s, now))
                if not tenant_ids:
                    return []
            jobs = await self.db(
                lambda s: claim_jobs(
                    s,
                    self.ctx.worker_id,
                    now=now,
                    lease=self.ctx.lease,
                    limit=self.claim_size,
                    tenant_ids=tenant_ids,
                )
            )
        except OperationalError as exc:
            # Another writer got there first (SQLite's single writer, a lock timeout): claim next round.
            log.info("claim skipped this round: %s", exc)
            return []
        self.stats.claimed += len(jobs)
        self.stats.claims.extend((j.id, str(j.locked_at)) for j in jobs)
        return jobs

    async def work_round(self, jobs: list[SyncJob]) -> None:
        """Work one claimed round, its claim renewed until every job in it is settled."""
        by_tenant: dict[str, list[SyncJob]] = defaultdict(list)
        for job in jobs:
            by_tenant[job.tenant_id].append(job)
        with self.claims.holding(jobs[0].claim_token if jobs else None):
            await asyncio.gather(*(self._tenant_round(tid, tjobs) for tid, tjobs in by_tenant.items()))

    @contextlib.asynccontextmanager
    async def keeping(self) -> AsyncIterator[None]:
        """While rounds run: the realm leases and the rounds' claims are renewed."""
        async with contextlib.AsyncExitStack() as stack:
            if self.leases is not None:
                await stack.enter_async_context(self.leases.renewing())
            await stack.enter_async_context(self.claims.renewing())
            yield

    def _leased(self, session: Session, now: datetime) -> frozenset[str]:
        """The tenants with due jobs whose realm this worker holds; only the holder talks to a realm."""
        assert self.leases is not None
        due = due_tenants(session, now=now, lease=self.ctx.lease, tenant_ids=self.ctx.tenant_ids)
        session.rollback()
        tenants = self.leases.tenants(session, due, now)
        if self.leases.taken_over:
            # A realm just taken over: what its previous owner still held comes back now, not a lease later.
            freed = release_orphans(session, self.leases.taken_over, self.ctx.worker_id, self.ctx.lease, now)
            if freed:
                log.info("took over %d running jobs of a previous owner", freed)
        return tenants

    async def schedule_polls(self) -> int:
        """Queue a CDC poll for every connected company (a pending poll is reused, never doubled)."""

        def run(session: Session) -> int:
            tenants = [
                t
                for t in self.ctx.cdc_tenants(session)
                if self.ctx.tenant_ids is None or t in self.ctx.tenant_ids
            ]
            for tenant_id in tenants:
                cdc.enqueue_poll(session, tenant_id)
            session.commit()
            return len(tenants)

        return await self.db(run)

    async def run(self, stop: asyncio.Event | None = None, *, idle_exit: bool = False) -> None:
        """Work until ``stop`` is set (or, with ``idle_exit``, until nothing is due)."""
        stop = stop or asyncio.Event()
        try:
            async with self.keeping():
                await RoundPipeline(self).run(stop, idle_exit=idle_exit)
        finally:
            if self.leases is not None:
                with contextlib.suppress(SQLAlchemyError):
                    await self.leases.release_all()

    async def _defer_outside_window(self, tenant_id: str, jobs: list[SyncJob]) -> bool:
        """Outside the tenant's sync window the claimed jobs go back, due when the window next opens."""
        now = self.ctx.clock()

        def run(session: Session) -> bool:
            window = self._policy(session, tenant_id).window
            if window is None or window.is_open(now):
                return False
            opens = window.next_open(now)
            for job in jobs:
                held = still_ours(session, job.id, job.claim_token)
                if held is not None:
                    held.status = SyncJobStatus.PENDING
                    held.attempts = max(0, held.attempts - 1)
                    held.next_attempt_at = opens
                    held.locked_by = None
            session.commit()
            return True

        return await self.db(run)

    async def _tenant_round(self, tenant_id: str, jobs: list[SyncJob]) -> None:
        if await self._defer_outside_window(tenant_id, jobs):
            return
        try:
            client = await self.ctx.clients(tenant_id)
        except AppError as exc:
            for job in jobs:
                await self.fail(job, classify(exc, job.entity))
            return
        batched = [j for j in jobs if batch_push.batchable(j)]
        singles = [j for j in jobs if not batch_push.batchable(j)]
        if len(batched) < self.batch_min:
            singles, batched = jobs, []
        gate = asyncio.Semaphore(self.concurrency)

        async def one(job: SyncJob) -> None:
            async with gate:
                await self.guarded(job, self._work_one(client, job))

        tasks = [one(j) for j in singles]
        for start in range(0, len(batched), batch_push.BATCH_ITEMS):
            tasks.append(batch_push.push_batch(self, client, batched[start : start + batch_push.BATCH_ITEMS]))
        await asyncio.gather(*tasks)

    def count(self, *, done: int = 0, batches: int = 0) -> None:
        self.stats.done += done
        self.stats.batches += batches

    async def guarded(self, job: SyncJob, work: Awaitable[None]) -> None:
        try:
            await work
            self.stats.done += 1
        except AppError as exc:
            await self.fail(job, classify(exc, job.entity))
        except SQLAlchemyError as exc:
            log.warning("sync job %s hit a database error: %s", job.id, exc)
            await self.fail(
                job, Failure("database", True, f"database error while syncing: {exc.__class__.__name__}")
            )

    async def _work_one(self, client: QboClient, job: SyncJob) -> None:
        if job.entity == cdc.CDC_JOB_ENTITY:
            await self._poll(client, job)
        elif job.direction == SyncDirection.PULL:
            await self._pull(client, job)
        elif job.entity == write_offs.ENTITY:
            await write_offs.push_write_off(client, job, self.db, job.claim_token)
        else:
            await self._push(client, job)

    # ---- push ------------------------------------------------------------------------------------------

    def strategy(self, session: Session, job: SyncJob) -> Strategy:
        return self._policy(session, job.tenant_id).strategy_for(job.entity)

    async def _push(self, client: QboClient, job: SyncJob) -> None:
        prep = await self.db(lambda s: pushing.prepare(s, job, self.strategy(s, job)))
        outcome = await pushing.send(client, prep)
        await self.db(lambda s: settle_push(s, job.claim_token, prep, outcome))

    # ---- pull ------------------------------------------------------------------------------------------

    async def _poll(self, client: QboClient, job: SyncJob) -> None:
        now = self.ctx.clock()
        since = await self.db(lambda s: cdc.cursor(s, job.tenant_id, now))
        changes = await cdc.poll(client, since)
        trigger = str((job.payload or {}).get("trigger") or "scheduled")

        def run(session: Session) -> None:
            held = still_ours(session, job.id, job.claim_token)
            if held is None:
                session.rollback()
                return
            cdc.queue_changes(session, job.tenant_id, changes, since, trigger)
            finish(held)
            if sum(len(rows) for rows in changes.values()) >= cdc.CDC_MAX_OBJECTS:
                # QBO capped the answer: the next window starts at the newest change seen, right away.
                cdc.enqueue_poll(session, job.tenant_id, trigger="continued")
            session.commit()

        await self.db(run)

    async def _pull(self, client: QboClient, job: SyncJob) -> None:
        got = await pulling.fetch(client, job)
        for _ in range(MAX_PULL_DEPENDENCIES):
            try:
                await self.db(lambda s: pulling.settle_pull(s, job.claim_token, got, self.strategy(s, job)))
                return
            except MappingError as exc:
                await self._pull_reference(client, job.tenant_id, exc)
        raise MappingError(f"QuickBooks {job.entity} {job.entity_id} refers to records that cannot be pulled")

    async def _pull_reference(self, client: QboClient, tenant_id: str, exc: MappingError) -> None:
        """A pulled document names a customer (invoice, vendor...) we do not have yet: pull that first."""
        kind = str(exc.context.get("kind") or "")
        qbo_id = exc.context.get("id")
        if kind not in SPECS or not qbo_id:
            raise exc
        remote: dict[str, Any] = await client.read(SPECS[kind].qbo, str(qbo_id))

        def run(session: Session) -> None:
            apply_remote(session, tenant_id, kind, remote)
            session.commit()

        await self.db(run)


async def run_worker(ctx: SyncContext, stop: asyncio.Event | None = None, **options: Any) -> None:
    """What the app's lifespan (or ``qbo-agent worker``) starts as a task."""
    await SyncWorker(ctx, **options).run(stop)


__all__ = ["SyncWorker", "WorkerStats", "run_worker"]
