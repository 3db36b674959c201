"""What a sync worker needs, handed in: sessions, a QBO client per tenant, a clock and its settings."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from domain.db import utcnow
from domain.services.common import get_tenant
from domain.services.sync_policy import SyncPolicy, policy_from_settings
from integrations.quickbooks.api.client import QboClient
from integrations.quickbooks.sync.cdc import connected_tenants

# A tenant's client: built by the application from its token store and rate limiter registry.
ClientFactory = Callable[[str], Awaitable[QboClient]]
Clock = Callable[[], datetime]


REALM_LEASE = timedelta(seconds=30)


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"


@dataclass
class SyncContext:
    sessions: sessionmaker[Session]
    clients: ClientFactory
    clock: Clock = utcnow
    worker_id: str = field(default_factory=default_worker_id)
    # A running job whose worker has not finished it within the lease is presumed dead and taken over.
    lease: timedelta = timedelta(minutes=5)
    # Seconds between renewals of the claims a worker is still working (None: a third of the lease).
    claim_renewal: float | None = None
    # How often a job waiting for a related record (its customer, its items) looks again.
    dependency_delay: timedelta = timedelta(seconds=5)
    # The CDC safety net: how often each connected company is polled (None: never from this worker).
    cdc_interval: timedelta | None = timedelta(minutes=5)
    cdc_tenants: Callable[[Session], list[str]] = connected_tenants
    # The tenants this worker serves (None: every tenant). `sync push --tenant` drains one company only,
    # and a deployment may shard tenants across workers.
    tenant_ids: frozenset[str] | None = None
    # How long a worker owns a QBO company's traffic before it must renew (the service and the CLI use
    # REALM_LEASE; None: no lease, for workers inside one process); a dead worker's companies are taken over
    # once it runs out. See ``realm_lease``.
    realm_lease: timedelta | None = None
    # Overrides every tenant's retry timing (tests shrink the two hours to seconds).
    policy_override: Callable[[SyncPolicy], SyncPolicy] | None = None

    def policy(self, session: Session, tenant_id: str) -> SyncPolicy:
        tenant = get_tenant(session, tenant_id)
        policy = policy_from_settings(tenant.sync_settings, tenant.timezone)
        return self.policy_override(policy) if self.policy_override else policy


__all__ = ["REALM_LEASE", "ClientFactory", "Clock", "SyncContext", "default_worker_id"]
