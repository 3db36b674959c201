"""A sync worker in a process of its own, for the test that kills one mid-run (SIGKILL) and starts another.

python -m tests.integrations.quickbooks.sync.worker_proc DB_URL SANDBOX_URL REALM WORKER_ID
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

import httpx

import domain.models  # noqa: F401 - registers every table
from domain.db import make_engine, make_sessionmaker
from domain.services.sync_policy import RetrySchedule, SyncPolicy
from integrations.quickbooks.api.client import QboClient
from integrations.quickbooks.api.ratelimit import RateLimits, RealmLimiter
from integrations.quickbooks.api.retry import RetryPolicy
from integrations.quickbooks.sync.sync_context import SyncContext
from integrations.quickbooks.sync.worker import SyncWorker

LEASE = timedelta(seconds=2)


def fast(policy: SyncPolicy) -> SyncPolicy:
    return SyncPolicy(
        default_strategy=policy.default_strategy,
        strategies=policy.strategies,
        retry=RetrySchedule(max_retries=5, window=timedelta(seconds=2)),
    )


async def main(db_url: str, base: str, realm: str, tenant_id: str, worker_id: str) -> None:
    sessions = make_sessionmaker(make_engine(db_url))
    limiter = RealmLimiter(RateLimits(time_scale=60.0))
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=2.0)) as http:
        tokens = (await http.post(f"{base}/_sandbox/realms/{realm}/tokens", json={})).json()

        async def provider(*, force_refresh: bool = False) -> str:
            return str(tokens["access_token"])

        async def clients(_tenant_id: str) -> QboClient:
            retry = RetryPolicy(max_attempts=3, base_delay=0.02, max_delay=0.2)
            return QboClient(http, provider, realm, base, limiter=limiter, retry=retry)

        ctx = SyncContext(
            sessions,
            clients,
            worker_id=worker_id,
            lease=LEASE,
            realm_lease=LEASE,
            cdc_interval=None,
            dependency_delay=timedelta(seconds=0.2),
            policy_override=fast,
            tenant_ids=frozenset({tenant_id}),  # the test database also holds other tests' tenants
        )
        print("ready", flush=True)
        await SyncWorker(ctx, poll_interval=0.05).run()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
