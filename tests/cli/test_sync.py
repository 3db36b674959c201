"""``qbo-agent sync pull|status|push`` against a sandbox company: progress bars, an import, the health table,
and a push that drains one tenant's queue only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

import cli.sync as cli_sync
from api.settings import Settings
from api.state import AppState, build_state
from domain.db import Base, make_engine, utcnow
from domain.models import Customer, QboConnection, Tenant
from domain.schemas import CustomerCreate
from domain.services import catalog
from integrations.quickbooks.api.client import QboClient
from integrations.quickbooks.sandbox.app import create_sandbox_app
from integrations.quickbooks.sandbox.config import RealmSeed, SandboxConfig
from integrations.quickbooks.sandbox.server import run_sandbox_server
from tests.factories import make_actor, make_tenant


@dataclass
class FakeQbo:
    """Stands in for the token store: a client for the sandbox company with a token from its control API."""

    base: str
    realm: str
    token: str
    http: httpx.AsyncClient

    async def client_for(self, tenant_id: str) -> QboClient:
        async def provider(*, force_refresh: bool = False) -> str:
            return self.token

        return QboClient(self.http, provider, self.realm, self.base)


def test_sync_pull_imports_with_progress_and_status_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    app = create_sandbox_app(SandboxConfig(realms=[RealmSeed(source="empty")]))
    sandbox = app.state.sandbox
    realm = sandbox.default_realm_id
    sandbox.generate(realm, "Customer", 12, seed=5)
    token = sandbox.issue_tokens(realm, None, "com.intuit.quickbooks.accounting")["access_token"]
    with Session(engine) as s:
        tenant = make_tenant(s)
        s.add(
            QboConnection(
                tenant_id=tenant.id,
                realm_id=realm,
                access_token_enc="-",
                refresh_token_enc="-",
                access_expires_at=utcnow() + timedelta(hours=1),
                refresh_expires_at=utcnow() + timedelta(days=40),
            )
        )
        s.commit()
        tenant_id = tenant.id

    with run_sandbox_server(app) as base:

        @asynccontextmanager
        async def services(settings: Settings) -> AsyncIterator[tuple[AppState, Any]]:
            async with httpx.AsyncClient() as http:
                state = build_state(settings, engine, http)
                yield state, FakeQbo(base, realm, token, http)

        monkeypatch.setattr(cli_sync, "_services", services)
        monkeypatch.setenv("QBO_AGENT_DATABASE_URL", url)
        cli = typer.Typer()
        cli_sync.register(cli)
        runner = CliRunner()
        pulled = runner.invoke(cli, ["sync", "pull", "--entity", "Account", "--entity", "Customer"])
        assert pulled.exit_code == 0, pulled.output
        assert "Customer" in pulled.output and "12/12" in pulled.output
        status = runner.invoke(cli, ["sync", "status"])
        assert status.exit_code == 0, status.output
        assert "health" in status.output and "green" in status.output
        # `sync push --tenant` drains that tenant's queue only, never another company's.
        with Session(engine) as s:
            ours = catalog.create_customer(
                s, make_actor(s, s.get(Tenant, tenant_id)), CustomerCreate(display_name="Pushed Today")
            )
            other = make_tenant(s, name="Another Company")
            theirs = catalog.create_customer(
                s, make_actor(s, other), CustomerCreate(display_name="Not This One")
            )
            s.commit()
            ours_id, theirs_id = ours.id, theirs.id
        pushed = runner.invoke(cli, ["sync", "push", "--tenant", tenant_id])
        assert pushed.exit_code == 0, pushed.output
        assert "done: 1" in pushed.output
    names = {c["DisplayName"] for c in sandbox.realm(realm).all("Customer")}
    assert "Pushed Today" in names and "Not This One" not in names
    with Session(engine) as s:
        assert s.get(Customer, ours_id).qbo_id is not None and s.get(Customer, theirs_id).qbo_id is None
    with Session(engine) as s:
        assert (
            s.scalar(select(func.count()).select_from(Customer).where(Customer.tenant_id == tenant_id))
            == 12 + 1  # imported, then one created here
        )
    engine.dispose()
