"""The database-kept QBO budget, on SQLite and PostgreSQL, with a pinned clock: windows, in-flight slots and
pauses are shared by every limiter (process) on the database, and a dead process's slot runs out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from domain.clock import ManualClock
from domain.db import transaction
from domain.models import QboRateRealm, QboRateSlot
from integrations.quickbooks.api.ratelimit import RateLimits
from integrations.quickbooks.api.shared_limiter import (
    Admission,
    SharedLimiterRegistry,
    SharedRealmLimiter,
    admit,
    finish,
    pause_realm,
)

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LIMITS = RateLimits(per_minute=4, per_second=100, concurrent=2, batch_per_minute=1, margin_seconds=0.0)


class Sleeper:
    """Sleeps by moving the pinned clock; remembers each wait."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(timedelta(seconds=seconds))


@pytest.fixture()
def realm() -> str:
    return f"realm-{uuid.uuid4().hex[:12]}"


class One:
    """One admission's outcome, as the tests ask for one request at a time."""

    def __init__(self, admission: Admission) -> None:
        self.slot_id = admission.slot_ids[0] if admission.slot_ids else None
        self.wait = admission.wait
        self.in_flight = admission.in_flight


def _admit(sessions: sessionmaker[Session], realm: str, at: float, *, batch: bool = False) -> One:
    with transaction(sessions) as session:
        return One(admit(session, realm, batches=[batch], clock=lambda: at, limits=LIMITS, poll=0.5))


def _finish(sessions: sessionmaker[Session], slot_id: str | None, at: float) -> None:
    assert slot_id is not None
    with transaction(sessions) as session:
        finish(session, [(slot_id, at)])


def _slots(sessions: sessionmaker[Session], realm: str) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).where(QboRateSlot.realm_id == realm)) or 0)


def test_in_flight_slots_are_counted_until_their_end_is_recorded(
    committing_sessionmaker: sessionmaker[Session], realm: str
) -> None:
    t0 = START.timestamp()
    first, second = (
        _admit(committing_sessionmaker, realm, t0),
        _admit(committing_sessionmaker, realm, t0 + 0.1),
    )
    assert first.slot_id and second.slot_id and second.in_flight == 2
    blocked = _admit(committing_sessionmaker, realm, t0 + 0.2)
    assert blocked.slot_id is None and blocked.wait > 0
    _finish(committing_sessionmaker, first.slot_id, t0 + 0.3)
    assert _admit(committing_sessionmaker, realm, t0 + 0.4).slot_id is not None


def test_the_minute_window_counts_every_process_until_a_minute_after_each_answer(
    committing_sessionmaker: sessionmaker[Session], realm: str
) -> None:
    t0 = START.timestamp()
    for i in range(LIMITS.per_minute):
        admission = _admit(committing_sessionmaker, realm, t0 + i)
        _finish(committing_sessionmaker, admission.slot_id, t0 + i + 0.5)
    full = _admit(committing_sessionmaker, realm, t0 + 10)
    assert full.slot_id is None
    # The oldest answer came in at t0 + 0.5: its slot frees a minute after that, not a minute after admission.
    assert t0 + 10 + full.wait == pytest.approx(t0 + 0.5 + LIMITS.minute)
    assert _admit(committing_sessionmaker, realm, t0 + 10 + full.wait).slot_id is not None


def test_a_slot_a_dead_process_held_runs_out_at_the_request_timeout(
    committing_sessionmaker: sessionmaker[Session], realm: str
) -> None:
    t0 = START.timestamp()
    for _ in range(LIMITS.concurrent):
        assert (
            _admit(committing_sessionmaker, realm, t0).slot_id is not None
        )  # never finished: the process died
    assert _admit(committing_sessionmaker, realm, t0 + 60).slot_id is None
    after_timeout = t0 + LIMITS.request_timeout + 1
    assert _admit(committing_sessionmaker, realm, after_timeout).slot_id is not None
    assert _slots(committing_sessionmaker, realm) == 3
    # A window after the timeout no window counts them, and they are gone.
    _admit(committing_sessionmaker, realm, t0 + LIMITS.request_timeout + LIMITS.minute + 2)
    assert _slots(committing_sessionmaker, realm) == 2


def test_one_transaction_admits_the_waiting_callers_while_there_is_room(
    committing_sessionmaker: sessionmaker[Session], realm: str
) -> None:
    with transaction(committing_sessionmaker) as session:
        admission = admit(
            session, realm, batches=[False, False, False], clock=START.timestamp, limits=LIMITS, poll=0.5
        )
    assert len(admission.slot_ids) == LIMITS.concurrent and admission.wait > 0
    assert _slots(committing_sessionmaker, realm) == LIMITS.concurrent


def test_batches_have_their_own_window(committing_sessionmaker: sessionmaker[Session], realm: str) -> None:
    t0 = START.timestamp()
    _finish(committing_sessionmaker, _admit(committing_sessionmaker, realm, t0, batch=True).slot_id, t0 + 0.1)
    assert _admit(committing_sessionmaker, realm, t0 + 1, batch=True).slot_id is None
    assert _admit(committing_sessionmaker, realm, t0 + 1).slot_id is not None


def test_a_pause_holds_every_process(committing_sessionmaker: sessionmaker[Session], realm: str) -> None:
    t0 = START.timestamp()
    with transaction(committing_sessionmaker) as session:
        pause_realm(session, realm, t0 + 30)
    with transaction(committing_sessionmaker) as session:
        pause_realm(session, realm, t0 + 5)  # a shorter pause does not cut a longer one short
    held = _admit(committing_sessionmaker, realm, t0 + 1)
    assert held.slot_id is None and t0 + 1 + held.wait == pytest.approx(t0 + 30)
    assert _admit(committing_sessionmaker, realm, t0 + 30).slot_id is not None


async def test_two_processes_draw_from_one_budget(
    committing_sessionmaker: sessionmaker[Session], realm: str
) -> None:
    clock = ManualClock(START)
    sleeper = Sleeper(clock)
    # Two registries stand for two processes: nothing in memory is shared between them.
    one = SharedLimiterRegistry(committing_sessionmaker, LIMITS, clock=clock, sleep=sleeper).for_realm(realm)
    other = SharedLimiterRegistry(committing_sessionmaker, LIMITS, clock=clock, sleep=sleeper).for_realm(
        realm
    )
    for limiter in (one, other, one, other):
        async with limiter.slot():
            clock.advance(timedelta(seconds=1))
    assert sleeper.waits == []
    async with other.slot():
        pass
    # The fifth request of the minute had to wait for the first answer to leave the window.
    assert sleeper.waits and clock() >= START + timedelta(seconds=1 + LIMITS.minute)
    assert (one.stats.admitted, other.stats.admitted) == (2, 3)
    assert other.stats.waited_seconds > 0


async def test_in_flight_across_processes_waits_for_an_answer(
    committing_sessionmaker: sessionmaker[Session], realm: str
) -> None:
    clock = ManualClock(START)
    one = SharedRealmLimiter(realm, committing_sessionmaker, LIMITS, clock=clock, sleep=Sleeper(clock))
    finished: list[str] = []

    async def answer_one(seconds: float) -> None:
        # While the other process waits, one of the first process's requests is answered.
        clock.advance(timedelta(seconds=seconds))
        if not finished:
            finished.append("first")
            await first.__aexit__(None, None, None)

    other = SharedRealmLimiter(realm, committing_sessionmaker, LIMITS, clock=clock, sleep=answer_one)
    first, second = one.slot(), one.slot()
    await first.__aenter__()
    await second.__aenter__()
    async with other.slot():
        assert finished == ["first"]
        assert other.stats.max_in_flight == LIMITS.concurrent
    await second.__aexit__(None, None, None)
    await one.flush()
    await other.flush()
    assert _slots(committing_sessionmaker, realm) == 3


async def test_a_local_pause_holds_this_process_at_once(
    committing_sessionmaker: sessionmaker[Session], realm: str
) -> None:
    clock = ManualClock(START)
    sleeper = Sleeper(clock)
    limiter = SharedRealmLimiter(realm, committing_sessionmaker, LIMITS, clock=clock, sleep=sleeper)
    limiter.pause(7)
    async with limiter.slot():
        pass
    assert limiter.stats.throttled == 1 and clock() >= START + timedelta(seconds=7)
    await limiter.flush()
    with committing_sessionmaker() as session:
        row = session.get(QboRateRealm, realm)
        # The pause reached the database, so every other process holds too.
        assert row is not None and row.paused_until == pytest.approx(
            (START + timedelta(seconds=7)).timestamp()
        )
