"""QBO's per-realm limits kept in the database, so every process and machine draws from one budget.

API workers (chat reads, sends), sync workers and the CLI each talk to the same company, and QBO counts all
of them together (500 requests/min, 10/s, 10 in flight, 40 batches/min). Admission is one short transaction
that locks the realm's row (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the transaction's
``BEGIN IMMEDIATE`` already makes writers serial), counts the realm's slots with the same sliding windows as
the in-process :class:`RealmLimiter`, and inserts a slot per request while there is room. When the answer is
in, a later short transaction records it. No transaction is open while a request is in flight.

A process that dies with a request in flight never records its end: the slot then counts as in flight until
QBO's own request timeout (120 s) and in the windows a window after that.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
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
# How often a process looks again while all ten slots are in flight: other processes' answers are not
# announced (an answer in this process wakes it at once).
IN_FLIGHT_POLL_SECONDS = 0.05
# The longest a waiting process goes without a round: its callers' answers are recorded at least this often.
MAX_WAIT_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class Admission:
    slot_ids: list[str]  # one per request admitted, in the order asked; fewer when the windows filled up
    wait: float  # when not all were admitted: how long until there may be room for the next
    in_flight: int  # the realm's requests in flight, across processes, after these admissions


def _lock_realm(session: Session, realm_id: str) -> float:
    """Lock the realm's row (creating it) and return its pause."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(QboRateRealm).values(realm_id=realm_id, paused_until=0.0).on_conflict_do_nothing())
    # The row lock serialises admissions to one realm on PostgreSQL; SQLite's BEGIN IMMEDIATE already has.
    paused = session.scalar(
        select(QboRateRealm.paused_until).where(QboRateRealm.realm_id == realm_id).with_for_update()
    )
    return float(paused or 0.0)


def finish(session: Session, answered: Sequence[tuple[str, float]]) -> None:
    """Answers are in (slot id, when): each slot leaves the in-flight count and stays in the windows until a
    window after its answer."""
    for slot_id, at in answered:
        session.execute(update(QboRateSlot).where(QboRateSlot.id == slot_id).values(done_at=at))


def admit(
    session: Session,
    realm_id: str,
    *,
    batches: Sequence[bool],
    clock: Seconds,
    limits: RateLimits,
    poll: float,
) -> Admission:
    """Take slots for requests to ``realm_id`` (``batches``: whether each is a batch), in order, while every
    window has room; call inside a transaction. Several at once: one transaction serves every waiting caller."""
    paused_until = _lock_realm(session, realm_id)
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
    batch_window = Window(limits.batch_per_minute, limits.minute)
    in_flight = 0
    for admitted_at, done_at, is_batch in rows:
        # A slot nobody answered counts as in flight until QBO's timeout, then as answered at it.
        ended = (
            done_at
            if done_at is not None
            else (admitted_at + timeout if admitted_at + timeout < now else None)
        )
        stamp = Stamp(admitted_at if ended is None else ended)
        stamp.done = ended is not None
        in_flight += int(not stamp.done)
        _count(stamp, admitted_at, is_batch, minute, second, batch_window)
    slot_ids: list[str] = []
    wait = 0.0
    for batch in batches:
        windows = [minute, second] + ([batch_window] if batch else [])
        wait = max([paused_until - now] + [w.wait_time(now) for w in windows])
        if in_flight >= limits.concurrent:
            wait = max(wait, poll)
        if wait > 0:
            break
        slot_id = str(uuid.uuid4())
        session.add(QboRateSlot(id=slot_id, realm_id=realm_id, batch=batch, admitted_at=now))
        _count(Stamp(now), now, batch, minute, second, batch_window)
        in_flight += 1
        slot_ids.append(slot_id)
    return Admission(slot_ids, wait, in_flight)


def _count(
    stamp: Stamp, admitted_at: float, batch: bool, minute: Window, second: Window, batches: Window
) -> None:
    minute.add(stamp)
    if batch:
        batches.add(stamp)
    # The one-second window counts admissions, as the in-process limiter does.
    sent = Stamp(admitted_at)
    sent.done = True
    second.add(sent)


def pause_realm(session: Session, realm_id: str, until: float) -> None:
    paused_until = _lock_realm(session, realm_id)
    session.execute(
        update(QboRateRealm)
        .where(QboRateRealm.realm_id == realm_id)
        .values(paused_until=max(paused_until, until))
    )


class SharedRealmLimiter:
    """Admission for one realm from the database budget; the interface of :class:`RealmLimiter`.

    Callers of this process queue in order; one task serves the queue, each transaction admitting as many of
    them as the windows allow and recording the answers that came in since the last one. So a process costs
    the database one short transaction per round, not two per request, however many callers it has.
    """

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
        self._in_flight = asyncio.Semaphore(self.limits.concurrent)
        self._waiting: deque[tuple[bool, asyncio.Future[str]]] = deque()
        self._answered: list[tuple[str, float]] = []
        self._server: asyncio.Task[None] | None = None
        self._answer_came = asyncio.Event()
        self._paused_until = 0.0
        self._pausing: set[asyncio.Task[None]] = set()
        self.stats = LimiterStats()

    def _now(self) -> float:
        return self._clock().timestamp()

    @asynccontextmanager
    async def slot(self, *, batch: bool = False) -> AsyncIterator[None]:
        async with self._in_flight:
            admitted: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            self._waiting.append((batch, admitted))
            self._serve()
            try:
                slot_id = await admitted
            except asyncio.CancelledError:
                if admitted.done() and not admitted.cancelled() and admitted.exception() is None:
                    self._answer(admitted.result())  # admitted as the caller gave up: hand the slot back
                raise
            try:
                yield
            finally:
                self._answer(slot_id)

    def _answer(self, slot_id: str) -> None:
        self._answered.append((slot_id, self._now()))
        self._answer_came.set()
        self._serve()

    def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        # A task left on a loop that has closed since (one ``asyncio.run`` per command) serves nobody.
        if self._server is not None and self._server.get_loop() is not loop:
            self._server, self._answer_came = None, asyncio.Event()
        if self._server is None or self._server.done():
            self._server = loop.create_task(self._serve_queue())

    async def _serve_queue(self) -> None:
        try:
            while self._waiting or self._answered:
                await self._round()
        except SQLAlchemyError as exc:
            # The callers see the database's failure; answers not recorded run out at QBO's timeout.
            log.warning("QuickBooks request budget unavailable for realm %s", self.realm_id, exc_info=True)
            self._answered.clear()
            while self._waiting:
                _, admitted = self._waiting.popleft()
                if not admitted.done():
                    admitted.set_exception(exc)
        finally:
            while self._waiting:  # only on a bug: no caller may wait forever
                self._waiting.popleft()[1].cancel()

    async def _round(self) -> None:
        while self._waiting and self._waiting[0][1].done():  # its caller was cancelled
            self._waiting.popleft()
        answered, self._answered = self._answered, []
        waiting = list(self._waiting)
        local_pause = self._paused_until - self._now()
        if not waiting or local_pause > 0:
            if answered:
                await run_transaction(self._sessions, lambda s: finish(s, answered))
            if waiting:
                self.stats.waited_seconds += local_pause
                await self._sleep(min(local_pause, MAX_WAIT_SECONDS))
            return

        def work(session: Session) -> Admission:
            finish(session, answered)
            return admit(
                session,
                self.realm_id,
                batches=[batch for batch, _ in waiting],
                clock=self._now,
                limits=self.limits,
                poll=self._poll,
            )

        admission = await run_transaction(self._sessions, work)
        for slot_id in admission.slot_ids:
            batch, admitted = self._waiting.popleft()
            if admitted.done():  # cancelled while the transaction ran: the slot is answered at once
                self._answered.append((slot_id, self._now()))
                continue
            admitted.set_result(slot_id)
            self.stats.admitted += 1
            self.stats.batches += int(batch)
        self.stats.max_in_flight = max(self.stats.max_in_flight, admission.in_flight)
        if len(admission.slot_ids) < len(waiting):
            # Waits are cut short now and then so the answers of this process reach the others meanwhile.
            wait = min(admission.wait, MAX_WAIT_SECONDS)
            self.stats.waited_seconds += wait
            await self._nap(wait)

    async def _nap(self, seconds: float) -> None:
        """Sleep, or less: an answer in this process may be the room the next caller waits for."""
        self._answer_came.clear()
        sleeping = asyncio.ensure_future(self._sleep(seconds))
        answer = asyncio.ensure_future(self._answer_came.wait())
        _, pending = await asyncio.wait({sleeping, answer}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()

    async def flush(self) -> None:
        """Return once every answer so far is recorded and every pause written (a stopping process calls it)."""
        while self._server is not None and not self._server.done():
            await asyncio.shield(self._server)
        if self._pausing:
            await asyncio.gather(*self._pausing)

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
