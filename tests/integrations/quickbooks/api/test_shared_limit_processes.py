"""Three processes of callers against the emulator over HTTP, its throttles on, all drawing from the database's
budget for one realm: QBO (the emulator) never has to refuse one of them, and never holds more than ten."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import sessionmaker

from domain.clock import system_clock
from domain.db import transaction
from domain.models import QboRateRealm, QboRateSlot
from integrations.quickbooks.sandbox.app import create_sandbox_app
from integrations.quickbooks.sandbox.config import RateLimits as SandboxLimits
from integrations.quickbooks.sandbox.config import SandboxConfig
from integrations.quickbooks.sandbox.server import run_sandbox_server

ROOT = Path(__file__).resolve().parents[4]
COMPRESSION = 10.0  # a QBO minute lasts 6 s
PROCESSES = 3
CALLERS = 6  # per process: 18 callers against a limit of 10 in flight


@pytest.fixture()
def emulator() -> Iterator[str]:
    limits = SandboxLimits(per_minute=500, concurrent=10, batch_per_minute=40, time_compression=COMPRESSION)
    with run_sandbox_server(create_sandbox_app(SandboxConfig(limits=limits))) as base:
        yield base


def test_processes_sharing_the_database_budget_are_never_throttled(engine: Engine, emulator: str) -> None:
    http = httpx.Client(base_url=emulator, timeout=30.0)
    realm = http.get("/_sandbox/realms").json()["realms"][0]
    token = http.post(f"/_sandbox/realms/{realm}/tokens", json={}).json()["access_token"]
    with transaction(sessionmaker(engine)) as session:  # the realm's budget starts empty in every run
        session.execute(delete(QboRateSlot).where(QboRateSlot.realm_id == realm))
        session.execute(delete(QboRateRealm).where(QboRateRealm.realm_id == realm))
    start = system_clock().timestamp() + 4.0  # time for the processes to start
    end = start + 1.5 * 60 / COMPRESSION
    db_url = engine.url.render_as_string(hide_password=False)
    args = [db_url, emulator, realm, token, str(start), str(end), str(CALLERS), str(COMPRESSION), "shared"]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.integrations.quickbooks.api.limit_caller", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    stats = http.get("/_sandbox/stats").json()
    assert all(r["requests"] > 0 for r in results)
    assert sum(r["surfaced_429"] for r in results) == 0
    assert stats["throttled_429"] == 0, (stats, results)
    assert stats["max_in_flight"] <= 10
    assert stats["requests"] >= sum(r["requests"] for r in results)
