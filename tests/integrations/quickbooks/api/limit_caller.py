"""One process of QBO callers for the shared-limit test and benchmark: ``workers`` concurrent readers of one
realm through a limiter, from ``start_at`` until ``end_at`` (epoch seconds); prints one JSON line of counts.

    python -m tests.integrations.quickbooks.api.limit_caller DB_URL BASE REALM TOKEN START END WORKERS SCALE MODE

``MODE`` is ``shared`` (the database budget) or ``process`` (a limiter of its own, as before).
"""

from __future__ import annotations

import asyncio
import json
import sys

import httpx

from domain.clock import system_clock
from domain.db import make_engine, make_sessionmaker
from integrations.quickbooks.api.client import QboClient
from integrations.quickbooks.api.errors import QboRateLimited
from integrations.quickbooks.api.ratelimit import Limiter, RateLimits, RealmLimiter
from integrations.quickbooks.api.shared_limiter import SharedRealmLimiter


async def main(argv: list[str]) -> None:
    db_url, base, realm, token, start_at, end_at, workers, scale, mode = argv
    engine = make_engine(db_url)
    limits = RateLimits(time_scale=float(scale))
    limiter: Limiter = (
        SharedRealmLimiter(realm, make_sessionmaker(engine), limits)
        if mode == "shared"
        else RealmLimiter(limits)
    )

    async def provider(*, force_refresh: bool = False) -> str:
        return token

    counts = {"requests": 0, "surfaced_429": 0}
    pool = httpx.Limits(max_connections=int(workers) + 2)
    async with httpx.AsyncClient(limits=pool, timeout=30.0) as http:
        client = QboClient(http, provider, realm, base, limiter=limiter)
        await asyncio.sleep(max(0.0, float(start_at) - system_clock().timestamp()))

        async def caller() -> None:
            # The deadline is checked before each request: at most one per caller starts after it.
            while system_clock().timestamp() < float(end_at):
                try:
                    await client.query("SELECT * FROM Customer STARTPOSITION 1 MAXRESULTS 5")
                except QboRateLimited:
                    counts["surfaced_429"] += 1
                counts["requests"] += 1

        await asyncio.gather(*(caller() for _ in range(int(workers))))
    counts["max_in_flight"] = limiter.stats.max_in_flight
    counts["throttled"] = limiter.stats.throttled
    engine.dispose()
    print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
