"""Sync tests: a sandbox QBO on a loopback port, a tenant connected to one of its companies, and a worker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from domain.context import Actor
from domain.db import utcnow
from domain.models import QboConnection, Tenant
from domain.services.sync_mappings import MappingIn, save_mappings
from domain.services.sync_policy import RetrySchedule, SyncPolicy
from integrations.quickbooks.api.client import QboClient
from integrations.quickbooks.api.ratelimit import RateLimits, RealmLimiter
from integrations.quickbooks.api.retry import RetryPolicy
from integrations.quickbooks.sandbox.app import create_sandbox_app
from integrations.quickbooks.sandbox.config import RateLimits as SandboxLimits
from integrations.quickbooks.sandbox.config import RealmSeed, SandboxConfig
from integrations.quickbooks.sandbox.server import run_sandbox_server
from integrations.quickbooks.sync.sync_context import SyncContext
from integrations.quickbooks.sync.worker import SyncWorker
from tests.factories import make_actor, make_tenant

VERIFIER = "test-verifier-token"


@dataclass
class Qbo:
    app: FastAPI
    base: str

    @property
    def sandbox(self) -> Any:
        return self.app.state.sandbox


@pytest.fixture(scope="module")
def qbo() -> Iterator[Qbo]:
    config = SandboxConfig(
        realms=[RealmSeed(source="empty", company_name="Sync Test Co")],
        # Time compression: QBO's one-minute windows pass in a second, so throttles cost little wall time.
        limits=SandboxLimits(time_compression=60.0),
    )
    config.webhook.verifier_token = VERIFIER
    app = create_sandbox_app(config)
    with run_sandbox_server(app) as base:
        yield Qbo(app, base)


def fresh_realm(qbo: Qbo) -> str:
    return str(qbo.sandbox.seed_realm(None, source="empty", company_name="Sync Test Co"))


@dataclass
class Env:
    """One tenant linked to one fresh sandbox company, and what it takes to run a worker for it."""

    qbo: Qbo
    sessions: sessionmaker[Session]
    tenant_id: str
    actor: Actor
    realm: str
    http: httpx.AsyncClient
    limiter: RealmLimiter
    retry_window: timedelta = timedelta(seconds=2)
    contexts: list[SyncContext] = field(default_factory=list)

    async def client(self, tenant_id: str) -> QboClient:
        # The test database is shared by a whole session: a job of another test's tenant must never reach
        # this test's company (its workers are scoped to this tenant; this is the second line).
        if tenant_id != self.tenant_id:
            raise AssertionError(f"tenant {tenant_id} is not this test's; its jobs must not be worked here")
        tokens = self.qbo.sandbox.issue_tokens(self.realm, None, "com.intuit.quickbooks.accounting")

        async def provider(*, force_refresh: bool = False) -> str:
            return str(tokens["access_token"])

        return QboClient(
            self.http,
            provider,
            self.realm,
            self.qbo.base,
            limiter=self.limiter,
            retry=RetryPolicy(max_attempts=3, base_delay=0.02, max_delay=0.2),
        )

    def context(self, **overrides: Any) -> SyncContext:
        window = self.retry_window

        def fast(policy: SyncPolicy) -> SyncPolicy:
            return replace(policy, retry=RetrySchedule(max_retries=policy.retry.max_retries, window=window))

        options: dict[str, Any] = {
            "policy_override": fast,
            "cdc_interval": None,
            "lease": timedelta(seconds=30),
            "dependency_delay": timedelta(seconds=0.2),
            "tenant_ids": frozenset({self.tenant_id}),
        }
        options.update(overrides)
        ctx = SyncContext(self.sessions, self.client, **options)
        self.contexts.append(ctx)
        return ctx

    def worker(self, **options: Any) -> SyncWorker:
        return SyncWorker(self.context(), poll_interval=0.05, **options)

    async def drain(self, worker: SyncWorker | None = None, *, timeout: float = 60.0) -> SyncWorker:
        """Run a worker until nothing is due (waiting out scheduled retries) or the timeout passes."""
        worker = worker or self.worker()
        deadline = asyncio.get_running_loop().time() + timeout
        idle = 0
        while asyncio.get_running_loop().time() < deadline:
            if await worker.run_once():
                idle = 0
                continue
            idle += 1
            if idle > 3 and not self.open_jobs():
                return worker
            await asyncio.sleep(0.1)
        raise AssertionError(f"queue not drained in {timeout}s: {self.open_jobs()}")

    def open_jobs(self) -> list[tuple[str, str, str, str | None]]:
        from sqlalchemy import select

        from domain.models import SyncJob, SyncJobStatus

        with self.sessions() as s:
            rows = s.execute(
                select(SyncJob.entity, SyncJob.operation, SyncJob.status, SyncJob.last_error).where(
                    SyncJob.tenant_id == self.tenant_id,
                    SyncJob.status.in_((SyncJobStatus.PENDING, SyncJobStatus.RUNNING, SyncJobStatus.FAILED)),
                    # Held for an account mapping is waiting for a person, not for the worker.
                    SyncJob.error_kind.is_distinct_from("unmapped"),
                )
            ).all()
        return [(r[0], r[1], r[2].value, r[3]) for r in rows]


@asynccontextmanager
async def open_env(qbo: Qbo, sessions: sessionmaker[Session]) -> AsyncIterator[Env]:
    """A tenant connected to a fresh company of ``qbo``; removed again afterwards."""
    realm = fresh_realm(qbo)
    with sessions() as s:
        tenant = make_tenant(s, name=f"Sync Tenant {realm}")
        actor = make_actor(s, tenant)
        # Items book to the new company's "Services" income account unless a test says otherwise.
        save_mappings(s, actor, [MappingIn("revenue", "default", "*", "5", "Services")])
        # Webhooks find their tenant through the connection's realm; the tokens are never used here.
        s.add(
            QboConnection(
                tenant_id=tenant.id,
                realm_id=realm,
                access_token_enc="-",
                refresh_token_enc="-",
                access_expires_at=utcnow() + timedelta(hours=1),
                refresh_expires_at=utcnow() + timedelta(days=100),
            )
        )
        s.commit()
        tenant_id = tenant.id
    limiter = RealmLimiter(RateLimits(per_minute=500, per_second=10, concurrent=10, time_scale=60.0))
    try:
        async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=2.0)) as http:
            yield Env(qbo, sessions, tenant_id, actor, realm, http, limiter)
    finally:
        with sessions() as s:
            s.execute(delete(Tenant).where(Tenant.id == tenant_id))
            s.commit()


@pytest.fixture()
async def env(qbo: Qbo, committing_sessionmaker: sessionmaker[Session]) -> AsyncIterator[Env]:
    async with open_env(qbo, committing_sessionmaker) as opened:
        yield opened
