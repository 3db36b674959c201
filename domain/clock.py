"""The one source of "now": logic takes a clock as an argument, so any instant can be pinned in a test.

A clock is a zero-argument callable returning an aware datetime. :func:`system_clock` is the only place the
process reads the wall clock; everything else is handed a clock (or a date computed from one) by its caller.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until told to move: tests pin an instant and advance it without sleeping."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a clock's instant must be timezone-aware")
        self._now = start

    def __call__(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("a clock's instant must be timezone-aware")
        self._now = instant


def shifted(clock: Clock, delta: timedelta) -> Clock:
    """``clock`` moved by ``delta``: a demo pinned to another day still ticks through the day."""
    if not delta:
        return clock
    return lambda: clock() + delta


def zone(timezone: str | tzinfo) -> tzinfo:
    return ZoneInfo(timezone) if isinstance(timezone, str) else timezone


def local_today(clock: Clock, timezone: str | tzinfo) -> date:
    """The calendar date in the company's timezone (a UTC evening is already tomorrow in Sydney)."""
    return clock().astimezone(zone(timezone)).date()


__all__ = ["Clock", "ManualClock", "local_today", "shifted", "system_clock", "zone"]
