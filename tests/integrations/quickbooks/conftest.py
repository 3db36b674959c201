"""A committed tenant for the OAuth tests, removed with its connection and consent states afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from domain.models import OAuthState, QboConnection, Tenant


@pytest.fixture()
def tenant_id(committing_sessionmaker: sessionmaker[Session]) -> Iterator[str]:
    with committing_sessionmaker() as s, s.begin():
        tenant = Tenant(name="Northwind")
        s.add(tenant)
        s.flush()
        tid = tenant.id
    yield tid
    with committing_sessionmaker() as s, s.begin():
        s.execute(delete(OAuthState).where(OAuthState.tenant_id == tid))
        s.execute(delete(QboConnection).where(QboConnection.tenant_id == tid))
        s.execute(delete(Tenant).where(Tenant.id == tid))
