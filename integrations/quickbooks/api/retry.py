"""When and how long to wait before retrying a QBO request.

Only throttling (429), server failures (5xx) and network errors are retried; a 400/404 will fail the same way
again. Delays grow exponentially with full jitter and a cap, and a ``Retry-After`` from QBO wins when present.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from integrations.quickbooks.api.errors import QboError, QboNetworkError, QboRateLimited, QboUnavailable


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    # QBO asks for a 60 s pause after a throttle; a Retry-After above this is clamped so a caller never hangs.
    max_retry_after: float = 60.0
    random: Callable[[], float] = field(default=random.random)

    def should_retry(self, error: QboError, attempt: int) -> bool:
        """``attempt`` counts from 1 (the attempt that just failed)."""
        if attempt >= self.max_attempts:
            return False
        if isinstance(error, QboUnavailable):
            return error.should_retry
        return isinstance(error, QboRateLimited | QboNetworkError)

    def delay(self, error: QboError, attempt: int) -> float:
        """Half-jittered exponential backoff (never zero, so a burst of retries spreads out)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        backoff = float(ceiling / 2 + ceiling / 2 * self.random())
        if isinstance(error, QboRateLimited) and error.retry_after is not None:
            return float(max(backoff, min(error.retry_after, self.max_retry_after)))
        return backoff


__all__ = ["RetryPolicy"]
