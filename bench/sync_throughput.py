"""Sync throughput under QBO's limits: the initial import of a generated 50 000-record company, and a push of
5 000 local changes through the sync worker.

The emulator enforces QBO's throttles (500 requests/min, 10 in flight, 40 batches/min of up to 30 items), with
time optionally compressed: a QBO "minute" then lasts 60/compression seconds. It measures and prints; it asserts
nothing.

Import: the bound is what QBO's limits allow a client to read, 500 requests/min × 1,000 rows per page = 500,000
rows per QBO minute, which at QBO's real speed (``--import-compression 1``, the default) is 8,333 rows/s of wall
time. The import is printed against that bound twice: while fetching, and end to end with saving (the figure
that counts: rows are only imported once they are stored). At 50 pages the throttle cannot bite, so compressing
time there would only raise the bound past what any one process can parse and store.

Push: 30 per batch × 40 batches/min, with time compressed ``--compression`` times (default 20).

    python bench/sync_throughput.py [--records 50000] [--push 5000] [--import-compression 1] [--compression 20]
                                    [--database-url URL]

Without ``--database-url`` it runs on a fresh SQLite file; a PostgreSQL URL names a server database to create
the tables in (it must be empty or hold only a previous bench run's tenant). The emulator runs in this process,
so its time to answer a page is part of the fetch time here (a real QBO answers on its own machines).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import domain.models  # noqa: E402,F401 - registers every table
from domain.context import Actor  # noqa: E402
from domain.db import Base, make_engine, make_sessionmaker  # noqa: E402
from domain.models import Customer, Role, SyncJob, SyncJobStatus  # noqa: E402
from domain.services.outbox import enqueue_sync  # noqa: E402
from domain.services.sync_mappings import MappingIn, save_mappings  # noqa: E402
from domain.services.tenants import create_tenant  # noqa: E402
from integrations.quickbooks.api.client import QboClient  # noqa: E402
from integrations.quickbooks.api.ratelimit import RateLimits, RealmLimiter  # noqa: E402
from integrations.quickbooks.api.retry import RetryPolicy  # noqa: E402
from integrations.quickbooks.sandbox.app import create_sandbox_app  # noqa: E402
from integrations.quickbooks.sandbox.config import RateLimits as SandboxLimits  # noqa: E402
from integrations.quickbooks.sandbox.config import RealmSeed, SandboxConfig  # noqa: E402
from integrations.quickbooks.sandbox.server import run_sandbox_server  # noqa: E402
from integrations.quickbooks.sync.initial_import import initial_import  # noqa: E402
from integrations.quickbooks.sync.sync_context import SyncContext  # noqa: E402
from integrations.quickbooks.sync.worker import SyncWorker  # noqa: E402

PER_MINUTE = 500
BATCH_PER_MINUTE = 40
BATCH_ITEMS = 30
PAGE = 1000
# The generated company: lists first, then documents that refer to them (sums to --records).
SHARES = {
    "Customer": 0.16,
    "Vendor": 0.02,
    "Item": 0.02,
    "Estimate": 0.10,
    "Invoice": 0.44,
    "Payment": 0.16,
    "Bill": 0.10,
}


def generate(sandbox: object, realm: str, records: int) -> dict[str, int]:
    counts = {entity: max(1, int(records * share)) for entity, share in SHARES.items()}
    counts["Invoice"] += records - sum(counts.values())
    for i, (entity, n) in enumerate(counts.items()):
        sandbox.generate(realm, entity, n, seed=100 + i)  # type: ignore[attr-defined]
    return counts


async def run(
    records: int, push: int, compression: float, database_url: str | None, import_compression: float = 1.0
) -> None:
    minute = 60.0 / compression
    config = SandboxConfig(
        realms=[RealmSeed(source="empty")],
        limits=SandboxLimits(
            per_minute=PER_MINUTE,
            concurrent=10,
            batch_per_minute=BATCH_PER_MINUTE,
            time_compression=import_compression,
        ),
    )
    app = create_sandbox_app(config)
    sandbox = app.state.sandbox
    realm = sandbox.default_realm_id
    started = time.perf_counter()
    generated = generate(sandbox, realm, records)
    print(
        f"generated {sum(generated.values())} records in QBO in {time.perf_counter() - started:.1f}s: {generated}"
    )
    with tempfile.TemporaryDirectory() as tmp, run_sandbox_server(app) as base:
        engine = make_engine(database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
        Base.metadata.drop_all(engine)
        Base.metadata.create_all(engine)
        print(f"database: {engine.dialect.name}")
        sessions = make_sessionmaker(engine)
        with sessions() as s:
            tenant = create_tenant(s, "Bench Plumbing")
            actor = Actor(tenant_id=tenant.id, user_id=None, role=Role.OWNER, name="bench")
            save_mappings(s, actor, [MappingIn("revenue", "default", "*", "5", "Services")])
            s.commit()
            tenant_id = tenant.id
        token = sandbox.issue_tokens(realm, None, "com.intuit.quickbooks.accounting")["access_token"]
        limiter = RealmLimiter(
            RateLimits(
                per_minute=PER_MINUTE,
                per_second=10_000,
                concurrent=10,
                batch_per_minute=BATCH_PER_MINUTE,
                time_scale=compression,
            )
        )
        timings: list[float] = []

        async def started(request: httpx.Request) -> None:
            request.extensions["bench_t0"] = time.perf_counter()

        async def answered(response: httpx.Response) -> None:
            timings.append(time.perf_counter() - response.request.extensions["bench_t0"])

        hooks = {"request": [started], "response": [answered]}
        async with httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=5.0), event_hooks=hooks) as http:

            async def provider(*, force_refresh: bool = False) -> str:
                return str(token)

            realms = {"target": realm}

            async def clients(_tenant: str) -> QboClient:
                return QboClient(
                    http,
                    provider,
                    realms["target"],
                    base,
                    limiter=limiter,
                    retry=RetryPolicy(max_attempts=6, base_delay=0.05, max_delay=minute),
                )

            # ---- initial import ------------------------------------------------------------------------
            import_minute = 60.0 / import_compression
            import_client = QboClient(
                http,
                provider,
                realm,
                base,
                limiter=RealmLimiter(
                    RateLimits(
                        per_minute=PER_MINUTE,
                        per_second=10_000,
                        concurrent=10,
                        batch_per_minute=BATCH_PER_MINUTE,
                        time_scale=import_compression,
                    )
                ),
                retry=RetryPolicy(max_attempts=6, base_delay=0.05, max_delay=import_minute),
            )
            requests_before = sandbox.stats.requests
            t0, cpu0 = time.perf_counter(), time.process_time()
            fetched_at = {"t": t0}

            def progress(entity: str, done: int, total: int | None) -> None:
                if entity != "saving":
                    fetched_at["t"] = time.perf_counter()

            result = await initial_import(import_client, sessions, tenant_id, on_progress=progress)
            t_fetch = fetched_at["t"] - t0
            t_total = time.perf_counter() - t0
            cpu = time.process_time() - cpu0
            requests = sandbox.stats.requests - requests_before
            rows = result.total_fetched
            bound = PAGE * PER_MINUTE  # rows per QBO minute
            bound_per_s = bound / import_minute
            fetching, saved = rows / t_fetch, rows / t_total  # rows per second of wall time
            print(
                f"\ninitial import (time compressed {import_compression:g}x; a QBO minute = {import_minute:g}s): "
                f"{rows} records, {requests} requests, {t_fetch:.1f}s fetching, {t_total:.1f}s with saving "
                f"(fetch and save overlap), {cpu:.1f}s of CPU in this process (client, emulator and database)"
            )
            print(
                f"  bound: {PER_MINUTE} requests/min x {PAGE:,} rows per page = {bound:,} rows per QBO minute "
                f"= {bound_per_s:,.0f} rows/s here"
            )
            print(
                f"  fetching only: {fetching:,.0f} rows/s = {fetching / bound_per_s:.1%} of the bound; "
                f"{requests / (t_fetch / import_minute):,.0f} requests/QBO-minute (fewer than 500 requests in "
                "a minute are never throttled, so a short import can fetch faster than the bound)"
            )
            print(
                f"  with saving:   {saved:,.0f} rows/s = {saved / bound_per_s:.1%} of the bound "
                f"(the import's figure: a row counts once it is stored)"
            )
            page_time = sum(timings) / max(1, len(timings))
            print(
                f"  the emulator answered a page in {page_time:.2f}s on average with up to 10 in flight "
                "(time in the client and the emulator, which share this process)"
            )
            # The push runs at its own compression.
            sandbox.throttle.limits = sandbox.throttle.limits.model_copy(
                update={"time_compression": compression}
            )

            # ---- push ------------------------------------------------------------------------------------
            # Into a company of its own: the emulator writes one request at a time and slows down as a company
            # grows, which would measure the emulator rather than the sync.
            realms["target"] = sandbox.seed_realm(None, source="empty", company_name="Bench push")
            token = sandbox.issue_tokens(realms["target"], None, "com.intuit.quickbooks.accounting")[
                "access_token"
            ]
            with sessions() as s:
                for i in range(push):
                    c = Customer(
                        tenant_id=tenant_id,
                        display_name=f"Bench New Customer {i:05d}",
                        email=f"n{i}@example.com",
                    )
                    s.add(c)
                    s.flush()
                    enqueue_sync(s, tenant_id, "customer", c.id)
                s.commit()
            requests_before, batches_before = sandbox.stats.requests, limiter.stats.batches
            timings.clear()
            ctx = SyncContext(sessions, clients, cdc_interval=None, lease=timedelta(minutes=10))
            worker = SyncWorker(ctx, claim_size=300, concurrency=10)
            t0 = time.perf_counter()
            # The worker's own loop: it claims the next round while the current one's batches are in flight.
            await worker.run(idle_exit=True)
            elapsed = time.perf_counter() - t0
            with sessions() as s:
                done = (
                    s.query(SyncJob)
                    .filter(SyncJob.tenant_id == tenant_id, SyncJob.status == SyncJobStatus.DONE)
                    .count()
                )
            qbo_minutes = elapsed / minute
            rate = done / qbo_minutes
            bound = BATCH_ITEMS * BATCH_PER_MINUTE
            print(
                f"\npush: {done}/{push} records pushed in {elapsed:.1f}s (= {qbo_minutes:.2f} QBO minutes), "
                f"{sandbox.stats.requests - requests_before} requests, {limiter.stats.batches - batches_before} batches, "
                f"{sandbox.stats.throttled} throttled answers"
            )
            print(
                f"  {rate:,.0f} records/QBO-minute; bound {bound:,}/min (30 per batch × 40 batches/min) "
                f"-> {rate / bound:.0%} of it"
            )
            batch_time = sum(timings) / max(1, len(timings))
            print(
                f"  the emulator answered a batch in {batch_time:.2f}s on average with up to 10 in flight "
                "(it applies writes one at a time, so its own speed on a big company is part of this figure)"
            )
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--push", type=int, default=5_000)
    parser.add_argument(
        "--compression", type=float, default=20.0, help="time compression of the push phase (default 20)"
    )
    parser.add_argument(
        "--import-compression",
        type=float,
        default=1.0,
        help="time compression of the import phase (default 1: QBO's real speed, the bound that counts)",
    )
    parser.add_argument("--database-url", default=None, help="SQLAlchemy URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    asyncio.run(run(args.records, args.push, args.compression, args.database_url, args.import_compression))


if __name__ == "__main__":
    main()
