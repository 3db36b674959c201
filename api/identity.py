"""Tenants, users and API keys: provisioning and turning a presented key into an :class:`Actor`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.security.keys import generate_api_key, hash_api_key
from domain.context import Actor
from domain.errors import Unauthenticated
from domain.models import ApiKey, User


@dataclass(frozen=True)
class IssuedKey:
    key: str  # shown once; only its hash is stored
    api_key_id: str
    prefix: str


def issue_api_key(session: Session, secret: bytes, *, user: User, label: str = "") -> IssuedKey:
    key, prefix = generate_api_key()
    row = ApiKey(
        tenant_id=user.tenant_id,
        user_id=user.id,
        prefix=prefix,
        key_hash=hash_api_key(secret, key),
        label=label,
    )
    session.add(row)
    session.flush()
    return IssuedKey(key=key, api_key_id=row.id, prefix=prefix)


def actor_for_user(user: User) -> Actor:
    return Actor.for_user(user)


def authenticate_api_key(session: Session, secret: bytes, key: str) -> Actor:
    """The actor behind a key; unknown, revoked keys and inactive users are all the same 401."""
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(secret, key)))
    if row is None or row.revoked:
        raise Unauthenticated("The API key is not valid")
    user = session.get(User, row.user_id)
    if user is None or not user.active or user.tenant_id != row.tenant_id:
        raise Unauthenticated("The API key is not valid")
    return actor_for_user(user)


def load_user_actor(session: Session, *, tenant_id: str, user_id: str) -> Actor:
    user = session.get(User, user_id)
    if user is None or not user.active or user.tenant_id != tenant_id:
        raise Unauthenticated("The token's user is not active")
    return actor_for_user(user)
