"""Who may run a chat turn now: one turn per thread, across every process; turns on other threads run at once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from domain.clock import Clock, system_clock
from domain.errors import Conflict
from domain.services import turn_leases

# A turn that outlives this is taken to belong to a dead process; its thread may then be taken over.
LEASE_TTL = timedelta(minutes=10)
# How long a turn waits for the same thread's turn in another process before answering 409.
WAIT_FOR = 60.0
POLL_EVERY = 0.02


class TurnGate:
    """One turn per thread: an in-process lock (no polling between this process's own turns) plus a lease row
    in the database that serializes the thread's turns across processes; ``max_concurrent`` bounds the process.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        max_concurrent: int,
        *,
        clock: Clock = system_clock,
        wait_for: float = WAIT_FOR,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._wait_for = wait_for
        self._holder = uuid.uuid4().hex  # this process
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}  # turns holding or waiting for each thread's lock
        self._slots = asyncio.Semaphore(max_concurrent)

    def lock(self, thread_id: str) -> asyncio.Lock:
        lock = self._locks.get(thread_id)
        if lock is None:
            lock = self._locks[thread_id] = asyncio.Lock()
        return lock

    @asynccontextmanager
    async def turn(self, thread_id: str) -> AsyncIterator[None]:
        # Always thread lock first, then the lease, then a slot: one order everywhere, so no two turns wait on
        # each other.
        lock = self.lock(thread_id)
        self._users[thread_id] = self._users.get(thread_id, 0) + 1
        try:
            async with lock:
                await self._lease(thread_id)
                try:
                    async with self._slots:
                        yield
                finally:
                    await asyncio.shield(
                        asyncio.to_thread(turn_leases.release, self._sessions, thread_id, self._holder)
                    )
        finally:
            self._users[thread_id] -= 1
            if not self._users[thread_id]:
                # Nobody holds or waits for it: the map does not grow with every thread ever seen.
                del self._users[thread_id], self._locks[thread_id]

    async def _lease(self, thread_id: str) -> None:
        waited = 0.0
        while not await asyncio.to_thread(
            turn_leases.claim, self._sessions, thread_id, self._holder, self._clock(), LEASE_TTL
        ):
            if waited >= self._wait_for:
                raise Conflict("Another turn is still running on this thread; try again when it ends")
            await asyncio.sleep(POLL_EVERY)
            waited += POLL_EVERY
