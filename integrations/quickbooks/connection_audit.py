"""Audit rows for connecting and disconnecting a QuickBooks company, including consents that were refused."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from domain.context import Actor
from domain.errors import AppError
from domain.models.connection import QboConnection
from domain.models.tenancy import User
from domain.services.audit import record_audit

ENTITY = "qbo_connection"


def consent_actor(session: Session, tenant_id: str, user_id: str | None) -> Actor:
    """The user who started the consent (named in the signed state), or the system when they are gone."""
    user = session.get(User, user_id) if user_id else None
    if user is not None and user.tenant_id == tenant_id:
        return Actor.for_user(user)
    return Actor.system(tenant_id, "QuickBooks consent")


def refusal_detail(error: AppError) -> dict[str, Any]:
    """The reason and the ids involved, never a token."""
    ids = {k: str(v) for k, v in error.context.items() if v is not None and k != "errors"}
    return {"reason": error.code, "message": error.message, **ids}


def record_refused_connect(
    sessions: sessionmaker[Session], tenant_id: str, user_id: str | None, error: AppError
) -> None:
    """A consent that came back but was not stored: its own transaction, since the connect rolled back."""
    with sessions() as session, session.begin():
        actor = consent_actor(session, tenant_id, user_id)
        record_audit(session, actor, "qbo.connect_refused", ENTITY, None, detail=refusal_detail(error))


def connection_state(row: QboConnection) -> dict[str, Any]:
    return {"realm_id": row.realm_id, "environment": row.environment, "status": str(row.status)}


def record_connected(
    session: Session, row: QboConnection, before: dict[str, Any] | None, user_id: str | None
) -> None:
    """In the transaction that stores the tokens: the row and its audit commit together."""
    actor = consent_actor(session, row.tenant_id, user_id)
    record_audit(session, actor, "qbo.connected", ENTITY, row.id, before=before, after=connection_state(row))


def record_disconnected(
    session: Session, actor: Actor, row_id: str, before: dict[str, Any], note: str | None
) -> None:
    after = {**before, "status": "disconnected"}
    record_audit(session, actor, "qbo.disconnected", ENTITY, row_id, before=before, after=after, note=note)
