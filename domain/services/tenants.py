"""Creating tenants and their users."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.errors import Conflict, ValidationFailed
from domain.models.tenancy import Role, Tenant, User


def create_tenant(
    session: Session,
    name: str,
    *,
    timezone: str = "America/Los_Angeles",
    default_markup_percent: Decimal = Decimal("20"),
) -> Tenant:
    if not name.strip():
        raise ValidationFailed("a tenant needs a name")
    tenant = Tenant(name=name.strip(), timezone=timezone, default_markup_percent=default_markup_percent)
    session.add(tenant)
    session.flush()
    return tenant


def add_user(session: Session, tenant: Tenant, *, email: str, name: str, role: Role) -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise ValidationFailed(f"'{email}' is not an email address")
    taken = session.scalars(select(User).where(User.tenant_id == tenant.id, User.email == email)).first()
    if taken is not None:
        raise Conflict(f"{email} is already a user of {tenant.name}", email=email)
    user = User(tenant_id=tenant.id, email=email, name=name.strip() or email, role=role)
    session.add(user)
    session.flush()
    return user
