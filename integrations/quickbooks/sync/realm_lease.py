"""One sync worker at a time owns a QBO company's traffic: a lease row per realm, taken by one atomic upsert.

QBO's throttles are per realm (500 requests/min, 10 in flight); every process draws its requests from the
realm's budget in the database (``api/shared_limiter.py``), and the lease keeps the sync work of a realm on one
worker so two workers never pull or push the same company at once. The owner renews the lease while it works;
a worker that dies stops renewing, and once the lease has run out another worker takes the realm over (its
claimed jobs come back on their own lease).

The take is ``INSERT … ON CONFLICT DO UPDATE … WHERE owner = me OR expires_at < now RETURNING owner``: one
statement, atomic on PostgreSQL and on SQLite alike. SQLite deployments run one worker: there the lease has a
single key for the whole database, so a second worker waits (and says so) until the first stops or dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from domain.models.connection import QboConnection
from domain.models.sync import RealmLease
from integrations.quickbooks.sync.background import running

log = logging.getLogger(__name__)
SQLITE_KEY = "sqlite:one-worker"
Sessions = Callable[[], Session]


def take(session: Session, key: str, owner: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease on ``key`` for ``owner``; whether ``owner`` holds it now (committed)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(RealmLease)
        .values(realm_key=key, owner=owner, expires_at=now + ttl)
        .on_conflict_do_update(
            index_elements=[RealmLease.realm_key],
            set_={"owner": owner, "expires_at": now + ttl},
            where=(RealmLease.owner == owner) | (RealmLease.expires_at < now),
        )
        .returning(RealmLease.owner)
    )
    held = session.execute(statement).scalar()
    session.commit()
    return held == owner


def holder(session: Session, key: str) -> RealmLease | None:
    return session.get(RealmLease, key, populate_existing=True)


def release(session: Session, keys: Collection[str], owner: str) -> None:
    """Give the leases back (a clean stop): another worker need not wait for them to run out."""
    if keys:
        session.execute(
            delete(RealmLease).where(RealmLease.realm_key.in_(list(keys)), RealmLease.owner == owner)
        )
        session.commit()


def realm_keys(session: Session, tenant_ids: Collection[str]) -> dict[str, str]:
    """tenant -> the key of the realm it talks to (a tenant not connected yet is leased by its own id)."""
    if session.get_bind().dialect.name != "postgresql":
        return dict.fromkeys(tenant_ids, SQLITE_KEY)
    query = select(QboConnection.tenant_id, QboConnection.realm_id).where(
        QboConnection.tenant_id.in_(list(tenant_ids))
    )
    connected = {tenant_id: realm_id for tenant_id, realm_id in session.execute(query)}
    return {t: f"realm:{connected[t]}" if t in connected else f"tenant:{t}" for t in tenant_ids}


def take_all(session: Session, keys: Collection[str], owner: str, now: datetime, ttl: timedelta) -> set[str]:
    """The keys of ``keys`` this worker holds after trying each; a key held elsewhere is logged, not waited on."""
    held: set[str] = set()
    for key in sorted(set(keys)):
        if take(session, key, owner, now, ttl):
            held.add(key)
            continue
        other = holder(session, key)
        if other is not None:
            if key == SQLITE_KEY:
                log.warning(
                    "another sync worker (%s) is running on this SQLite database; SQLite deployments run one "
                    "worker, so this one waits until that one stops or its lease runs out at %s",
                    other.owner,
                    other.expires_at,
                )
            else:
                log.info("%s is worked by %s until %s", key, other.owner, other.expires_at)
    return held


class LeaseKeeper:
    """The realm leases one worker holds: taken for the tenants it is about to work, renewed while it works."""

    def __init__(self, owner: str, ttl: timedelta, clock: Callable[[], datetime], sessions: Sessions) -> None:
        self.owner = owner
        self.ttl = ttl
        self.clock = clock
        self.sessions = sessions
        # A thread of its own: renewals must not queue behind the round's database work in the shared pool,
        # or a busy owner would miss its renewal and lose the realm while it is still talking to it.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="realm-lease")
        self.held: set[str] = set()
        self.shut_out = False  # the last round found work, all of it in realms other workers hold
        self.taken_over: frozenset[str] = frozenset()  # tenants whose realm the last look newly took

    def idle_wait(self, poll_interval: float) -> float:
        """How long an idle worker waits: a shut-out one looks again every sixth of a lease, not every poll, so
        it does not load the database its owner is working, yet takes a dead owner's company soon after its lease
        runs out (the owner renews every third, so a lease runs out two to three thirds after its owner died)."""
        return max(poll_interval, self.ttl.total_seconds() / 6) if self.shut_out else poll_interval

    def tenants(self, session: Session, due: set[str], now: datetime) -> frozenset[str]:
        """Of the tenants in ``due``, those whose realm this worker holds now (taking or renewing each lease)."""
        if not due:
            self.shut_out = False
            self.taken_over = frozenset()
            return frozenset()
        keys = realm_keys(session, due)
        held = take_all(session, keys.values(), self.owner, now, self.ttl)
        taken = held - self.held
        self.held = (self.held | held) - (set(keys.values()) - held)
        self.shut_out = not held
        self.taken_over = frozenset(t for t, key in keys.items() if key in taken)
        return frozenset(t for t, key in keys.items() if key in held)

    async def renew_forever(self) -> None:
        """Renew the held leases every third of their length (a round can outlast a lease); a lost one is logged."""
        while True:
            await asyncio.sleep(self.ttl.total_seconds() / 3)
            keys = set(self.held)

            def renew(session: Session, keys: set[str] = keys) -> set[str]:
                now = self.clock()
                return {k for k in keys if take(session, k, self.owner, now, self.ttl)}

            kept = await self.db(renew)
            for key in keys - kept:
                log.warning("sync worker %s lost its lease on %s", self.owner, key)
            self.held -= keys - kept

    async def db(self, fn: Callable[[Session], Any]) -> Any:
        def run() -> Any:
            with self.sessions() as session:
                return fn(session)

        return await asyncio.get_running_loop().run_in_executor(self._thread, run)

    def renewing(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Renew in the background for the length of the block."""
        return running(self.renew_forever)

    async def release_all(self) -> None:
        """Hand the held realms back at once (a clean stop), so another worker need not wait out the lease."""
        keys, self.held = set(self.held), set()
        await self.db(lambda s: release(s, keys, self.owner))


__all__ = ["SQLITE_KEY", "LeaseKeeper", "holder", "realm_keys", "release", "take", "take_all"]
