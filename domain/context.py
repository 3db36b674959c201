"""Who is acting: every service call is made on behalf of an actor inside one tenant."""

from __future__ import annotations

from dataclasses import dataclass

from domain.models.tenancy import Role, User


@dataclass(frozen=True, slots=True)
class Actor:
    tenant_id: str
    user_id: str | None
    role: Role
    name: str
    is_customer: bool = False

    @property
    def label(self) -> str:
        """How the actor appears in the audit log."""
        return f"{self.name} ({self.role.value})" if self.user_id else self.name

    @classmethod
    def for_user(cls, user: User) -> Actor:
        return cls(tenant_id=user.tenant_id, user_id=user.id, role=Role(user.role), name=user.name)

    @classmethod
    def system(cls, tenant_id: str, name: str = "system") -> Actor:
        """Background work (sync, expiry) acts with owner rights but is labelled as the system."""
        return cls(tenant_id=tenant_id, user_id=None, role=Role.OWNER, name=name)

    @classmethod
    def customer(cls, tenant_id: str, signed_by: str) -> Actor:
        """A customer acting through a signed public link (approve / reject an estimate)."""
        return cls(
            tenant_id=tenant_id,
            user_id=None,
            role=Role.TECHNICIAN,
            name=f"customer:{signed_by}",
            is_customer=True,
        )
