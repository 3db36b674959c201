"""The served demo: a tenant with one user per role, connected to the QBO sandbox through
the real OAuth dance, with the sandbox company imported through the QBO API.

Runs at startup of ``qbo-agent serve --demo`` (and the browser tests). Re-running is safe: the tenant and its
users are found again, fresh API keys are issued (keys are shown once), and the import upserts.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.identity import issue_api_key
from api.qbo_wiring import QboServices
from api.state import AppState
from demo.company import DEMO_TENANT, DEMO_USERS
from domain.errors import AppError
from domain.models import Role, Tenant, User
from domain.services.tenants import add_user, create_tenant
from integrations.quickbooks.entity_specs import IMPORT_ENTITIES
from integrations.quickbooks.sandbox.fixture import load_demo_company
from integrations.quickbooks.sync.importer import import_company_snapshot

log = logging.getLogger(__name__)


@dataclass
class DemoInfo:
    tenant_id: str
    keys: dict[Role, str] = field(default_factory=dict)
    user_ids: dict[Role, str] = field(default_factory=dict)
    realm_id: str | None = None
    imported: dict[str, int] = field(default_factory=dict)


def ensure_demo_tenant(
    session: Session, secret: bytes, *, allowed_origins: list[str] | None = None
) -> DemoInfo:
    tenant = session.scalar(select(Tenant).where(Tenant.name == DEMO_TENANT))
    if tenant is None:
        tenant = create_tenant(session, DEMO_TENANT)
    if allowed_origins:
        tenant.allowed_origins = sorted(set(tenant.allowed_origins or []) | set(allowed_origins))
    info = DemoInfo(tenant_id=tenant.id)
    for role, demo_user in DEMO_USERS.items():
        user = session.scalar(select(User).where(User.tenant_id == tenant.id, User.email == demo_user.email))
        if user is None:
            user = add_user(session, tenant, email=demo_user.email, name=demo_user.name, role=role)
        info.keys[role] = issue_api_key(session, secret, user=user, label="demo").key
        info.user_ids[role] = user.id
    session.flush()
    return info


async def connect_through_oauth(state: AppState, qbo: QboServices, info: DemoInfo) -> str:
    """Walk the consent like a browser would: authorize URL → the sandbox's redirect → our callback logic."""
    # Always a fresh consent: the sandbox keeps its tokens in memory, so a restarted demo must reconnect.
    url = await qbo.oauth.authorization_url(info.tenant_id, info.user_ids[Role.OWNER])
    response = await state.http.get(url, follow_redirects=False)
    location = response.headers.get("location")
    if response.status_code not in (302, 303, 307) or not location:
        raise AppError(f"the QBO sandbox did not redirect back (HTTP {response.status_code})")
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    connection = await qbo.oauth.complete(
        state=params.get("state", ""),
        code=params.get("code"),
        realm_id=params.get("realmId"),
        error=params.get("error"),
    )
    return connection.realm_id


async def read_company(state: AppState, qbo: QboServices, tenant_id: str, realm_id: str) -> dict[str, Any]:
    client = await qbo.client_for(tenant_id)
    company: dict[str, Any] = {}
    for entity in IMPORT_ENTITIES:
        company[entity] = await client.query_all(f"select * from {entity}")
    return company


def item_hints() -> dict[str, Any]:
    """Words and units staff use for catalog items live beside the demo company, not in QBO."""
    data = load_demo_company()
    return {"itemKeywords": data.get("itemKeywords") or {}, "itemUnits": data.get("itemUnits") or {}}


async def bootstrap_demo(
    state: AppState, qbo: QboServices, *, allowed_origins: list[str] | None = None
) -> DemoInfo:
    def tenant_step() -> DemoInfo:
        with state.sessionmaker() as session, session.begin():
            return ensure_demo_tenant(session, state.settings.secret, allowed_origins=allowed_origins)

    info = await asyncio.to_thread(tenant_step)
    info.realm_id = await connect_through_oauth(state, qbo, info)
    company = await read_company(state, qbo, info.tenant_id, info.realm_id)
    company.update(item_hints())

    def import_step() -> dict[str, int]:
        with state.sessionmaker() as session, session.begin():
            return import_company_snapshot(session, info.tenant_id, company)

    info.imported = await asyncio.to_thread(import_step)
    log.info("demo company imported: %s", info.imported)
    return info
