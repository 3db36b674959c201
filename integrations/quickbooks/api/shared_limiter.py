"""QBO's per-realm limits kept in the database, so every process and machine draws from one budget.

API workers (chat reads, sends), sync workers and the CLI each talk to the same company, and QBO counts all
of them together (500 requests/min, 10/s, 10 in flight, 40 batches/min). Each admission is one short
transaction that locks the realm's row (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the transaction's
``BEGIN IMMEDIATE`` already makes writers serial), counts the realm's slots with the same sliding windows as
the in-process :class:`RealmLimiter`, and inserts a slot when there is room. A second short transaction
records when the answer came in. No transaction is open while the request is in flight.

A process that dies with a request in flight never records its end: the slot then counts as in flight until
QBO's own request timeout (120 s) and in the windows a window after that.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from domain.clock import Clock, system_clock
from domain.db import run_transaction
from domain.models.rate_limit import QboRateRealm, QboRateSlot
from integrations.quickbooks.api.ratelimit import LimiterStats, RateLimits, Sleep, Stamp, Window

log = logging.getLogger(__name__)
Seconds = Callable[[], float]  # seconds since the epoch, from the injected clock
# How often a caller looks again while all ten slots are in flight (their ends are not announced).
IN_FLIGHT_POLL_SECONDS = 0.02


@dataclass(frozen=True, slots=True)
class Admission:
    slot_id: str | None  # None: no room yet; wait ``wait`` seconds and ask again
    wait: float
    in_flight: int  # the realm's requests in flight, across processes, once this one is admitted


def _lock_realm(session: Session, realm_id: str) -> QboRateRealm:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(QboRateRealm).values(realm_id=realm_id, paused_until=0.0).on_conflict_do_nothing())
    # The row lock serialises admissions to one realm on PostgreSQL; SQLite's BEGIN IMMEDIATE already has.
    return session.scalars(
        select(QboRateRealm).where(QboRateRealm.realm_id == realm_id).with_for_update()
    ).one()


def admit(
    session: Session, realm_id: str, *, batch: bool, clock: Seconds, limits: RateLimits, poll: float
) -> Admission:
    """Take a slot for one request to ``realm_id`` if every window has room (call in a transaction)."""
    realm = _lock_realm(session, realm_id)
    # "now" is read once the realm is locked, so slots are stamped in the order they were admitted.
    now = clock()
    timeout = limits.request_timeout
    horizon = now - limits.minute
    # Slots no window can count any more: answered over a window ago, or abandoned and timed out since.
    session.execute(
        delete(QboRateSlot).where(
            QboRateSlot.realm_id == realm_id,
            ((QboRateSlot.done_at.is_not(None)) & (QboRateSlot.done_at < horizon))
            | ((QboRateSlot.done_at.is_(None)) & (QboRateSlot.admitted_at < horizon - timeout)),
        )
    )
    rows = session.execute(
        select(QboRateSlot.admitted_at, QboRateSlot.done_at, QboRateSlot.batch).where(
            QboRateSlot.realm_id == realm_id
        )
    ).all()
    minute = Window(limits.per_minute, limits.minute)
    second = Window(limits.per_second, limits.second)
    batches = Window(limits.batch_per_minute, limits.minute)
    in_flight = 0
    for admitted_at, done_at, is_batch in rows:
        ended = (
            done_at
            if done_at is not None
            else (admitted_at + timeout if admitted_at + timeout < now else None)
        )
        stamp = Stamp(admitted_at if ended is None else ended)
        stamp.done = ended is not None
        in_flight += int(not stamp.done)
        minute.add(stamp)
        if is_batch:
            batches.add(stamp)
        # The one-second window counts admissions, as the in-process limiter does.
        sent = Stamp(admitted_at)
        sent.done = True
        second.add(sent)
    windows = [minute, second] + ([batches] if batch else [])
    wait = max([realm.paused_until - now] + [w.wait_time(now) for w in windows])
    if in_flight >= limits.concurrent:
        wait = max(wait, poll)
    if wait > 0:
        return Admission(None, wait, in_flight)
    slot_id = str(uuid.uuid4())
    session.add(QboRateSlot(id=slot_id, realm_id=realm_id, batch=batch, admitted_at=now))
    return Admission(slot_id, 0.0, in_flight + 1)


def finish(session: Session, slot_id: str, now: float) -> None:
    """The answer is in: the slot leaves the in-flight count and stays in the windows until ``now`` + a window."""
    session.execute(update(QboRateSlot).where(QboRateSlot.id == slot_id).values(done_at=now))


def pause_realm(session: Session, realm_id: str, until: float) -> None:
    realm = _lock_realm(session, realm_id)
    realm.paused_until = max(realm.paused_until, until)


class SharedRealmLimiter:
    """Admission for one realm from the database budget; the interface of :class:`RealmLimiter`."""

    def __init__(
        self,
        realm_id: str,
        sessions: sessionmaker[Session],
        limits: RateLimits | None = None,
        *,
        clock: Clock = system_clock,
        sleep: Sleep = asyncio.sleep,
        poll_seconds: float = IN_FLIGHT_POLL_SECONDS,
    ) -> None:
        self.realm_id = realm_id
        self.limits = limits or RateLimits()
        self._sessions = sessions
        self._clock = clock
        self._sleep = sleep
        self._poll = poll_seconds
        # One admission at a time per process: callers queue here (FIFO), not as many pollers of the database.
        self._admission = asyncio.Lock()
        self._in_flight = asyncio.Semaphore(self.limits.concurrent)
        self._paused_until = 0.0
        self._current = 0
        self._pausing: set[asyncio.Task[None]] = set()
        self.stats = LimiterStats()

    def _now(self) -> float:
        return self._clock().timestamp()

    @asynccontextmanager
    async def slot(self, *, batch: bool = False) -> AsyncIterator[None]:
        async with self._in_flight:
            slot_id = await self._admit(batch)
            self._current += 1
            try:
                yield
            finally:
                self._current -= 1
                # Shielded: a cancelled caller's request may still have reached QBO, so its end is recorded.
                await asyncio.shield(self._finish(slot_id))

    async def _admit(self, batch: bool) -> str:
        async with self._admission:
            while True:
                local_pause = self._paused_until - self._now()
                if local_pause > 0:
                    self.stats.waited_seconds += local_pause
                    await self._sleep(local_pause)
                    continue

                admission = await run_transaction(
                    self._sessions,
                    lambda s: admit(
                        s, self.realm_id, batch=batch, clock=self._now, limits=self.limits, poll=self._poll
                    ),
                )
                if admission.slot_id is not None:
                    self.stats.admitted += 1
                    self.stats.batches += int(batch)
                    self.stats.max_in_flight = max(self.stats.max_in_flight, admission.in_flight)
                    return admission.slot_id
                self.stats.waited_seconds += admission.wait
                await self._sleep(admission.wait)

    async def _finish(self, slot_id: str) -> None:
        try:
            await run_transaction(self._sessions, lambda s: finish(s, slot_id, self._now()))
        except SQLAlchemyError:
            # The request itself went through; unrecorded, its slot counts until QBO's timeout and then expires.
            log.warning(
                "could not record the end of a QuickBooks request to realm %s", self.realm_id, exc_info=True
            )

    def pause(self, seconds: float) -> None:
        """QBO throttled us anyway: hold this process at once and, once written, every other one too."""
        self.stats.throttled += 1
        until = self._now() + max(0.0, seconds)
        self._paused_until = max(self._paused_until, until)
        task = asyncio.get_running_loop().create_task(
            run_transaction(self._sessions, lambda s: pause_realm(s, self.realm_id, until))
        )
        self._pausing.add(task)
        task.add_done_callback(self._pausing.discard)


@dataclass
class SharedLimiterRegistry:
    """One shared limiter per realm for this process; all of them draw from the database's budget."""

    sessions: sessionmaker[Session]
    limits: RateLimits = field(default_factory=RateLimits)
    clock: Clock = system_clock
    sleep: Sleep = asyncio.sleep
    _limiters: dict[str, SharedRealmLimiter] = field(default_factory=dict)

    def for_realm(self, realm_id: str) -> SharedRealmLimiter:
        limiter = self._limiters.get(realm_id)
        if limiter is None:
            limiter = SharedRealmLimiter(
                realm_id, self.sessions, self.limits, clock=self.clock, sleep=self.sleep
            )
            self._limiters[realm_id] = limiter
        return limiter


__all__ = ["Admission", "SharedLimiterRegistry", "SharedRealmLimiter", "admit", "finish", "pause_realm"]
