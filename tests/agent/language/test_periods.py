"""Date phrases resolved against an explicit today (DESIGN §3.1 conventions)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.language.periods import Period, find_period, parse_period, today_in

TODAY = date(2026, 3, 18)  # a Wednesday


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("last month", "2026-02-01", "2026-02-28"),
        ("this month", "2026-03-01", "2026-03-31"),
        ("this quarter", "2026-01-01", "2026-03-31"),
        ("last quarter", "2025-10-01", "2025-12-31"),
        ("this year", "2026-01-01", "2026-12-31"),
        ("last year", "2025-01-01", "2025-12-31"),
        ("in 2025", "2025-01-01", "2025-12-31"),
        ("last week", "2026-03-09", "2026-03-15"),
        ("this week", "2026-03-16", "2026-03-22"),
        ("last 30 days", "2026-02-16", "2026-03-18"),
        ("the past 2 weeks", "2026-03-04", "2026-03-18"),
        ("last three months", "2025-12-18", "2026-03-18"),
        ("yesterday", "2026-03-17", "2026-03-17"),
        ("today", "2026-03-18", "2026-03-18"),
        ("since March 1", "2026-03-01", None),
        ("since 3/1", "2026-03-01", None),
        ("before 2026-02-01", None, "2026-01-31"),
        ("after March 3rd", "2026-03-04", None),
        ("between Jan 5 and Feb 10", "2026-01-05", "2026-02-10"),
        ("from 1/1/2026 to 2/15/2026", "2026-01-01", "2026-02-15"),
        ("from November to February", "2025-11-01", "2026-02-28"),
        ("January", "2026-01-01", "2026-01-31"),
        ("in May", "2025-05-01", "2025-05-31"),  # most recent May not in the future
        ("March", "2026-03-01", "2026-03-31"),
        ("December", "2025-12-01", "2025-12-31"),
        ("Q1 2025", "2025-01-01", "2025-03-31"),
        ("q4", "2025-10-01", "2025-12-31"),
        ("the second quarter of 2025", "2025-04-01", "2025-06-30"),
        ("January 2025", "2025-01-01", "2025-01-31"),
        ("Feb '24", "2024-02-01", "2024-02-29"),
        ("2026-03-01", "2026-03-01", "2026-03-01"),
        ("3/1/2026", "2026-03-01", "2026-03-01"),
        ("03/01/26", "2026-03-01", "2026-03-01"),
        ("March 1st", "2026-03-01", "2026-03-01"),
        ("the 5th of January", "2026-01-05", "2026-01-05"),
        ("Dec 24, 2025", "2025-12-24", "2025-12-24"),
        ("April 2", "2025-04-02", "2025-04-02"),  # this year's April 2 is still ahead
        ("year to date", "2026-01-01", "2026-03-18"),
        ("YTD", "2026-01-01", "2026-03-18"),
        ("month to date", "2026-03-01", "2026-03-18"),
        ("so far this year", "2026-01-01", "2026-03-18"),
        ("older than 60 days", None, "2026-01-17"),
        ("more than 2 weeks old", None, "2026-03-04"),
        ("last Monday", "2026-03-16", "2026-03-16"),
        ("on Friday", "2026-03-13", "2026-03-13"),
        ("3 days ago", "2026-03-15", "2026-03-15"),
        ("since Monday", "2026-03-16", "2026-03-18"),
        ("> 90 days", None, "2025-12-18"),
        ("90+ days old", None, "2025-12-18"),  # Monday through today, not Monday alone
        ("since last Friday", "2026-03-13", "2026-03-18"),
        ("starting Tuesday", "2026-03-17", "2026-03-18"),
    ],
)
def test_phrases(phrase: str, start: str | None, end: str | None) -> None:
    period = parse_period(phrase, TODAY)
    assert period == Period(d(start) if start else None, d(end) if end else None)


@pytest.mark.parametrize(
    "phrase", ["next Tuesday-ish", "invoices", "1/2 HP", "2/30/2026", "13/45", "April 31", ""]
)
def test_non_phrases_raise(phrase: str) -> None:
    with pytest.raises(ValueError):
        parse_period(phrase, TODAY)


def test_finding_a_phrase_inside_a_sentence_gives_its_span() -> None:
    text = "Show me all unpaid invoices from last month over 1000 dollars."
    found = find_period(text, TODAY)
    assert found is not None
    assert found.period == Period(d("2026-02-01"), d("2026-02-28"))
    ((start, end),) = found.spans
    assert text[start:end] == "last month"


def test_names_that_look_like_months_are_left_alone() -> None:
    assert find_period("invoices for June Smith", TODAY) is None
    assert find_period("invoices for August Plumbing Co", TODAY) is None
    assert find_period("price of the 1/2 HP disposal", TODAY) is None
    found = find_period("invoices for ACME in June", TODAY)
    assert found is not None and found.period == Period(d("2025-06-01"), d("2025-06-30"))


def test_two_phrases_intersect() -> None:
    found = find_period("invoices in 2025 after March 31 2025", TODAY)
    assert found is not None and found.period == Period(d("2025-04-01"), d("2025-12-31"))
    assert len(found.spans) == 2


def test_a_leap_day_without_year_goes_back_to_the_last_leap_year() -> None:
    assert parse_period("Feb 29", TODAY) == Period(d("2024-02-29"), d("2024-02-29"))


def test_today_in_uses_the_company_timezone() -> None:
    late_utc = datetime(2026, 3, 18, 3, 0, tzinfo=UTC)
    assert today_in("America/Los_Angeles", late_utc) == date(2026, 3, 17)
    assert today_in("Australia/Sydney", late_utc) == date(2026, 3, 18)
    assert today_in("Pacific/Kiritimati", datetime(2026, 3, 18, 12, 0, tzinfo=UTC)) == date(2026, 3, 19)
    with pytest.raises(ValueError):
        today_in("UTC", datetime(2026, 3, 18, 12, 0))


days = st.dates(min_value=date(2001, 1, 1), max_value=date(2098, 12, 31))


@given(days)
def test_last_month_is_the_whole_previous_calendar_month(today: date) -> None:
    period = parse_period("last month", today)
    assert period.date_from is not None and period.date_to is not None
    assert period.date_from.day == 1
    assert period.date_to + timedelta(days=1) == today.replace(day=1)


@given(days)
def test_last_week_is_the_previous_monday_to_sunday(today: date) -> None:
    period = parse_period("last week", today)
    assert period.date_from is not None and period.date_to is not None
    assert period.date_from.weekday() == 0 and (period.date_to - period.date_from).days == 6
    assert period.date_to < today <= period.date_to + timedelta(days=7)


@given(days)
def test_this_quarter_holds_today_and_is_a_calendar_quarter(today: date) -> None:
    period = parse_period("this quarter", today)
    assert period.date_from is not None and period.date_to is not None
    assert period.date_from <= today <= period.date_to
    assert period.date_from.month in {1, 4, 7, 10} and period.date_from.day == 1
    assert (period.date_to + timedelta(days=1)).month == (period.date_from.month + 2) % 12 + 1


@given(days, st.integers(min_value=1, max_value=365))
def test_last_n_days_ends_today(today: date, n: int) -> None:
    assert parse_period(f"last {n} days", today) == Period(today - timedelta(days=n), today)


@given(
    days,
    st.sampled_from(
        [
            "January",
            "February",
            "March",
            "April",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ]
    ),
)
def test_a_bare_month_is_its_most_recent_start_not_in_the_future(today: date, month: str) -> None:
    period = parse_period(month, today)
    assert period.date_from is not None
    assert period.date_from <= today
    assert (today - period.date_from).days < 366


@given(days, days)
def test_between_two_iso_dates_is_inclusive_whatever_today(today: date, a: date) -> None:
    b = a + timedelta(days=10)
    assert parse_period(f"between {a.isoformat()} and {b.isoformat()}", today) == Period(a, b)
