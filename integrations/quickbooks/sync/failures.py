"""Sorting failures into transient (retry later) and permanent (a person must act), with a message that says
what to do."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import AppError
from integrations.quickbooks.api.errors import (
    QboAuthError,
    QboDuplicate,
    QboError,
    QboForbidden,
    QboNetworkError,
    QboNotFound,
    QboRateLimited,
    QboStaleObject,
    QboUnavailable,
    QboValidationError,
)
from integrations.quickbooks.mapping.lists import MappingError


class DependencyNotReady(AppError):
    """A record this one refers to is not in QBO yet (its own job will get it there): try again shortly."""

    status = 409
    code = "sync_dependency"
    title = "Waiting for a related record to sync"


class HeldForMapping(AppError):
    """The record books to an item or cost code with no account mapping: it waits in the review queue."""

    status = 409
    code = "sync_unmapped"
    title = "Waiting for an account mapping"


class NameCollision(AppError):
    """A record from QBO carries a name or number a different record holds here: a person must rename one."""

    status = 409
    code = "sync_name_collision"
    title = "Two records share a name or number"


@dataclass(frozen=True, slots=True)
class Failure:
    kind: str  # auth | validation | rate_limit | network | server | not_found | dependency | mapping
    transient: bool
    message: str


def classify(error: AppError, entity: str) -> Failure:
    detail = error.message
    if isinstance(error, QboRateLimited):
        return Failure("rate_limit", True, f"QuickBooks rate limit reached; will retry. ({detail})")
    if isinstance(error, QboNetworkError):
        return Failure("network", True, f"Could not reach QuickBooks; will retry. ({detail})")
    if isinstance(error, QboUnavailable):
        if error.should_retry:
            return Failure("server", True, f"QuickBooks had a server error; will retry. ({detail})")
        return Failure("server", False, f"QuickBooks failed on this {entity} and will again: {detail}")
    if isinstance(error, QboAuthError):
        return Failure(
            "auth", True, "QuickBooks refused our access token: reconnect QuickBooks in Settings, then retry."
        )
    if isinstance(error, QboForbidden):
        return Failure("auth", False, f"QuickBooks does not allow this for the connected company: {detail}")
    if isinstance(error, QboDuplicate):
        return Failure(
            "validation",
            False,
            f"QuickBooks already has a {entity} with this name or number: {detail}. "
            "Rename one of them, then retry.",
        )
    if isinstance(error, QboValidationError):
        field = f" (field {error.element})" if error.element else ""
        return Failure(
            "validation",
            False,
            f"QuickBooks rejected the {entity}{field}: {detail}. Fix the record, then retry.",
        )
    if isinstance(error, QboStaleObject):
        return Failure(
            "conflict", True, f"The {entity} kept changing in QuickBooks while we wrote it; will retry."
        )
    if isinstance(error, QboNotFound):
        return Failure("not_found", False, f"The {entity} no longer exists in QuickBooks: {detail}")
    if isinstance(error, NameCollision):
        return Failure("validation", False, detail)
    if isinstance(error, HeldForMapping):
        return Failure("unmapped", False, detail)
    if isinstance(error, DependencyNotReady):
        return Failure("dependency", True, detail)
    if isinstance(error, MappingError):
        return Failure("mapping", False, f"{detail}. Fix the record or its mapping, then retry.")
    if isinstance(error, QboError):
        return Failure("server", False, f"QuickBooks answered unexpectedly: {detail}")
    return Failure("validation", False, f"{detail}. Fix the record, then retry.")


__all__ = ["DependencyNotReady", "Failure", "HeldForMapping", "NameCollision", "classify"]
