"""Sync policy from tenant settings, the retry schedule, checksums and the three-way decision."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import pairwise

import pytest

from domain.errors import ValidationFailed
from domain.services.sync_checksums import Decision, checksum, decide, money, qty
from domain.services.sync_policy import Master, RetrySchedule, Strategy, policy_from_settings


def test_defaults_are_last_write_wins_with_seed_mastering() -> None:
    policy = policy_from_settings({})
    assert policy.strategy_for("invoice") is Strategy.LAST_WRITE_WINS
    assert policy.master_of("account") is Master.QBO and policy.master_of("customer") is Master.PLATFORM
    assert policy.pushes("payment") and not policy.pushes("vendor")


def test_per_entity_strategies_in_both_spellings_and_bad_values_refused() -> None:
    policy = policy_from_settings(
        {
            "customer": "qbo_wins",
            "strategies": {"invoice": "platform_wins"},
            "default_strategy": "manual",
            "masters": {"vendor": "platform"},
        }
    )
    assert policy.strategy_for("customer") is Strategy.QBO_WINS
    assert policy.strategy_for("invoice") is Strategy.PLATFORM_WINS
    assert policy.strategy_for("item") is Strategy.MANUAL
    assert policy.pushes("vendor")
    with pytest.raises(ValidationFailed):
        policy_from_settings({"invoice": "whoever_shouts"})
    with pytest.raises(ValidationFailed):
        policy_from_settings({"masters": {"item": "nobody"}})


def test_five_retries_fit_in_two_hours_growing_exponentially() -> None:
    schedule = RetrySchedule(jitter=0.0)
    delays = [schedule.delay(n) for n in range(1, 6)]
    assert abs(sum(delays, timedelta()) - timedelta(hours=2)) < timedelta(milliseconds=1)
    assert all(abs(later - 2 * earlier) < timedelta(milliseconds=1) for earlier, later in pairwise(delays))
    assert not schedule.exhausted(5) and schedule.exhausted(6)  # the first try plus five retries
    jittered = RetrySchedule(jitter=0.1, rand=lambda: 1.0).delay(1)
    assert abs(jittered - delays[0] * 1.1) < timedelta(milliseconds=1)


def test_checksums_ignore_number_formatting_but_not_values() -> None:
    assert money("12.5") == money(Decimal("12.500")) == "12.50"
    assert qty("2.0000") == qty(2) == "2"
    a = {"total": money("10"), "lines": [[qty(1), money(10)]]}
    assert checksum(a) == checksum({"lines": [["1", "10.00"]], "total": "10.00"})
    assert checksum(a) != checksum({**a, "total": "10.01"})


@pytest.mark.parametrize(
    ("strategy", "local", "remote", "newer", "expected"),
    [
        (Strategy.MANUAL, True, False, False, Decision.PUSH),  # only we changed: no conflict at all
        (Strategy.MANUAL, False, True, False, Decision.PULL),  # only QBO changed
        (Strategy.MANUAL, True, True, True, Decision.CONFLICT),
        (Strategy.PLATFORM_WINS, True, True, False, Decision.PUSH),
        (Strategy.QBO_WINS, True, True, True, Decision.PULL),
        (Strategy.LAST_WRITE_WINS, True, True, True, Decision.PUSH),
        (Strategy.LAST_WRITE_WINS, True, True, False, Decision.PULL),
    ],
)
def test_three_way_decision(
    strategy: Strategy, local: bool, remote: bool, newer: bool, expected: Decision
) -> None:
    assert (
        decide(strategy, local_changed=local, remote_changed=remote, same_values=False, local_newer=newer)
        is expected
    )
    assert (
        decide(strategy, local_changed=local, remote_changed=remote, same_values=True, local_newer=newer)
        is Decision.NOOP
    )


def test_sync_window_in_the_tenants_timezone() -> None:
    from datetime import UTC, datetime

    policy = policy_from_settings(
        {"window": {"start": "07:00", "end": "18:00", "days": [0, 1, 2, 3, 4]}}, "America/Los_Angeles"
    )
    window = policy.window
    assert window is not None
    monday_9am_la = datetime(2026, 3, 16, 16, 0, tzinfo=UTC)  # 09:00 in Los Angeles (PDT)
    assert window.is_open(monday_9am_la)
    friday_evening = datetime(2026, 3, 21, 2, 0, tzinfo=UTC)  # Friday 19:00 in Los Angeles
    assert not window.is_open(friday_evening)
    opens = window.next_open(friday_evening)
    assert opens.astimezone(UTC) == datetime(2026, 3, 23, 14, 0, tzinfo=UTC)  # Monday 07:00 PDT
    with pytest.raises(ValidationFailed):
        policy_from_settings({"window": {"start": "18:00", "end": "07:00"}})
    with pytest.raises(ValidationFailed):
        policy_from_settings({"window": {"start": "7am"}})
