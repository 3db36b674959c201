"""Realm leases: one worker owns a company's QBO traffic at a time, renews while it works, and a lease that
runs out is taken over; racing takers get it exactly once; a worker that does not hold it claims nothing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from domain.models import RealmLease
from integrations.quickbooks.sync import realm_lease
from integrations.quickbooks.sync.worker import SyncWorker
from tests.integrations.quickbooks.sync.conftest import Env

T0 = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)
TTL = timedelta(seconds=30)


def _clear(sessions: sessionmaker[Session], key: str) -> None:
    with sessions() as s:
        s.execute(delete(RealmLease).where(RealmLease.realm_key == key))
        s.commit()


def test_one_owner_until_the_lease_runs_out(committing_sessionmaker: sessionmaker[Session]) -> None:
    key = "realm:lease-test-1"
    _clear(committing_sessionmaker, key)
    with committing_sessionmaker() as s:
        assert realm_lease.take(s, key, "a", T0, TTL)
        assert not realm_lease.take(s, key, "b", T0 + timedelta(seconds=29), TTL)
        assert realm_lease.take(s, key, "a", T0 + timedelta(seconds=29), TTL)  # renewed to 59 s
        assert not realm_lease.take(s, key, "b", T0 + timedelta(seconds=45), TTL)
        assert realm_lease.take(
            s, key, "b", T0 + timedelta(seconds=60), TTL
        )  # a stopped renewing: taken over
        assert not realm_lease.take(s, key, "a", T0 + timedelta(seconds=61), TTL)
        realm_lease.release(s, [key], "a")  # not a's to give back
        assert not realm_lease.take(s, key, "a", T0 + timedelta(seconds=62), TTL)
        realm_lease.release(s, [key], "b")
        assert realm_lease.take(s, key, "a", T0 + timedelta(seconds=63), TTL)


def test_racing_takers_get_it_once(committing_sessionmaker: sessionmaker[Session]) -> None:
    key = "realm:lease-test-race"
    _clear(committing_sessionmaker, key)
    winners: list[str] = []
    barrier = threading.Barrier(6)

    def contend(name: str) -> None:
        with committing_sessionmaker() as s:
            barrier.wait()
            for _ in range(20):
                try:
                    if realm_lease.take(s, key, name, T0, TTL):
                        winners.append(name)
                    return
                except Exception:  # SQLite busy past its timeout: try again, as the worker's next round does
                    s.rollback()

    threads = [threading.Thread(target=contend, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1


async def test_a_worker_without_the_lease_claims_nothing(env: Env) -> None:
    holder = SyncWorker(env.context(realm_lease=TTL), poll_interval=0.05)
    waiting = SyncWorker(env.context(realm_lease=TTL), poll_interval=0.05)
    with env.sessions() as s:
        now = datetime.now(UTC)
        keys = realm_lease.realm_keys(s, [env.tenant_id])
        key = keys[env.tenant_id]
        _clear(env.sessions, key)
        assert realm_lease.take(s, key, holder.ctx.worker_id, now, TTL)
        assert waiting.leases is not None
        assert waiting.leases.tenants(s, {env.tenant_id}, now) == frozenset()
        assert holder.leases is not None
        assert holder.leases.tenants(s, {env.tenant_id}, now) == frozenset({env.tenant_id})
    await holder.leases.release_all()
    with env.sessions() as s:
        assert waiting.leases.tenants(s, {env.tenant_id}, datetime.now(UTC)) == frozenset({env.tenant_id})
    await waiting.leases.release_all()
