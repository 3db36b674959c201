"""The sync worker: claims due jobs, pushes and pulls them, records the outcome; safe to run several at once.

Database work is synchronous SQLAlchemy run in threads (``asyncio.to_thread``) so the event loop keeps many
QBO requests in flight; the per-realm limiter in the client keeps them under QBO's throttles. Many upserts of
one tenant go out as QBO batches of up to 30.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from domain.errors import AppError
from domain.models.sync import SyncDirection, SyncJob, SyncJobStatus
from domain.services.sync_policy import Strategy, SyncPolicy
from integrations.quickbooks.api.batch import BatchOp
from integrations.quickbooks.api.client import QboClient
from integrations.quickbooks.api.errors import QboDuplicate, QboStaleObject
from integrations.quickbooks.entity_specs import SPECS
from integrations.quickbooks.mapping.lists import MappingError
from integrations.quickbooks.sync import cdc, realm_lease, write_offs
from integrations.quickbooks.sync import pull as pulling
from integrations.quickbooks.sync import push as pushing
from integrations.quickbooks.sync.claim import claim_jobs, due_tenants, still_ours
from integrations.quickbooks.sync.entities import apply_remote
from integrations.quickbooks.sync.failures import Failure, classify
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
        self.leases = (
            realm_lease.LeaseKeeper(ctx.worker_id, ctx.realm_lease, ctx.clock, ctx.sessions)
            if ctx.realm_lease is not None
            else None
        )

    # ---- plumbing --------------------------------------------------------------------------------------

    async def _db(self, fn: Callable[[Session], T]) -> T:
        def run() -> T:
            with self.ctx.sessions() as session:
                return fn(session)

        return await asyncio.to_thread(run)

    def _policy(self, session: Session, tenant_id: str) -> SyncPolicy:
        policy = self._policies.get(tenant_id)
        if policy is None:
            policy = self._policies[tenant_id] = self.ctx.policy(session, tenant_id)
        return policy

    async def _fail(self, job: SyncJob, failure: Failure) -> None:
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

        await self._db(run)

    # ---- the loop --------------------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim one round of due jobs and work them; returns how many were claimed."""
        now = self.ctx.clock()
        try:
            tenant_ids = self.ctx.tenant_ids
            if self.leases is not None:
                tenant_ids = await self._db(lambda s: self._leased(s, now))
                if not tenant_ids:
                    return 0
            jobs = await self._db(
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
            return 0
        self.stats.claimed += len(jobs)
        self.stats.claims.extend((j.id, str(j.locked_at)) for j in jobs)
        if not jobs:
            return 0
        by_tenant: dict[str, list[SyncJob]] = defaultdict(list)
        for job in jobs:
            by_tenant[job.tenant_id].append(job)
        async with self.leases.renewing() if self.leases is not None else contextlib.nullcontext():
            await asyncio.gather(*(self._tenant_round(tid, tjobs) for tid, tjobs in by_tenant.items()))
        return len(jobs)

    def _leased(self, session: Session, now: datetime) -> frozenset[str]:
        """The tenants with due jobs whose realm this worker holds; only the holder talks to a realm."""
        assert self.leases is not None
        due = due_tenants(session, now=now, lease=self.ctx.lease, tenant_ids=self.ctx.tenant_ids)
        session.rollback()
        return self.leases.tenants(session, due, now)

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

        return await self._db(run)

    async def run(self, stop: asyncio.Event | None = None, *, idle_exit: bool = False) -> None:
        """Work until ``stop`` is set (or, with ``idle_exit``, until nothing is due)."""
        stop = stop or asyncio.Event()
        try:
            await self._loop(stop, idle_exit)
        finally:
            if self.leases is not None:
                with contextlib.suppress(SQLAlchemyError):
                    await self.leases.release_all()

    async def _loop(self, stop: asyncio.Event, idle_exit: bool) -> None:
        loop = asyncio.get_running_loop()
        next_poll = loop.time()
        while not stop.is_set():
            try:
                if self.ctx.cdc_interval is not None and loop.time() >= next_poll:
                    await self.schedule_polls()
                    next_poll = loop.time() + self.ctx.cdc_interval.total_seconds()
                claimed = await self.run_once()
            except Exception:
                # A bug in one round must not stop the sync for every tenant: it is logged loudly, the jobs it
                # held come back when their lease runs out, and the loop carries on after a pause.
                log.exception("sync worker round failed")
                claimed = 0
                await asyncio.sleep(self.poll_interval * 5)
            if claimed:
                continue
            if idle_exit:
                return
            with contextlib.suppress(TimeoutError):
                wait = self.leases.idle_wait(self.poll_interval) if self.leases else self.poll_interval
                await asyncio.wait_for(stop.wait(), timeout=wait)

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

        return await self._db(run)

    async def _tenant_round(self, tenant_id: str, jobs: list[SyncJob]) -> None:
        if await self._defer_outside_window(tenant_id, jobs):
            return
        try:
            client = await self.ctx.clients(tenant_id)
        except AppError as exc:
            for job in jobs:
                await self._fail(job, classify(exc, job.entity))
            return
        batchable = [
            j
            for j in jobs
            if j.direction == SyncDirection.PUSH
            and j.operation == "upsert"
            and j.entity in SPECS
            and SPECS[j.entity].batchable
        ]
        singles = [j for j in jobs if j not in batchable]
        if len(batchable) < self.batch_min:
            singles, batchable = jobs, []
        gate = asyncio.Semaphore(self.concurrency)

        async def one(job: SyncJob) -> None:
            async with gate:
                await self._guarded(job, self._work_one(client, job))

        tasks = [one(j) for j in singles]
        for start in range(0, len(batchable), 30):
            tasks.append(self._push_batch(client, batchable[start : start + 30]))
        await asyncio.gather(*tasks)

    async def _guarded(self, job: SyncJob, work: Awaitable[None]) -> None:
        try:
            await work
            self.stats.done += 1
        except AppError as exc:
            await self._fail(job, classify(exc, job.entity))
        except SQLAlchemyError as exc:
            log.warning("sync job %s hit a database error: %s", job.id, exc)
            await self._fail(
                job, Failure("database", True, f"database error while syncing: {exc.__class__.__name__}")
            )

    async def _work_one(self, client: QboClient, job: SyncJob) -> None:
        if job.entity == cdc.CDC_JOB_ENTITY:
            await self._poll(client, job)
        elif job.direction == SyncDirection.PULL:
            await self._pull(client, job)
        elif job.entity == write_offs.ENTITY:
            await write_offs.push_write_off(client, job, self._db, job.claim_token)
        else:
            await self._push(client, job)

    # ---- push ------------------------------------------------------------------------------------------

    def _strategy(self, session: Session, job: SyncJob) -> Strategy:
        return self._policy(session, job.tenant_id).strategy_for(job.entity)

    async def _push(self, client: QboClient, job: SyncJob) -> None:
        prep = await self._db(lambda s: pushing.prepare(s, job, self._strategy(s, job)))
        outcome = await pushing.send(client, prep)
        await self._db(lambda s: settle_push(s, job.claim_token, prep, outcome))

    async def _push_batch(self, client: QboClient, jobs: list[SyncJob]) -> None:
        """Upserts of one tenant in one QBO batch; an item that needs more care goes the single way.

        Preparing and settling each run as one pass over the jobs in one thread: the database round trips,
        not QBO, would otherwise bound a large push.
        """

        def prepare_all(session: Session) -> list[tuple[SyncJob, pushing.Prepared | AppError]]:
            out: list[tuple[SyncJob, pushing.Prepared | AppError]] = []
            for job in jobs:
                try:
                    out.append((job, pushing.prepare(session, job, self._strategy(session, job))))
                except AppError as exc:
                    session.rollback()
                    out.append((job, exc))
            return out

        ops: list[BatchOp] = []
        sending: list[tuple[SyncJob, pushing.Prepared]] = []
        settled: list[tuple[SyncJob, pushing.Prepared, pushing.Outcome]] = []
        for job, prep in await self._db(prepare_all):
            if isinstance(prep, AppError):
                await self._fail(job, classify(prep, job.entity))
                continue
            if prep.skip or prep.payload is None:
                settled.append((job, prep, pushing.Outcome("skip", message=prep.skip)))
                continue
            spec = SPECS[prep.entity]
            if prep.qbo_id is None:
                payload = {k: v for k, v in prep.payload.items() if k not in ("Id", "SyncToken")}
                ops.append(BatchOp.create(spec.qbo, payload, bid=job.id))
            else:
                body = {
                    **prep.payload,
                    "Id": prep.qbo_id,
                    "SyncToken": prep.sync_token or "0",
                    "sparse": False,
                }
                ops.append(BatchOp.update(spec.qbo, body, bid=job.id))
            sending.append((job, prep))
        retry_single: list[tuple[SyncJob, pushing.Prepared]] = []
        if ops:
            self.stats.batches += 1
            request_id = str(
                uuid.uuid5(
                    uuid.NAMESPACE_URL,
                    "qbo-sync-batch:" + ",".join(f"{j.id}:{j.attempts}" for j, _ in sending),
                )
            )
            try:
                results = await client.batch(ops, request_id=request_id)
            except AppError as exc:
                for job, _prep in sending:
                    await self._fail(job, classify(exc, job.entity))
                results = []
                sending = []
            for (job, prep), result in zip(sending, results, strict=True):
                if result.ok and result.data is not None:
                    settled.append(
                        (
                            job,
                            prep,
                            pushing.Outcome("create" if prep.qbo_id is None else "update", result.data),
                        )
                    )
                elif isinstance(result.error, QboStaleObject | QboDuplicate):
                    # Stale tokens and names QBO already holds need the read-decide-retry path of a single push.
                    retry_single.append((job, prep))
                else:
                    assert result.error is not None
                    await self._fail(job, classify(result.error, job.entity))
        await self._settle_all(settled)
        await asyncio.gather(
            *(self._guarded(job, self._retry_single(client, prep)) for job, prep in retry_single)
        )

    async def _settle_all(self, settled: list[tuple[SyncJob, pushing.Prepared, pushing.Outcome]]) -> None:
        def run(session: Session) -> list[tuple[SyncJob, AppError | SQLAlchemyError]]:
            failed: list[tuple[SyncJob, AppError | SQLAlchemyError]] = []
            # The whole batch in one transaction (one commit, not thirty); should any item fail, it is all
            # rolled back and settled item by item so one bad record cannot hold back the others.
            try:
                for job, prep, outcome in settled:
                    settle_push(session, job.claim_token, prep, outcome, commit=False)
                session.commit()
                self.stats.done += len(settled)
                return failed
            except (AppError, SQLAlchemyError):
                session.rollback()
            for job, prep, outcome in settled:
                try:
                    settle_push(session, job.claim_token, prep, outcome)
                    self.stats.done += 1
                except (AppError, SQLAlchemyError) as exc:
                    session.rollback()
                    failed.append((job, exc))
            return failed

        for job, exc in await self._db(run):
            if isinstance(exc, AppError):
                await self._fail(job, classify(exc, job.entity))
            else:
                await self._fail(
                    job, Failure("database", True, f"database error while syncing: {exc.__class__.__name__}")
                )

    async def _retry_single(self, client: QboClient, prep: pushing.Prepared) -> None:
        outcome = await pushing.send(client, prep)
        await self._db(lambda s: settle_push(s, prep.claim, prep, outcome))

    # ---- pull ------------------------------------------------------------------------------------------

    async def _poll(self, client: QboClient, job: SyncJob) -> None:
        now = self.ctx.clock()
        since = await self._db(lambda s: cdc.cursor(s, job.tenant_id, now))
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

        await self._db(run)

    async def _pull(self, client: QboClient, job: SyncJob) -> None:
        got = await pulling.fetch(client, job)
        for _ in range(MAX_PULL_DEPENDENCIES):
            try:
                await self._db(
                    lambda s: pulling.settle_pull(s, job.claim_token, got, self._strategy(s, job))
                )
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

        await self._db(run)


async def run_worker(ctx: SyncContext, stop: asyncio.Event | None = None, **options: Any) -> None:
    """What the app's lifespan (or ``qbo-agent worker``) starts as a task."""
    await SyncWorker(ctx, **options).run(stop)


__all__ = ["SyncWorker", "WorkerStats", "run_worker"]
