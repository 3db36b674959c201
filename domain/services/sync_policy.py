"""Per-tenant sync policy: who masters each entity, how conflicts resolve, how failures retry.

Read from ``Tenant.sync_settings`` (all keys optional)::

    {"default_strategy": "last_write_wins",
     "strategies": {"invoice": "platform_wins", "payment": "qbo_wins"},   # or top-level {"customer": "qbo_wins"}
     "masters": {"vendor": "qbo"},
     "max_retries": 5, "retry_window_s": 7200, "cdc_interval_s": 300, "batch_size": 30,
     "window": {"start": "07:00", "end": "18:00", "days": [0, 1, 2, 3, 4]}}   # in the tenant's timezone

The window keeps syncing to business hours (so it does not collide with a bookkeeper working in QBO in the
evening); outside it, due work waits for the next opening.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.errors import ValidationFailed


class Strategy(enum.StrEnum):
    LAST_WRITE_WINS = "last_write_wins"
    PLATFORM_WINS = "platform_wins"
    QBO_WINS = "qbo_wins"
    MANUAL = "manual"


class Master(enum.StrEnum):
    PLATFORM = "platform"
    QBO = "qbo"


# Seed 001 §9.1: the platform masters its workflow documents and catalog; QBO the ledger-side lists.
DEFAULT_MASTERS: dict[str, Master] = {
    "customer": Master.PLATFORM,
    "item": Master.PLATFORM,
    "estimate": Master.PLATFORM,
    "invoice": Master.PLATFORM,
    "write_off": Master.PLATFORM,
    "payment": Master.QBO,
    "vendor": Master.QBO,
    "bill": Master.QBO,
    "account": Master.QBO,
    "term": Master.QBO,
    "tax_rate": Master.QBO,
}
SYNCED_ENTITIES = frozenset(DEFAULT_MASTERS)


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    """Exponential delays that fit ``max_retries`` retries into ``window`` (5 over 2 hours by default)."""

    max_retries: int = 5
    window: timedelta = timedelta(hours=2)
    jitter: float = 0.1
    rand: Callable[[], float] = field(default=random.random, compare=False)

    def delay(self, attempt: int) -> timedelta:
        """Wait after failed attempt ``attempt`` (1-based); the plain delays add up to ``window``."""
        retries = max(self.max_retries, 1)
        share = 2 ** (min(attempt, retries) - 1) / (2**retries - 1)
        spread = 1 + self.jitter * (2 * self.rand() - 1)
        return timedelta(seconds=self.window.total_seconds() * share * spread)

    def exhausted(self, attempts: int) -> bool:
        """The first try plus ``max_retries`` retries have all failed."""
        return attempts > self.max_retries


@dataclass(frozen=True, slots=True)
class SyncWindow:
    """Local opening hours for sync: [start, end) on the given weekdays (Monday = 0)."""

    start: time
    end: time
    days: frozenset[int] = frozenset(range(7))
    tz: str = "UTC"

    def _local(self, now: datetime) -> datetime:
        return now.astimezone(ZoneInfo(self.tz))

    def is_open(self, now: datetime) -> bool:
        local = self._local(now)
        return local.weekday() in self.days and self.start <= local.time() < self.end

    def next_open(self, now: datetime) -> datetime:
        """The next moment the window opens (``now`` itself when it is open)."""
        if self.is_open(now):
            return now
        local = self._local(now)
        for offset in range(8):
            day = (local + timedelta(days=offset)).date()
            opening = datetime.combine(day, self.start, tzinfo=local.tzinfo)
            if day.weekday() in self.days and opening > local:
                return opening
        return now + timedelta(days=1)  # no open day configured at all: look again tomorrow


@dataclass(frozen=True, slots=True)
class SyncPolicy:
    default_strategy: Strategy = Strategy.LAST_WRITE_WINS
    strategies: dict[str, Strategy] = field(default_factory=dict)
    masters: dict[str, Master] = field(default_factory=lambda: dict(DEFAULT_MASTERS))
    retry: RetrySchedule = field(default_factory=RetrySchedule)
    cdc_interval: timedelta = timedelta(minutes=5)
    batch_size: int = 30
    window: SyncWindow | None = None

    def strategy_for(self, entity: str) -> Strategy:
        return self.strategies.get(entity, self.default_strategy)

    def master_of(self, entity: str) -> Master:
        return self.masters.get(entity, Master.PLATFORM)

    def pushes(self, entity: str) -> bool:
        """QBO-mastered lists are read-only here, except payments we record ourselves (they are pushed)."""
        return entity == "payment" or self.master_of(entity) is Master.PLATFORM


def _strategy(value: Any, where: str) -> Strategy:
    try:
        return Strategy(str(value))
    except ValueError as exc:
        allowed = ", ".join(s.value for s in Strategy)
        raise ValidationFailed(
            f"unknown conflict strategy {value!r} for {where}; use one of {allowed}"
        ) from exc


def _window(value: Any, tz: str) -> SyncWindow | None:
    if not value:
        return None
    try:
        window = SyncWindow(
            start=time.fromisoformat(str(value["start"])),
            end=time.fromisoformat(str(value["end"])),
            days=frozenset(int(d) for d in value.get("days", range(7))),
            tz=tz,
        )
        ZoneInfo(tz)
    except (KeyError, TypeError, ValueError, ZoneInfoNotFoundError) as exc:
        raise ValidationFailed(
            f"sync window must look like {{'start': '07:00', 'end': '18:00'}}: {exc}"
        ) from exc
    if window.start >= window.end or not window.days <= set(range(7)):
        raise ValidationFailed("sync window must start before it ends, on weekdays 0 (Monday) to 6")
    return window


def policy_from_settings(settings: dict[str, Any] | None, tz: str = "UTC") -> SyncPolicy:
    """Build the policy from a tenant's ``sync_settings``; unknown strategies are refused, not ignored."""
    data = dict(settings or {})
    strategies: dict[str, Strategy] = {}
    for entity in SYNCED_ENTITIES:
        if entity in data:  # the short form {"customer": "qbo_wins"}
            strategies[entity] = _strategy(data[entity], entity)
    for entity, value in (data.get("strategies") or {}).items():
        strategies[str(entity)] = _strategy(value, str(entity))
    masters = dict(DEFAULT_MASTERS)
    for entity, value in (data.get("masters") or {}).items():
        try:
            masters[str(entity)] = Master(str(value))
        except ValueError as exc:
            raise ValidationFailed(f"master of {entity} must be 'platform' or 'qbo', not {value!r}") from exc
    retry = RetrySchedule(
        max_retries=int(data.get("max_retries", 5)),
        window=timedelta(seconds=float(data.get("retry_window_s", 7200))),
    )
    if retry.max_retries < 0:
        raise ValidationFailed("max_retries must not be negative")
    return SyncPolicy(
        default_strategy=_strategy(data.get("default_strategy", Strategy.LAST_WRITE_WINS), "default"),
        strategies=strategies,
        masters=masters,
        retry=retry,
        cdc_interval=timedelta(seconds=float(data.get("cdc_interval_s", 300))),
        batch_size=max(1, min(30, int(data.get("batch_size", 30)))),
        window=_window(data.get("window"), tz),
    )


__all__ = [
    "DEFAULT_MASTERS",
    "SYNCED_ENTITIES",
    "Master",
    "RetrySchedule",
    "Strategy",
    "SyncPolicy",
    "SyncWindow",
    "policy_from_settings",
]
