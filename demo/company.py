"""The demo company: its tenant, its users, its time zone, and the one clock every demo entry point runs on.

Light on imports on purpose: the command line reads the demo's day before it decides to load the assistant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from domain.clock import Clock, local_today, shifted, system_clock, zone
from domain.models.tenancy import Role
from integrations.quickbooks.sandbox.config import SandboxConfig
from integrations.quickbooks.sandbox.fixture import fixture_as_of

DEMO_TENANT = "Northwind Plumbing & Heating"
DEMO_TIMEZONE = "America/Los_Angeles"


@dataclass(frozen=True, slots=True)
class DemoUser:
    email: str
    name: str


# One user per role, the same in the served demo and in the one-process runs.
DEMO_USERS = {
    Role.OWNER: DemoUser("owner@northwind.example", "Olivia Owner"),
    Role.ADMIN: DemoUser("admin@northwind.example", "Adam Admin"),
    Role.OFFICE: DemoUser("office@northwind.example", "Oscar Office"),
    Role.TECHNICIAN: DemoUser("tech@northwind.example", "Tara Technician"),
}


def demo_clock(pinned: date | None = None, source: Clock = system_clock) -> Clock:
    """The one clock every demo entry point runs on: ``source``, moved to the same wall time on a pinned ``--today``.

    The sandbox, the sync worker and the assistant all read it, so "today", "now" and the demo company's
    shifted dates agree everywhere (the company's ``asOf`` becomes this clock's date; no shift when equal).
    """
    if pinned is None:
        return source
    # Same wall-clock time on the pinned day in the demo's zone; across a DST change that is not whole days.
    here = source().astimezone(zone(DEMO_TIMEZONE))
    there = datetime.combine(pinned, here.time(), here.tzinfo)
    # Subtract in UTC: two datetimes sharing one zone object subtract as naive wall times.
    return shifted(source, there.astimezone(UTC) - here.astimezone(UTC))


def demo_day(pinned: date | None = None, clock: Clock = system_clock) -> date:
    """The demo's today: the pinned ``--today``, else today in the demo company's zone."""
    return local_today(demo_clock(pinned, clock), DEMO_TIMEZONE)


def demo_sandbox_config(clock: Clock, **settings: Any) -> SandboxConfig:
    """The sandbox company keeps the demo zone's current offset, so its calendar day is the demo's day."""
    offset = clock().astimezone(zone(DEMO_TIMEZONE)).utcoffset() or timedelta(0)
    return SandboxConfig(utc_offset_minutes=int(offset.total_seconds() // 60), **settings)


def demo_as_of() -> date:
    """The date the demo data is as of, unshifted: what tests pin to compare with the fixture's own dates."""
    return fixture_as_of()
