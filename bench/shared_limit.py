"""Three processes against one QBO company, each with several callers: the combined request rate as a share of
QBO's bound (500/min), with the budget shared through the database and, for comparison, one limiter per process.

The emulator runs in its own process with QBO's throttles on and time compressed (a "minute" lasts
60/compression seconds). Each caller process reads the company's customers in a loop from a common start to a
common end; the benchmark prints requests per (QBO) minute, its share of the bound, how many 429s the emulator
answered, how many reached a caller, and the most requests the emulator held at once. It asserts nothing.

    python bench/shared_limit.py [--compression 10] [--minutes 2] [--processes 3] [--callers 6] [--pg URL]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qbo_throughput import emulator_process  # noqa: E402

import domain.models  # noqa: E402, F401  (registers the tables on Base.metadata)
from domain.clock import system_clock  # noqa: E402
from domain.db import Base, make_engine, scratch_database  # noqa: E402
from integrations.quickbooks.sandbox.config import RateLimits as SandboxLimits  # noqa: E402
from integrations.quickbooks.sandbox.config import SandboxConfig  # noqa: E402

PER_MINUTE = 500
CONCURRENT = 10


def run(db_url: str, mode: str, args: argparse.Namespace) -> str:
    limits = SandboxLimits(per_minute=PER_MINUTE, concurrent=CONCURRENT, time_compression=args.compression)
    engine = make_engine(db_url)
    Base.metadata.create_all(engine)
    engine.dispose()
    with emulator_process(SandboxConfig(limits=limits)) as base:
        realm = httpx.get(f"{base}/_sandbox/realms").json()["realms"][0]
        token = httpx.post(f"{base}/_sandbox/realms/{realm}/tokens", json={}).json()["access_token"]
        start = system_clock().timestamp() + 5.0  # time for the processes to start
        end = start + args.minutes * 60 / args.compression
        argv = [
            db_url,
            base,
            realm,
            token,
            str(start),
            str(end),
            str(args.callers),
            str(args.compression),
            mode,
        ]
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.integrations.quickbooks.api.limit_caller", *argv],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(args.processes)
        ]
        results = [json.loads(proc.communicate(timeout=600)[0].strip().splitlines()[-1]) for proc in procs]
        stats = httpx.get(f"{base}/_sandbox/stats").json()
    requests = sum(r["requests"] for r in results)
    rate = requests / args.minutes
    return (
        f"{mode:<8} {rate:7.1f} req/min ({rate / PER_MINUTE:6.1%} of {PER_MINUTE})"
        f"  per process: {'/'.join(str(r['requests']) for r in results)}"
        f"  429 answered: {stats['throttled_429']:3d}  429 surfaced: {sum(r['surfaced_429'] for r in results)}"
        f"  max in flight: {stats['max_in_flight']}"
    )


def main(args: argparse.Namespace) -> None:
    print(
        f"QBO limits: {PER_MINUTE} req/min, {CONCURRENT} in flight; x{args.compression:g} time compression, "
        f"{args.minutes:g} minutes; {args.processes} processes x {args.callers} callers"
    )
    with tempfile.TemporaryDirectory() as tmp:
        databases = [("sqlite", f"sqlite:///{Path(tmp) / 'limits.sqlite'}")]
        for name, url in databases:
            for mode in ("shared", "process"):
                print(f"{name:<10} {run(url, mode, args)}")
    if args.pg:
        with scratch_database(args.pg, "qbo_agent_bench") as url:
            for mode in ("shared", "process"):
                print(f"{'postgresql':<10} {run(url, mode, args)}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--compression", type=float, default=10.0, help="time compression of the emulator")
    parser.add_argument("--minutes", type=float, default=2.0, help="QBO minutes measured")
    parser.add_argument("--processes", type=int, default=3, help="caller processes")
    parser.add_argument("--callers", type=int, default=6, help="concurrent callers per process")
    parser.add_argument("--pg", default=None, help="also on this PostgreSQL server (a scratch database)")
    return parser.parse_args()


if __name__ == "__main__":
    main(parse_args())
