"""The role matrix (seed 000 §12, seed 004 RBAC): one table, checked by the API, the agent and the services."""

from __future__ import annotations

import enum

from domain.context import Actor
from domain.errors import PermissionDenied
from domain.models.tenancy import Role


class Permission(enum.StrEnum):
    READ_BOOKS = "read_books"  # ask questions, view documents and status
    DRAFT_ESTIMATE = "draft_estimate"  # create / edit draft estimates at catalog prices
    CHANGE_PRICES = "change_prices"  # override unit prices, markups, discounts
    SEND_DOCUMENTS = "send_documents"  # send estimates and invoices, mark approved/rejected
    CONVERT_ESTIMATE = "convert_estimate"
    RECORD_PAYMENT = "record_payment"
    MANAGE_CUSTOMERS = "manage_customers"
    APPROVE_ACTIONS = "approve_actions"  # approve a write the assistant proposed
    DESTRUCTIVE = "destructive"  # void, write off, delete
    MANAGE_INTEGRATION = "manage_integration"  # connect/disconnect QBO, run sync, mappings
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"


_OFFICE = {
    Permission.READ_BOOKS,
    Permission.DRAFT_ESTIMATE,
    Permission.CHANGE_PRICES,
    Permission.SEND_DOCUMENTS,
    Permission.CONVERT_ESTIMATE,
    Permission.RECORD_PAYMENT,
    Permission.MANAGE_CUSTOMERS,
    Permission.APPROVE_ACTIONS,
}
_ADMIN = _OFFICE | {
    Permission.DESTRUCTIVE,
    Permission.MANAGE_INTEGRATION,
    Permission.MANAGE_USERS,
    Permission.VIEW_AUDIT,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(_ADMIN),
    Role.ADMIN: frozenset(_ADMIN),
    Role.OFFICE: frozenset(_OFFICE),
    # Technicians see the books and draft at catalog prices; they cannot change prices or approve.
    Role.TECHNICIAN: frozenset({Permission.READ_BOOKS, Permission.DRAFT_ESTIMATE}),
}


def with_article(word: str) -> str:
    """'an admin', 'an owner', 'an office', 'a technician': role names in sentences."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def can(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


# What a permission lets one do, for messages ("An office may not void, write off or delete").
_DOING = {Permission.DESTRUCTIVE: "void, write off or delete"}


def require(actor: Actor, permission: Permission) -> None:
    if not can(actor.role, permission):
        doing = _DOING.get(permission, permission.value.replace("_", " "))
        raise PermissionDenied(
            sentence(f"{with_article(actor.role.value)} may not {doing}"),
            role=actor.role.value,
            permission=permission.value,
        )


def roles_with(permission: Permission) -> list[Role]:
    """The roles that hold a permission, most junior first (shown on approval cards)."""
    order = [Role.TECHNICIAN, Role.OFFICE, Role.ADMIN, Role.OWNER]
    return [r for r in order if permission in ROLE_PERMISSIONS[r]]
