"""Who may run a chat turn now: one per thread, and a bound on turns in the process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class TurnGate:
    """Who may run a turn now: one turn per thread, and at most ``max_concurrent`` turns in the process.

    On SQLite (the embedded default) the bound is 1: a turn's step holds the file's write lock while its tools
    run, and concurrent turns would otherwise wait past the busy timeout and fail with "database is locked".
    """

    def __init__(self, max_concurrent: int) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._slots = asyncio.Semaphore(max_concurrent)

    def lock(self, thread_id: str) -> asyncio.Lock:
        lock = self._locks.get(thread_id)
        if lock is None:
            lock = self._locks[thread_id] = asyncio.Lock()
        return lock

    @asynccontextmanager
    async def turn(self, thread_id: str) -> AsyncIterator[None]:
        # Always thread lock first, then a slot: one order everywhere, so no two turns wait on each other.
        async with self.lock(thread_id), self._slots:
            yield
