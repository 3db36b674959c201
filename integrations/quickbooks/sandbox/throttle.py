"""QBO's per-realm throttles: requests per minute (and optionally per second), concurrency, batch rate."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from integrations.quickbooks.sandbox.config import RateLimits


@dataclass
class _RealmCounters:
    minute: deque[float] = field(default_factory=deque)
    second: deque[float] = field(default_factory=deque)
    batch: deque[float] = field(default_factory=deque)
    in_flight: int = 0


def _trim(window: deque[float], now: float, span: float) -> None:
    while window and window[0] <= now - span:
        window.popleft()


class Throttle:
    """Sliding windows per realm; ``time_compression`` divides every window (60 → a one-second minute)."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._lock = threading.Lock()
        self._realms: dict[str, _RealmCounters] = {}
        self.max_in_flight = 0  # the most requests of one realm it held at once: what a client's limiter kept

    def acquire(self, realm_id: str, *, batch: bool) -> bool:
        """Admit one request (True) or refuse it as QBO would with a 429 (False); admitted ones must release."""
        limits = self.limits
        minute = 60.0 / limits.time_compression
        second = 1.0 / limits.time_compression
        with self._lock:
            counters = self._realms.setdefault(realm_id, _RealmCounters())
            now = self._clock()
            _trim(counters.minute, now, minute)
            _trim(counters.second, now, second)
            _trim(counters.batch, now, minute)
            if counters.in_flight >= limits.concurrent or len(counters.minute) >= limits.per_minute:
                return False
            if limits.per_second is not None and len(counters.second) >= limits.per_second:
                return False
            if batch and len(counters.batch) >= limits.batch_per_minute:
                return False
            counters.minute.append(now)
            counters.second.append(now)
            if batch:
                counters.batch.append(now)
            counters.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, counters.in_flight)
            return True

    def release(self, realm_id: str) -> None:
        with self._lock:
            counters = self._realms.get(realm_id)
            if counters is not None and counters.in_flight > 0:
                counters.in_flight -= 1

    def reset(self) -> None:
        with self._lock:
            self._realms.clear()
            self.max_in_flight = 0
