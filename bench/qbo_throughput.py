"""QBO client throughput against the emulator enforcing QBO's limits (500 requests/min, 10 in flight, 40 batches/min).

Three workloads, each on a fresh emulator with time compressed (a "minute" lasts 60/compression seconds):
paged pull (SELECT ... STARTPOSITION/MAXRESULTS), single-entity create push, and batch create push (30 per
batch). Each prints requests and entities per (QBO) minute, the share of the limit's bound that was reached,
how many 429s the emulator answered (absorbed by the client) and how many reached a caller. It measures and
prints; it asserts nothing about time.

The paged pull also prints this process's CPU per request: decoding pages of JSON is most of it.

    python bench/qbo_throughput.py [--compression 4] [--minutes 2] [--workers 12] [--page-size 100] [--pull-only]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from integrations.quickbooks.api.batch import BatchOp  # noqa: E402
from integrations.quickbooks.api.client import QboClient  # noqa: E402
from integrations.quickbooks.api.errors import QboRateLimited  # noqa: E402
from integrations.quickbooks.api.ratelimit import RateLimits, RealmLimiter  # noqa: E402
from integrations.quickbooks.sandbox.config import RateLimits as SandboxLimits  # noqa: E402
from integrations.quickbooks.sandbox.config import SandboxConfig  # noqa: E402

PER_MINUTE = 500
CONCURRENT = 10
BATCH_PER_MINUTE = 40
BATCH_SIZE = 30


@dataclass
class Tally:
    requests: int = 0
    entities: int = 0
    surfaced_429: int = 0
    other_errors: int = 0


@dataclass(frozen=True)
class Result:
    name: str
    minutes: float
    tally: Tally
    throttled_by_server: int
    request_bound: int  # requests per minute the binding limit allows
    entity_bound: int
    cpu_seconds: float  # this (client) process's CPU while the workload ran; the emulator has its own process
    answered: int  # every request the client sent, before or after the deadline

    def line(self) -> str:
        rpm = self.tally.requests / self.minutes
        epm = self.tally.entities / self.minutes
        return (
            f"{self.name:<18} {rpm:8.1f} req/min ({rpm / self.request_bound:6.1%} of {self.request_bound})"
            f" {epm:9.1f} entities/min ({epm / self.entity_bound:6.1%} of {self.entity_bound})"
            f"  429 answered: {self.throttled_by_server:3d}  429 surfaced: {self.tally.surfaced_429}"
            f"  other errors: {self.tally.other_errors}"
            f"  client CPU: {1000 * self.cpu_seconds / max(1, self.answered):.2f} ms/request"
        )


# (client, tally, worker number, deadline): one unit of work, stopping at the deadline.
Work = Callable[[QboClient, Tally, int, float], Awaitable[None]]


# The emulator runs in its own process so its CPU does not compete with the client's for one interpreter.
_SERVER = """
import sys, uvicorn
from integrations.quickbooks.sandbox.app import create_sandbox_app
from integrations.quickbooks.sandbox.config import SandboxConfig
config = SandboxConfig.model_validate_json(sys.argv[1])
uvicorn.run(create_sandbox_app(config), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning",
            access_log=False, http="h11")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def emulator_process(config: SandboxConfig) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVER, config.model_dump_json(), str(port)], cwd=ROOT, env={**os.environ}
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/_sandbox/realms", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None:
                raise RuntimeError("the emulator process exited")
            time.sleep(0.05)
        else:
            raise RuntimeError("the emulator did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def run_workload(
    name: str,
    work: Work,
    *,
    args: argparse.Namespace,
    request_bound: int,
    entity_bound: int,
    seed_customers: int = 0,
) -> Result:
    limits = SandboxLimits(
        per_minute=PER_MINUTE,
        concurrent=CONCURRENT,
        batch_per_minute=BATCH_PER_MINUTE,
        time_compression=args.compression,
    )
    window = 60.0 / args.compression
    pool = httpx.Limits(max_connections=args.workers + 4, max_keepalive_connections=args.workers + 4)
    with emulator_process(SandboxConfig(limits=limits)) as base:
        async with httpx.AsyncClient(limits=pool, timeout=30.0) as http:
            realm = (await http.get(f"{base}/_sandbox/realms")).json()["realms"][0]
            if seed_customers:
                seed = {"entity": "Customer", "count": seed_customers, "seed": 7}
                await http.post(f"{base}/_sandbox/realms/{realm}/generate", json=seed, timeout=120.0)
            issued = await http.post(f"{base}/_sandbox/realms/{realm}/tokens", json={})
            token = str(issued.json()["access_token"])

            async def provider(*, force_refresh: bool = False) -> str:
                return token

            limiter = RealmLimiter(RateLimits(time_scale=args.compression, margin_seconds=args.margin))
            client = QboClient(http, provider, realm, base, limiter=limiter)
            tally = Tally()
            loop = asyncio.get_running_loop()
            deadline = time.monotonic() + args.minutes * window
            admitted: list[int] = []
            # Only requests QBO could count inside the measured minutes: those admitted before the deadline.
            loop.call_at(loop.time() + args.minutes * window, lambda: admitted.append(limiter.stats.admitted))

            async def worker(n: int) -> None:
                while time.monotonic() < deadline:
                    try:
                        await work(client, tally, n, deadline)
                    except QboRateLimited:
                        tally.surfaced_429 += 1

            started = time.monotonic()
            cpu_started = time.process_time()
            await asyncio.gather(*(worker(n) for n in range(args.workers)))
            cpu = time.process_time() - cpu_started
            busy = time.monotonic() - started
            if tally.requests:
                # Entities per request are steady within a workload; scale them to the admitted requests.
                tally.entities = round(tally.entities * admitted[0] / tally.requests)
            tally.requests = admitted[0]
            print(
                f"  {name}: {limiter.stats.admitted} requests in {busy:.1f} s, {admitted[0]} before the deadline"
            )
            throttled = int((await http.get(f"{base}/_sandbox/stats")).json()["throttled_429"])
    answered = limiter.stats.admitted
    return Result(name, args.minutes, tally, throttled, request_bound, entity_bound, cpu, answered)


def paged_pull(page_size: int) -> Work:
    async def work(client: QboClient, tally: Tally, n: int, deadline: float) -> None:
        # Each worker walks the customer list page by page, as an initial sync does.
        async for page in client.query_pages("SELECT * FROM Customer", page_size=page_size):
            tally.requests += 1
            tally.entities += len(page)
            if time.monotonic() >= deadline:
                return

    return work


async def single_push(client: QboClient, tally: Tally, n: int, deadline: float) -> None:
    created = await client.create(
        "Customer", {"DisplayName": f"Bench single {n}-{tally.requests}-{time.monotonic_ns()}"}
    )
    tally.requests += 1
    tally.entities += int(bool(created.get("Id")))


async def batch_push(client: QboClient, tally: Tally, n: int, deadline: float) -> None:
    stamp = time.monotonic_ns()
    ops = [
        BatchOp.create("Customer", {"DisplayName": f"Bench batch {n}-{stamp}-{i}"}) for i in range(BATCH_SIZE)
    ]
    results = await client.batch(ops)
    tally.requests += 1
    tally.entities += sum(r.ok for r in results)
    tally.other_errors += sum(not r.ok for r in results)


async def main(args: argparse.Namespace) -> None:
    window = 60.0 / args.compression
    print(
        f"QBO limits: {PER_MINUTE} req/min, {CONCURRENT} concurrent, {BATCH_PER_MINUTE} batches/min; "
        f"time compression x{args.compression:g} (a minute lasts {window:.1f} s), {args.minutes:g} minutes each, "
        f"{args.workers} workers"
    )
    results = [
        await run_workload(
            "paged pull",
            paged_pull(args.page_size),
            args=args,
            request_bound=PER_MINUTE,
            entity_bound=PER_MINUTE * args.page_size,
            seed_customers=args.page_size * 20,
        )
    ]
    if not args.pull_only:
        results += [
            await run_workload(
                "single-create push",
                single_push,
                args=args,
                request_bound=PER_MINUTE,
                entity_bound=PER_MINUTE,
            ),
            await run_workload(
                "batch push",
                batch_push,
                args=args,
                request_bound=BATCH_PER_MINUTE,
                entity_bound=BATCH_PER_MINUTE * BATCH_SIZE,
            ),
        ]
    for result in results:
        print(result.line())
    print(f"429s surfaced to callers in total: {sum(r.tally.surfaced_429 for r in results)}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--compression", type=float, default=4.0, help="time compression of the emulator")
    parser.add_argument("--minutes", type=float, default=2.0, help="QBO minutes per workload")
    parser.add_argument("--workers", type=int, default=12, help="concurrent callers per workload")
    parser.add_argument("--page-size", type=int, default=100, help="MAXRESULTS for the paged pull")
    parser.add_argument(
        "--margin", type=float, default=0.25, help="limiter safety margin, seconds of QBO time"
    )
    parser.add_argument("--pull-only", action="store_true", help="only the paged pull workload")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
