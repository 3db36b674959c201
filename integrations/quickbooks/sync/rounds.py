"""The worker's loop as a pipeline: the next round is claimed (and its batches prepared) while the current
one's batches are still in flight, so QBO's batch window never waits on our database work between rounds.

At most ``depth`` rounds run at once; the limiter in the client keeps their requests together under QBO's
throttles (10 in flight, 40 batches a minute). A round that fails with a bug is logged and its jobs come back
once their claims run out, as before; the loop carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from domain.models.sync import SyncJob
from integrations.quickbooks.sync.realm_lease import LeaseKeeper
from integrations.quickbooks.sync.sync_context import SyncContext


class Worker(Protocol):
    """What the pipeline drives: the sync worker's claim and round steps."""

    ctx: SyncContext
    poll_interval: float
    leases: LeaseKeeper | None

    async def claim_round(self) -> list[SyncJob]: ...
    async def work_round(self, jobs: list[SyncJob]) -> None: ...
    async def schedule_polls(self) -> int: ...


log = logging.getLogger(__name__)


class RoundPipeline:
    def __init__(self, worker: Worker, *, depth: int = 2) -> None:
        self.worker = worker
        self.depth = depth
        self.rounds: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event, *, idle_exit: bool = False) -> None:
        try:
            await self._loop(stop, idle_exit)
        finally:
            if self.rounds:
                await asyncio.gather(*self.rounds, return_exceptions=True)

    async def _loop(self, stop: asyncio.Event, idle_exit: bool) -> None:
        worker = self.worker
        loop = asyncio.get_running_loop()
        next_poll = loop.time()
        while not stop.is_set():
            if len(self.rounds) >= self.depth:
                await asyncio.wait(self.rounds, return_when=asyncio.FIRST_COMPLETED)
                continue
            try:
                if worker.ctx.cdc_interval is not None and loop.time() >= next_poll:
                    await worker.schedule_polls()
                    next_poll = loop.time() + worker.ctx.cdc_interval.total_seconds()
                jobs = await worker.claim_round()
            except Exception:
                # A bug must not stop the sync for every tenant: logged loudly, retried after a pause.
                log.exception("sync worker round failed")
                await _sleep_unless(stop, worker.poll_interval * 5)
                continue
            if jobs:
                task = asyncio.create_task(self._work(jobs))
                self.rounds.add(task)
                task.add_done_callback(self.rounds.discard)
                continue
            if self.rounds:
                # Nothing more due yet; a round finishing may make more due (a record's next change, a twin).
                await asyncio.wait(
                    self.rounds, timeout=worker.poll_interval, return_when=asyncio.FIRST_COMPLETED
                )
                continue
            if idle_exit:
                return
            leases = worker.leases
            await _sleep_unless(
                stop, leases.idle_wait(worker.poll_interval) if leases else worker.poll_interval
            )

    async def _work(self, jobs: list[SyncJob]) -> None:
        try:
            await self.worker.work_round(jobs)
        except Exception:
            log.exception("sync worker round failed")


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


__all__ = ["RoundPipeline"]
