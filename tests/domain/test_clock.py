"""The injected clock: a pinned instant, moved by hand or by whole days, read in the company's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from domain.clock import ManualClock, local_today, shifted
from domain.services.common import company_today
from tests.factories import make_tenant

EVENING_IN_CALIFORNIA = datetime(2026, 3, 19, 2, 30, tzinfo=UTC)  # 19:30 on the 18th in Los Angeles


def test_manual_clock_stands_still_until_moved() -> None:
    clock = ManualClock(EVENING_IN_CALIFORNIA)
    assert clock() == clock() == EVENING_IN_CALIFORNIA
    clock.advance(timedelta(hours=1))
    assert clock() == EVENING_IN_CALIFORNIA + timedelta(hours=1)
    with pytest.raises(ValueError, match="aware"):
        ManualClock(datetime(2026, 3, 18, 12, 0))


def test_a_shifted_clock_keeps_ticking_with_its_source() -> None:
    source = ManualClock(EVENING_IN_CALIFORNIA)
    later = shifted(source, timedelta(days=-261))
    assert later() == EVENING_IN_CALIFORNIA - timedelta(days=261)
    source.advance(timedelta(minutes=5))
    assert later() == EVENING_IN_CALIFORNIA - timedelta(days=261) + timedelta(minutes=5)
    assert shifted(source, timedelta(0)) is source


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("America/Los_Angeles", date(2026, 3, 18)),
        ("UTC", date(2026, 3, 19)),
        ("Australia/Sydney", date(2026, 3, 19)),
    ],
)
def test_today_is_the_companys_calendar_day(zone: str, day: date) -> None:
    assert local_today(ManualClock(EVENING_IN_CALIFORNIA), zone) == day


def test_a_tenants_today_follows_its_timezone(session: Session) -> None:
    tenant = make_tenant(session)
    tenant.timezone = "America/Los_Angeles"
    session.flush()
    assert company_today(session, tenant.id, ManualClock(EVENING_IN_CALIFORNIA)) == date(2026, 3, 18)
    tenant.timezone = "Asia/Tokyo"
    session.flush()
    assert company_today(session, tenant.id, ManualClock(EVENING_IN_CALIFORNIA)) == date(2026, 3, 19)
