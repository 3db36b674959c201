"""Dependency wiring: ``Annotated`` aliases routes declare, so no route builds its own session or actor.

The request's session commits at the boundary (after the route returns, before the response is sent);
services only flush. Credentials are an API key (``Bearer qbo_…``) or a widget embed token (a JWT), which
reaches only the chat (:mod:`api.security.embed`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from api.identity import authenticate_api_key, load_user_actor
from api.qbo_wiring import QboServices
from api.security.embed import check_embed_request
from api.security.keys import KEY_PREFIX
from api.security.tokens import verify_embed_token
from api.settings import Settings
from api.state import AppState
from domain.context import Actor
from domain.db import READ_ONLY
from domain.errors import Unauthenticated
from domain.permissions import Permission, require


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.services
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_settings(state: StateDep) -> Settings:
    return state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_qbo(state: StateDep) -> QboServices:
    return state.qbo


QboDep = Annotated[QboServices, Depends(get_qbo)]


def get_session(state: StateDep) -> Iterator[Session]:
    session = state.sessionmaker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": commit before the response goes out, so a failed commit is a failed request.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthenticated("Send 'Authorization: Bearer <API key or embed token>'")
    return value.strip()


def resolve_actor(request: Request, session: Session, settings: Settings, token: str) -> Actor:
    if token.startswith(KEY_PREFIX):
        actor = authenticate_api_key(session, settings.secret, token)
        request.state.credential = "api_key"
        return actor
    claims = verify_embed_token(settings.secret, token)
    check_embed_request(request, claims, settings.base_url)
    request.state.credential = "embed"
    return load_user_actor(session, tenant_id=claims.tenant_id, user_id=claims.user_id)


def get_actor(request: Request, session: SessionDep, settings: SettingsDep) -> Actor:
    # A look-up only: on SQLite a WAL reader, which neither waits for nor blocks the writer.
    session.connection(execution_options={READ_ONLY: True})
    actor = resolve_actor(request, session, settings, bearer_token(request))
    request.state.actor = actor
    # End the look-up's transaction here, so the route's own work begins a transaction of its own kind.
    session.commit()
    return actor


ActorDep = Annotated[Actor, Depends(get_actor)]


def requires(permission: Permission) -> Callable[[Actor], Actor]:
    """A dependency that yields the actor once the role matrix allows ``permission``."""

    def check(actor: ActorDep) -> Actor:
        require(actor, permission)
        return actor

    check.__name__ = f"requires_{permission.value}"
    return check


ReaderDep = Annotated[Actor, Depends(requires(Permission.READ_BOOKS))]
DrafterDep = Annotated[Actor, Depends(requires(Permission.DRAFT_ESTIMATE))]
SenderDep = Annotated[Actor, Depends(requires(Permission.SEND_DOCUMENTS))]
ConverterDep = Annotated[Actor, Depends(requires(Permission.CONVERT_ESTIMATE))]
PaymentsDep = Annotated[Actor, Depends(requires(Permission.RECORD_PAYMENT))]
CustomersDep = Annotated[Actor, Depends(requires(Permission.MANAGE_CUSTOMERS))]
ApproverDep = Annotated[Actor, Depends(requires(Permission.APPROVE_ACTIONS))]
DestructiveDep = Annotated[Actor, Depends(requires(Permission.DESTRUCTIVE))]
IntegrationDep = Annotated[Actor, Depends(requires(Permission.MANAGE_INTEGRATION))]
AuditDep = Annotated[Actor, Depends(requires(Permission.VIEW_AUDIT))]
UsersDep = Annotated[Actor, Depends(requires(Permission.MANAGE_USERS))]
