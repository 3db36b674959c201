"""Upserts of one tenant pushed as QBO batches of up to 30, prepared and settled in bulk.

Each batch is prepared in one short transaction (its records and their sync states read in one query each),
sent as one request, and its results settled in one more (``bulk_settle``): the database work per item is a
few rows of a few statements, so a large push is bounded by QBO's batch limit rather than by our round trips.
An item that needs more care (a stale SyncToken, a name QBO already holds) goes the single way afterwards.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from domain.errors import AppError
from domain.models.sync import SyncJob, SyncState
from domain.services.sync_policy import Strategy
from integrations.quickbooks.api.batch import BatchOp
from integrations.quickbooks.api.client import QboClient
from integrations.quickbooks.api.errors import QboDuplicate, QboStaleObject
from integrations.quickbooks.entity_specs import SPECS
from integrations.quickbooks.sync import bulk_settle
from integrations.quickbooks.sync import push as pushing
from integrations.quickbooks.sync.failures import Failure, classify
from integrations.quickbooks.sync.settle import settle_push
from integrations.quickbooks.sync.sync_context import SyncContext

T = TypeVar("T")
BATCH_ITEMS = 30  # QBO's limit per batch request
Prepared = list[tuple[SyncJob, pushing.Prepared | AppError]]


class Host(Protocol):
    """What a batch needs from its worker."""

    ctx: SyncContext

    async def db(self, fn: Callable[[Session], T]) -> T: ...
    def strategy(self, session: Session, job: SyncJob) -> Strategy: ...
    async def fail(self, job: SyncJob, failure: Failure) -> None: ...
    async def guarded(self, job: SyncJob, work: Awaitable[None]) -> None: ...
    def count(self, *, done: int = 0, batches: int = 0) -> None: ...


def batchable(job: SyncJob) -> bool:
    spec = SPECS.get(job.entity)
    return job.direction.value == "push" and job.operation == "upsert" and spec is not None and spec.batchable


def prepare_batch(host: Host, session: Session, jobs: list[SyncJob]) -> Prepared:
    """``push.prepare`` for each job, with the batch's records and states loaded in one query per entity."""
    by_entity: dict[str, list[str]] = defaultdict(list)
    for job in jobs:
        by_entity[job.entity].append(job.entity_id)
    states: dict[str, SyncState] = {}
    for entity, ids in by_entity.items():
        # Loaded into the session, so each ``session.get`` of ``prepare`` is answered without a query.
        list(session.scalars(select(SPECS[entity].model).where(SPECS[entity].model.id.in_(ids))))  # type: ignore[attr-defined]
        states.update(
            (state.entity_id, state)
            for state in session.scalars(
                select(SyncState).where(
                    SyncState.tenant_id == jobs[0].tenant_id,
                    SyncState.entity == entity,
                    SyncState.entity_id.in_(ids),
                )
            )
        )
    out: Prepared = []
    for job in jobs:
        try:
            out.append((job, pushing.prepare(session, job, host.strategy(session, job), states=states)))
        except AppError as exc:
            session.rollback()
            out.append((job, exc))
    return out


def _op(job: SyncJob, prep: pushing.Prepared) -> BatchOp:
    spec = SPECS[prep.entity]
    assert prep.payload is not None
    if prep.qbo_id is None:
        payload = {k: v for k, v in prep.payload.items() if k not in ("Id", "SyncToken")}
        return BatchOp.create(spec.qbo, payload, bid=job.id)
    body = {**prep.payload, "Id": prep.qbo_id, "SyncToken": prep.sync_token or "0", "sparse": False}
    return BatchOp.update(spec.qbo, body, bid=job.id)


async def push_batch(host: Host, client: QboClient, jobs: list[SyncJob]) -> None:
    """Prepare, send and settle one batch; failures are recorded per job, never raised."""
    ops: list[BatchOp] = []
    sending: list[tuple[SyncJob, pushing.Prepared]] = []
    results_in: list[tuple[SyncJob, pushing.Prepared, pushing.Outcome]] = []
    for job, prep in await host.db(lambda s: prepare_batch(host, s, jobs)):
        if isinstance(prep, AppError):
            await host.fail(job, classify(prep, job.entity))
        elif prep.skip or prep.payload is None:
            results_in.append((job, prep, pushing.Outcome("skip", message=prep.skip)))
        else:
            ops.append(_op(job, prep))
            sending.append((job, prep))
    retry_single: list[tuple[SyncJob, pushing.Prepared]] = []
    twins: list[tuple[SyncJob, pushing.Prepared, QboDuplicate]] = []
    if ops:
        host.count(batches=1)
        # The same batch of the same attempts is the same request: QBO answers a retry from its requestid.
        key = ",".join(f"{j.id}:{j.attempts}" for j, _ in sending)
        request_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "qbo-sync-batch:" + key))
        try:
            results = await client.batch(ops, request_id=request_id)
        except AppError as exc:
            for job, _prep in sending:
                await host.fail(job, classify(exc, job.entity))
            results, sending = [], []
        for (job, prep), result in zip(sending, results, strict=True):
            if result.ok and result.data is not None:
                action = "create" if prep.qbo_id is None else "update"
                results_in.append((job, prep, pushing.Outcome(action, result.data)))
            elif isinstance(result.error, QboDuplicate) and prep.qbo_id is None:
                # A create QBO already holds by name (often our own earlier attempt, whose answer was lost):
                # look the twin up straight away; sending the create again would only be refused again.
                twins.append((job, prep, result.error))
            elif isinstance(result.error, QboStaleObject | QboDuplicate):
                # Stale tokens need the read-decide-retry path of a single push.
                retry_single.append((job, prep))
            else:
                assert result.error is not None
                await host.fail(job, classify(result.error, job.entity))
    # The twins are looked up together and settle with the rest of the batch, not one transaction each.
    found = await asyncio.gather(
        *(pushing.twin_outcome(client, prep, dup) for _, prep, dup in twins), return_exceptions=True
    )
    for (job, prep, _dup), outcome in zip(twins, found, strict=True):
        if isinstance(outcome, AppError):
            await host.fail(job, classify(outcome, job.entity))
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            results_in.append((job, prep, outcome))
    await settle_results(host, results_in)
    await asyncio.gather(
        *(host.guarded(job, _retry_single(host, client, prep)) for job, prep in retry_single)
    )


async def settle_results(
    host: Host, results: list[tuple[SyncJob, pushing.Prepared, pushing.Outcome]]
) -> None:
    """One transaction for the whole batch; should it fail, each item settles on its own so one bad record
    cannot hold back the others."""
    if not results:
        return

    def run(session: Session) -> list[tuple[SyncJob, AppError | SQLAlchemyError]]:
        try:
            done = bulk_settle.settle_round(session, [(p, o) for _, p, o in results], host.ctx.clock())
            session.commit()
            host.count(done=len(done))
            return []
        except (AppError, SQLAlchemyError):
            session.rollback()
        failed: list[tuple[SyncJob, AppError | SQLAlchemyError]] = []
        for job, prep, outcome in results:
            try:
                if settle_push(session, prep.claim, prep, outcome):
                    host.count(done=1)
            except (AppError, SQLAlchemyError) as exc:
                session.rollback()
                failed.append((job, exc))
        return failed

    for job, exc in await host.db(run):
        if isinstance(exc, AppError):
            await host.fail(job, classify(exc, job.entity))
        else:
            await host.fail(
                job, Failure("database", True, f"database error while syncing: {exc.__class__.__name__}")
            )


async def _retry_single(host: Host, client: QboClient, prep: pushing.Prepared) -> None:
    outcome = await pushing.send(client, prep)
    await host.db(lambda s: settle_push(s, prep.claim, prep, outcome))


__all__ = ["BATCH_ITEMS", "Host", "batchable", "prepare_batch", "push_batch", "settle_results"]
