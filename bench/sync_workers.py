"""Three sync worker processes pushing to one QBO company: what they reach together against QBO's batch bound
(30 per batch × 40 batches/min), how many 429s QBO answered, and how long the company waited for a new owner
after its owner was killed. Each process has its own limiter; the realm lease makes one of them the company's
only talker. It measures and prints; it asserts nothing.

    python bench/sync_workers.py --database-url postgresql+psycopg://... [--push 3000] [--compression 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import domain.models  # noqa: E402,F401 - registers every table
from domain.db import Base, make_engine, make_sessionmaker  # noqa: E402
from domain.models import Customer, SyncJob, SyncJobStatus  # noqa: E402
from domain.services.outbox import enqueue_sync  # noqa: E402
from domain.services.tenants import create_tenant  # noqa: E402
from integrations.quickbooks.api.client import QboClient  # noqa: E402
from integrations.quickbooks.api.ratelimit import RateLimits, RealmLimiter  # noqa: E402
from integrations.quickbooks.api.retry import RetryPolicy  # noqa: E402
from integrations.quickbooks.sandbox.app import create_sandbox_app  # noqa: E402
from integrations.quickbooks.sandbox.config import RateLimits as SandboxLimits  # noqa: E402
from integrations.quickbooks.sandbox.config import RealmSeed, SandboxConfig  # noqa: E402
from integrations.quickbooks.sandbox.server import run_sandbox_server  # noqa: E402
from integrations.quickbooks.sync import realm_lease  # noqa: E402
from integrations.quickbooks.sync.sync_context import SyncContext  # noqa: E402
from integrations.quickbooks.sync.worker import SyncWorker  # noqa: E402

PER_MINUTE, CONCURRENT, BATCH_PER_MINUTE, BATCH_ITEMS = 500, 10, 40, 30
LEASE = timedelta(seconds=3)


def limits(compression: float) -> RateLimits:
    return RateLimits(
        per_minute=PER_MINUTE,
        per_second=10_000,
        concurrent=CONCURRENT,
        batch_per_minute=BATCH_PER_MINUTE,
        time_scale=compression,
    )


async def worker(db_url: str, base: str, realm: str, token: str, name: str, compression: float) -> None:
    sessions = make_sessionmaker(make_engine(db_url))
    limiter = RealmLimiter(limits(compression))
    async with httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=5.0)) as http:

        async def provider(*, force_refresh: bool = False) -> str:
            return token

        async def clients(_tenant: str) -> QboClient:
            retry = RetryPolicy(max_attempts=6, base_delay=0.05, max_delay=60.0 / compression)
            return QboClient(http, provider, realm, base, limiter=limiter, retry=retry)

        ctx = SyncContext(
            sessions, clients, worker_id=name, cdc_interval=None, lease=LEASE * 4, realm_lease=LEASE
        )
        print("ready", flush=True)
        # Every process starts together: one that started early would push alone while the others load.
        await asyncio.to_thread(sys.stdin.readline)
        await SyncWorker(ctx, claim_size=300, concurrency=CONCURRENT, poll_interval=0.05).run()


def _open(sessions: object, tenant_id: str) -> int:
    with sessions() as s:  # type: ignore[operator]
        return int(
            s.query(SyncJob)
            .filter(SyncJob.tenant_id == tenant_id, SyncJob.status != SyncJobStatus.DONE)
            .count()
        )


def _owner(sessions: object, tenant_id: str) -> str | None:
    with sessions() as s:  # type: ignore[operator]
        key = realm_lease.realm_keys(s, [tenant_id])[tenant_id]
        held = realm_lease.holder(s, key)
        return held.owner if held is not None else None


def main_run(db_url: str, push: int, compression: float, workers: int, kill: bool) -> None:
    minute = 60.0 / compression
    config = SandboxConfig(
        realms=[RealmSeed(source="empty")],
        limits=SandboxLimits(
            per_minute=PER_MINUTE,
            concurrent=CONCURRENT,
            batch_per_minute=BATCH_PER_MINUTE,
            time_compression=compression,
        ),
    )
    app = create_sandbox_app(config)
    sandbox = app.state.sandbox
    realm = sandbox.default_realm_id
    engine = make_engine(db_url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    sessions = make_sessionmaker(engine)
    with sessions() as s:
        tenant_id = create_tenant(s, "Bench Plumbing").id
        for i in range(push):
            c = Customer(
                tenant_id=tenant_id, display_name=f"Bench Customer {i:05d}", email=f"n{i}@example.com"
            )
            s.add(c)
            s.flush()
            enqueue_sync(s, tenant_id, "customer", c.id)
        s.commit()
    token = sandbox.issue_tokens(realm, None, "com.intuit.quickbooks.accounting")["access_token"]
    with run_sandbox_server(app) as base:
        args = [db_url, base, realm, str(token)]
        procs = {}
        for i in range(workers):
            name = f"worker-{chr(97 + i)}"
            procs[name] = subprocess.Popen(
                [sys.executable, __file__, "--as-worker", *args, name, str(compression)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert procs[name].stdout is not None and procs[name].stdout.readline().strip() == "ready"
        for proc in procs.values():
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        t0 = time.perf_counter()
        killed: str | None = None
        takeover: float | None = None
        killed_at = 0.0
        while _open(sessions, tenant_id):
            owner = _owner(sessions, tenant_id)
            if kill and killed is None and owner and _open(sessions, tenant_id) < push // 2:
                os.kill(procs[owner].pid, signal.SIGKILL)
                killed, killed_at = owner, time.perf_counter()
            elif killed and takeover is None and owner not in (None, killed):
                takeover = time.perf_counter() - killed_at
            time.sleep(0.05)
        elapsed = time.perf_counter() - t0
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=10)
    qbo_minutes = elapsed / minute
    rate = push / qbo_minutes
    bound = BATCH_ITEMS * BATCH_PER_MINUTE
    print(
        f"{workers} worker processes on {engine.dialect.name}: {push} records pushed in {elapsed:.1f}s "
        f"(= {qbo_minutes:.2f} QBO minutes), {sandbox.stats.requests} requests, "
        f"{sandbox.stats.throttled} answered 429 by QBO"
    )
    print(f"  {rate:,.0f} records/QBO-minute together; bound {bound:,}/min -> {rate / bound:.0%} of it")
    if killed:
        wait = f"{takeover:.2f}s" if takeover is not None else "not seen"
        print(f"  {killed} killed mid-run; another took the company over after {wait} (lease {LEASE})")
    engine.dispose()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--as-worker":
        db_url, base, realm, token, name, compression = sys.argv[2:8]
        asyncio.run(worker(db_url, base, realm, token, name, float(compression)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--push", type=int, default=3000)
    parser.add_argument("--compression", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--no-kill", action="store_true", help="do not kill the owner mid-run")
    args = parser.parse_args()
    main_run(args.database_url, args.push, args.compression, args.workers, not args.no_kill)


if __name__ == "__main__":
    main()
