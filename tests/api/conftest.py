"""An app per test on its own SQLite file, with a tenant whose users hold one API key per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from agent.graph import build_graph
from api.agent_wiring import AgentHandle
from api.app import create_app
from api.identity import issue_api_key
from api.settings import Settings
from domain.db import Base, make_engine
from domain.models import Customer, Item, ItemType, Role
from domain.services.tenants import add_user, create_tenant
from tests.agent.fakes import AddCustomer, DeactivateCustomer, FindCustomers, ScriptedModel
from tools.base import Toolbox, ToolDeps

SECRET = "test-secret-key-0123456789abcdef0123456789"


@dataclass
class TenantKeys:
    tenant_id: str
    keys: dict[Role, str] = field(default_factory=dict)
    user_ids: dict[Role, str] = field(default_factory=dict)
    customer_id: str = ""
    item_ids: dict[str, str] = field(default_factory=dict)

    def headers(self, role: Role = Role.OWNER, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}", **extra}


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "secret_key": SECRET,
        "run_worker": False,
        "base_url": "http://testserver",
        "demo": False,
    }
    values.update(overrides)
    return Settings(**values)


def seed_tenant(engine: Engine, name: str, settings: Settings) -> TenantKeys:
    with Session(engine, expire_on_commit=False) as session:
        tenant = create_tenant(session, name)
        tenant.allowed_origins = []
        out = TenantKeys(tenant_id=tenant.id)
        for role in Role:
            user = add_user(
                session,
                tenant,
                email=f"{role.value}@{tenant.id[:8]}.example.com",
                name=f"{role.value.title()} User",
                role=role,
            )
            out.keys[role] = issue_api_key(session, settings.secret, user=user).key
            out.user_ids[role] = user.id
        customer = Customer(
            tenant_id=tenant.id, display_name=f"Jane Cooper ({name})", email="jane@example.com"
        )
        session.add(customer)
        for item_name, kind, rate in (
            ("Labor - Standard", ItemType.LABOR, "125.00"),
            ("Water Heater 50 gal Gas", ItemType.MATERIAL, "1150.00"),
        ):
            item = Item(tenant_id=tenant.id, name=item_name, type=kind, rate=Decimal(rate))
            session.add(item)
            session.flush()
            out.item_ids[item_name] = item.id
        session.flush()
        out.customer_id = customer.id
        session.commit()
    return out


async def _no_agent(_state: Any) -> None:
    return None


@pytest.fixture()
def api_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'api.sqlite'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture()
def settings() -> Settings:
    return make_settings()


@pytest.fixture()
def app(api_engine: Engine, settings: Settings) -> FastAPI:
    return create_app(settings, engine=api_engine, agent_factory=_no_agent)


@pytest.fixture()
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture()
def tenant(api_engine: Engine, settings: Settings) -> TenantKeys:
    return seed_tenant(api_engine, "Northwind Plumbing", settings)


@pytest.fixture()
def other_tenant(api_engine: Engine, settings: Settings) -> TenantKeys:
    return seed_tenant(api_engine, "Rival Heating", settings)


@pytest.fixture()
def script() -> ScriptedModel:
    return ScriptedModel(script=[])


@pytest.fixture()
def chat_app(api_engine: Engine, settings: Settings, script: ScriptedModel) -> FastAPI:
    async def factory(state: Any) -> AgentHandle:
        toolbox = Toolbox(
            tools=[FindCustomers(), AddCustomer(), DeactivateCustomer()],
            deps=ToolDeps(sessionmaker=state.sessionmaker),
        )
        return AgentHandle(graph=build_graph(script, toolbox, InMemorySaver()))

    return create_app(settings, engine=api_engine, agent_factory=factory)


@pytest.fixture()
def chat(chat_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(chat_app, raise_server_exceptions=False) as client:
        yield client
