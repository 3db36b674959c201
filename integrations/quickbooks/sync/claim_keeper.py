"""Renewing the claims a worker is still working, so a job that runs longer than its lease is not taken over.

Every claim the worker holds is registered while its round runs; a task renews them all (one fenced UPDATE)
every third of the lease. A worker that dies stops renewing and its jobs come back once the lease runs out; a
job another claim took over meanwhile is not renewed back (the UPDATE matches on the claim's token).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from integrations.quickbooks.sync.background import running
from integrations.quickbooks.sync.claim import renew_claims

log = logging.getLogger(__name__)


class ClaimKeeper:
    """The claim tokens of one worker's rounds in flight, renewed while they run."""

    def __init__(
        self,
        sessions: Callable[[], Session],
        clock: Callable[[], datetime],
        lease: timedelta,
        *,
        interval: float | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.interval = interval if interval is not None else lease.total_seconds() / 3
        self._held: Counter[str] = Counter()
        # A thread of its own: a renewal must not queue behind the rounds' database work in the shared pool.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="claim-renewal")
        self.renewals = 0

    @contextlib.contextmanager
    def holding(self, claim: str | None) -> Iterator[None]:
        """Keep ``claim`` renewed for the duration of the block."""
        if claim is None:
            yield
            return
        self._held[claim] += 1
        try:
            yield
        finally:
            self._held[claim] -= 1
            if self._held[claim] <= 0:
                del self._held[claim]

    async def renew_now(self) -> int:
        """Renew every held claim once; how many jobs were renewed."""
        claims = set(self._held)
        if not claims:
            return 0

        def run() -> int:
            with self.sessions() as session:
                return renew_claims(session, claims, self.clock())

        renewed = await asyncio.get_running_loop().run_in_executor(self._thread, run)
        self.renewals += 1
        return renewed

    async def renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.renew_now()
            except SQLAlchemyError as exc:
                # The next tick tries again; a lease is three ticks long.
                log.warning("renewing the sync worker's claims failed: %s", exc)

    def renewing(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Renew in the background for the length of the block."""
        return running(self.renew_forever)


__all__ = ["ClaimKeeper"]
