"""Per-realm client-side limiter so QBO's own throttles (reference §9) are never hit.

QBO counts per realm and app: 500 requests per minute, 10 per second, 10 in flight, and 40 batch requests
per minute. Every client talking to one realm must share one limiter, which is why they come from a registry
the application builds once (no module-level state). :class:`RealmLimiter` keeps the budget in this process
(tests, benchmarks, a lone client); the application shares it across processes through the database
(``shared_limiter``), with the same windows and the same :class:`Limiter` interface.

Sliding windows remember when each request was in flight (see :class:`Window`), so whatever the delays,
QBO's window never holds more of our requests than ours does; ``margin_seconds`` widens the windows a little
more for clock differences between QBO's edge servers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RateLimits:
    per_minute: int = 500
    per_second: int = 10
    concurrent: int = 10
    batch_per_minute: int = 40
    # >1 compresses time (an emulator running its minute in 60/time_scale seconds); 1 for real QBO.
    time_scale: float = 1.0
    margin_seconds: float = 0.25
    # QBO ends a request after 120 s: a request whose answer never got recorded counts as in flight until then.
    request_timeout: float = 120.0

    @property
    def minute(self) -> float:
        return 60.0 / self.time_scale + self.margin_seconds / self.time_scale

    @property
    def second(self) -> float:
        return 1.0 / self.time_scale + self.margin_seconds / (4 * self.time_scale)


class Stamp:
    __slots__ = ("at", "done")

    def __init__(self, at: float) -> None:
        self.at = at
        self.done = False


class Window:
    """Requests counted within the last ``span`` seconds.

    A request is stamped when it is admitted and re-stamped when its response is in: QBO saw it somewhere in
    between, so counting it until ``completion + span`` can only over-count, never under-count, whatever the
    queueing delay on either side. Windows hold at most a few hundred stamps, so a scan is cheap.
    """

    def __init__(self, capacity: int, span: float) -> None:
        self.capacity = capacity
        self.span = span
        self.stamps: list[Stamp] = []

    def wait_time(self, now: float) -> float:
        # A request still in flight counts however long it takes (QBO allows up to 120 s).
        self.stamps = [s for s in self.stamps if not s.done or s.at > now - self.span]
        if len(self.stamps) < self.capacity:
            return 0.0
        # An unfinished request will end no earlier than now: count it as if it ended this instant.
        oldest = sorted(s.at if s.done else max(s.at, now) for s in self.stamps)[
            len(self.stamps) - self.capacity
        ]
        return oldest + self.span - now

    def add(self, stamp: Stamp) -> None:
        self.stamps.append(stamp)


@dataclass
class LimiterStats:
    admitted: int = 0
    batches: int = 0
    waited_seconds: float = 0.0
    throttled: int = 0
    max_in_flight: int = 0


class Limiter(Protocol):
    """What the client needs of a limiter: in-process (:class:`RealmLimiter`) or shared across processes."""

    stats: LimiterStats

    def slot(self, *, batch: bool = False) -> AbstractAsyncContextManager[None]: ...

    def pause(self, seconds: float) -> None: ...


class LimiterRegistry(Protocol):
    def for_realm(self, realm_id: str) -> Limiter: ...


class RealmLimiter:
    """Admission control for one realm inside one process; ``async with limiter.slot(): send()``."""

    def __init__(
        self, limits: RateLimits | None = None, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ):
        self.limits = limits or RateLimits()
        self._clock = clock
        self._sleep = sleep
        self._minute = Window(self.limits.per_minute, self.limits.minute)
        self._second = Window(self.limits.per_second, self.limits.second)
        self._batch = Window(self.limits.batch_per_minute, self.limits.minute)
        self._admission = asyncio.Lock()
        self._in_flight = asyncio.Semaphore(self.limits.concurrent)
        self._paused_until = 0.0
        self._current = 0
        self.stats = LimiterStats()

    @asynccontextmanager
    async def slot(self, *, batch: bool = False) -> AsyncIterator[None]:
        # Concurrency first, then the windows: the stamp is taken right before the request goes out.
        async with self._in_flight:
            stamp = await self._admit(batch)
            self._current += 1
            self.stats.max_in_flight = max(self.stats.max_in_flight, self._current)
            try:
                yield
            finally:
                self._current -= 1
                stamp.at = self._clock()
                stamp.done = True

    async def _admit(self, batch: bool) -> Stamp:
        # One admission at a time keeps the order fair (FIFO on the lock) and the windows consistent.
        async with self._admission:
            while True:
                now = self._clock()
                windows = [self._minute, self._second] + ([self._batch] if batch else [])
                wait = max([self._paused_until - now] + [w.wait_time(now) for w in windows])
                if wait <= 0:
                    stamp = Stamp(now)
                    self._minute.add(stamp)
                    if batch:
                        self._batch.add(stamp)
                    # The one-second window keeps the admission time: holding each of its 10 slots for a whole
                    # round trip more would cap throughput below 500/min; a rare per-second 429 is retried.
                    sent = Stamp(now)
                    sent.done = True
                    self._second.add(sent)
                    self.stats.admitted += 1
                    self.stats.batches += int(batch)
                    return stamp
                self.stats.waited_seconds += wait
                await self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """QBO throttled us anyway (another app instance, clock skew): hold every caller of this realm."""
        self.stats.throttled += 1
        self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))


@dataclass
class RateLimiterRegistry:
    """One limiter per realm, shared by every client of that realm inside this process."""

    limits: RateLimits = field(default_factory=RateLimits)
    clock: Clock = time.monotonic
    sleep: Sleep = asyncio.sleep
    _limiters: dict[str, RealmLimiter] = field(default_factory=dict)

    def for_realm(self, realm_id: str) -> RealmLimiter:
        limiter = self._limiters.get(realm_id)
        if limiter is None:
            limiter = RealmLimiter(self.limits, clock=self.clock, sleep=self.sleep)
            self._limiters[realm_id] = limiter
        return limiter


__all__ = [
    "Limiter",
    "LimiterRegistry",
    "LimiterStats",
    "RateLimiterRegistry",
    "RateLimits",
    "RealmLimiter",
    "Stamp",
    "Window",
]
