"""Workers as separate processes: one killed with SIGKILL mid-run and another started finishes the queue
without a duplicate in QBO; and two workers on PostgreSQL drain one queue without pushing anything twice."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from domain.models import SyncJob, SyncJobStatus, SyncRecord
from integrations.quickbooks.sync import realm_lease
from integrations.quickbooks.sync.worker import SyncWorker
from tests.integrations.quickbooks.sync.conftest import Qbo, open_env
from tests.integrations.quickbooks.sync.scenario import Tally, local_writes, seed_catalog, verify_books_agree
from tests.integrations.quickbooks.sync.worker_proc import LEASE

ROOT = Path(__file__).resolve().parents[4]


def _start(db_url: str, qbo: Qbo, realm: str, tenant_id: str, worker_id: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integrations.quickbooks.sync.worker_proc",
            db_url,
            qbo.base,
            realm,
            tenant_id,
            worker_id,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
    return proc


def _count(
    sessions: sessionmaker[Session], tenant_id: str, *statuses: SyncJobStatus, worker: str | None = None
) -> int:
    with sessions() as s:
        query = (
            select(func.count())
            .select_from(SyncJob)
            .where(SyncJob.tenant_id == tenant_id, SyncJob.status.in_(statuses))
        )
        if worker:
            query = query.where(SyncJob.locked_by == worker)
        return int(s.scalar(query) or 0)


async def test_worker_killed_mid_run_and_restarted_loses_and_duplicates_nothing(
    qbo: Qbo, engine: Engine, committing_sessionmaker: sessionmaker[Session]
) -> None:
    db_url = engine.url.render_as_string(hide_password=False)
    async with open_env(qbo, committing_sessionmaker) as env:
        seed_catalog(env, random.Random(4), customers=30, items=8)
        local_writes(env, random.Random(5), 300, Tally(), _never())
        total = _count(env.sessions, env.tenant_id, SyncJobStatus.PENDING)
        qbo.sandbox.set_faults(latency_ms=40.0)  # keeps requests in flight when the kill lands
        try:
            first = _start(db_url, qbo, env.realm, env.tenant_id, "worker-a")
            deadline = time.monotonic() + 60
            # Kill once a third is done, at a moment the worker holds claimed jobs (requests in flight).
            while (
                _count(env.sessions, env.tenant_id, SyncJobStatus.DONE) < total // 3
                or _count(env.sessions, env.tenant_id, SyncJobStatus.RUNNING, worker="worker-a") < 5
            ):
                assert time.monotonic() < deadline and first.poll() is None, "first worker made no progress"
                await asyncio.sleep(0.01)
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
            orphaned = _count(env.sessions, env.tenant_id, SyncJobStatus.RUNNING, worker="worker-a")
            second = _start(db_url, qbo, env.realm, env.tenant_id, "worker-b")
            try:
                deadline = time.monotonic() + 90
                while env.open_jobs():
                    assert time.monotonic() < deadline and second.poll() is None, (
                        f"not drained: {env.open_jobs()[:3]}"
                    )
                    await asyncio.sleep(0.2)
            finally:
                second.terminate()
                second.wait(timeout=10)
        finally:
            qbo.sandbox.set_faults(latency_ms=0.0)
        assert first.returncode == -signal.SIGKILL
        assert orphaned > 0, "the kill should have left jobs mid-flight"
        with env.sessions() as s:
            taken_over = s.scalar(
                select(func.count())
                .select_from(SyncJob)
                .where(SyncJob.tenant_id == env.tenant_id, SyncJob.attempts > 1)
            )
        assert taken_over >= orphaned  # the orphans were picked up again once their lease ran out
        verify_books_agree(env)


class _never:
    """A stop flag that never fires (the writes run to completion before the workers start)."""

    def is_set(self) -> bool:
        return False


async def test_two_workers_on_postgres_never_push_the_same_job_twice(
    qbo: Qbo, engine: Engine, committing_sessionmaker: sessionmaker[Session]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip(
            "SKIP LOCKED claims are a PostgreSQL feature; SQLite's conditional-update claim is tested above"
        )
    async with open_env(qbo, committing_sessionmaker) as env:
        seed_catalog(env, random.Random(8), customers=60, items=10)
        local_writes(env, random.Random(9), 240, Tally(), _never())
        # Without realm leases (which would let one of them own the company): the claim itself is under test.
        a, b = (SyncWorker(env.context(realm_lease=None), poll_interval=0.05, concurrency=6) for _ in "ab")

        async def run(worker: SyncWorker) -> None:
            idle = 0
            while idle < 20:
                if await worker.run_once():
                    idle = 0
                else:
                    idle += 1
                    await asyncio.sleep(0.05)

        await asyncio.gather(run(a), run(b))
        assert not env.open_jobs()
        assert a.stats.claimed > 0 and b.stats.claimed > 0, "both workers should have taken a share"
        # No claim was made by both: each (job, claim time) belongs to one worker.
        assert not set(a.stats.claims) & set(b.stats.claims)
        with env.sessions() as s:
            # Every job was settled by exactly one worker: one "synced" history row per job.
            per_job = Counter(
                s.scalars(
                    select(SyncRecord.job_id).where(
                        SyncRecord.tenant_id == env.tenant_id, SyncRecord.status == "synced"
                    )
                )
            )
        assert per_job and max(per_job.values()) == 1
        verify_books_agree(env)


def _lease_owner(sessions: sessionmaker[Session], tenant_id: str) -> str | None:
    with sessions() as s:
        key = realm_lease.realm_keys(s, [tenant_id])[tenant_id]
        held = realm_lease.holder(s, key)
        return held.owner if held is not None else None


async def test_three_worker_processes_keep_one_realm_limit_and_fail_over(
    qbo: Qbo, engine: Engine, committing_sessionmaker: sessionmaker[Session]
) -> None:
    """Three processes, each with its own limiter of 10 in flight, on one company the emulator throttles at 10 in
    flight: the realm lease lets one talk at a time, so QBO answers no 429; the owner is killed and another
    takes the company over once its lease runs out, and the queue drains without a duplicate."""
    db_url = engine.url.render_as_string(hide_password=False)
    async with open_env(qbo, committing_sessionmaker) as env:
        seed_catalog(env, random.Random(14), customers=40, items=8)
        local_writes(env, random.Random(15), 300, Tally(), _never())
        throttled_before = qbo.sandbox.stats.throttled
        qbo.sandbox.set_faults(latency_ms=40.0)  # requests stay in flight: three talkers would overlap
        procs: dict[str, subprocess.Popen[str]] = {}
        try:
            for name in ("worker-a", "worker-b", "worker-c"):
                procs[name] = _start(db_url, qbo, env.realm, env.tenant_id, name)
            deadline = time.monotonic() + 60
            # Kill the owner once some work is done, at a moment it holds claimed jobs (requests in flight).
            while (
                (owner := _lease_owner(env.sessions, env.tenant_id)) is None
                or _count(env.sessions, env.tenant_id, SyncJobStatus.DONE) < 20
                or _count(env.sessions, env.tenant_id, SyncJobStatus.RUNNING, worker=owner) < 5
            ):
                assert time.monotonic() < deadline, "no worker took the company"
                await asyncio.sleep(0.01)
            os.kill(procs[owner].pid, signal.SIGKILL)
            procs[owner].wait(timeout=10)
            killed_at = time.monotonic()
            while (successor := _lease_owner(env.sessions, env.tenant_id)) in (owner, None):
                assert time.monotonic() < killed_at + 30, "nobody took the company over"
                await asyncio.sleep(0.02)
            taken_after = time.monotonic() - killed_at
            deadline = time.monotonic() + 90
            while env.open_jobs():
                assert time.monotonic() < deadline, f"not drained: {env.open_jobs()[:3]}"
                await asyncio.sleep(0.2)
        finally:
            qbo.sandbox.set_faults(latency_ms=0.0)
            for proc in procs.values():
                if proc.poll() is None:
                    proc.terminate()
                    proc.wait(timeout=10)
        print(
            f"{successor} took the company over {taken_after:.2f}s after {owner} was killed (lease {LEASE})"
        )
        assert successor != owner
        assert qbo.sandbox.stats.throttled == throttled_before, (
            "QBO answered 429: the realm limit did not hold"
        )
        with env.sessions() as s:
            per_job = Counter(
                s.scalars(
                    select(SyncRecord.job_id).where(
                        SyncRecord.tenant_id == env.tenant_id, SyncRecord.status == "synced"
                    )
                )
            )
        assert per_job and max(per_job.values()) == 1
        verify_books_agree(env)
