"""The agent tests' database: a committing sessionmaker on each backend and a tenant with one customer."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from domain.models import Customer
from domain.services.tenants import create_tenant


@pytest.fixture()
def sm(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@pytest.fixture()
def tenant_id(sm: sessionmaker[Session]) -> str:
    with sm() as s, s.begin():
        tenant = create_tenant(s, f"Graph Plumbing {uuid.uuid4().hex[:6]}")
        s.add(Customer(tenant_id=tenant.id, display_name="Bob's Bakery"))
    return tenant.id
