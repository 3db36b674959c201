"""One error tree for the whole product.

Every expected failure is an :class:`AppError` carrying an HTTP-ish status, a stable ``code`` and the ids it is
about, so the API can render problem+json and the agent can hand a clear message back to the model.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status: int = 400
    code: str = "app_error"
    title: str = "Request failed"

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def to_problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://qbo-agent.dev/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.message,
            "code": self.code,
        }
        if self.context:
            body["context"] = {k: _jsonable(v) for k, v in self.context.items()}
        return body


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


class NotFound(AppError):
    status = 404
    code = "not_found"
    title = "Not found"

    def __init__(self, entity: str, entity_id: str, message: str | None = None) -> None:
        super().__init__(message or f"{entity} {entity_id} was not found", entity=entity, id=entity_id)
        self.entity = entity
        self.entity_id = entity_id


class ValidationFailed(AppError):
    status = 422
    code = "validation_failed"
    title = "Invalid input"


class InvalidTransition(AppError):
    status = 409
    code = "invalid_transition"
    title = "Not allowed in the current state"

    def __init__(self, entity: str, entity_id: str, current: str, target: str, reason: str = "") -> None:
        detail = f"{entity} {entity_id} cannot go from {current} to {target}"
        super().__init__(
            f"{detail}: {reason}" if reason else detail,
            entity=entity,
            id=entity_id,
            current=current,
            target=target,
        )


class Conflict(AppError):
    status = 409
    code = "conflict"
    title = "Conflict"


class ConcurrentChange(Conflict):
    """Another request changed the row between our read and our write; theirs stands, reload and retry."""

    code = "concurrent_change"


class PermissionDenied(AppError):
    status = 403
    code = "permission_denied"
    title = "Not allowed for your role"


class Unauthenticated(AppError):
    status = 401
    code = "unauthenticated"
    title = "Authentication required"


class AmbiguousName(AppError):
    """A customer or vendor name matched several records: ask the user, never guess."""

    status = 422
    code = "ambiguous_name"
    title = "Which one did you mean?"

    def __init__(self, kind: str, name: str, candidates: list[str]) -> None:
        listed = ", ".join(candidates[:5])
        super().__init__(
            f"'{name}' matches several {kind}s: {listed}. Which one did you mean?",
            kind=kind,
            name=name,
            candidates=candidates,
        )
        self.candidates = candidates


class UnknownName(AppError):
    status = 404
    code = "unknown_name"
    title = "No such name"

    def __init__(self, kind: str, name: str, suggestions: list[str] | None = None) -> None:
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(
            f"No {kind} named '{name}'.{hint}", kind=kind, name=name, suggestions=suggestions or []
        )
