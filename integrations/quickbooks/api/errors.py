"""Typed QuickBooks Online errors, one tree under ``QboError``; ``faults`` reads a response into them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.errors import AppError


@dataclass(frozen=True, slots=True)
class FaultItem:
    code: str
    message: str
    detail: str
    element: str | None


class QboError(AppError):
    """A failure reported by (or on the way to) QuickBooks Online."""

    status = 502
    code = "qbo_error"
    title = "QuickBooks request failed"
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        fault_code: str | None = None,
        detail: str | None = None,
        intuit_tid: str | None = None,
        element: str | None = None,
        errors: list[FaultItem] | None = None,
    ) -> None:
        super().__init__(
            message,
            http_status=http_status,
            fault_code=fault_code,
            detail=detail,
            intuit_tid=intuit_tid,
            element=element or None,
        )
        self.http_status = http_status
        self.fault_code = fault_code
        self.detail = detail
        self.intuit_tid = intuit_tid
        self.element = element
        self.errors = errors or []


class QboAuthError(QboError):
    """The token is missing, expired or revoked, or the connection needs a new consent."""

    status = 401
    code = "qbo_auth"
    title = "QuickBooks connection needs attention"


class QboForbidden(QboError):
    status = 403
    code = "qbo_forbidden"
    title = "QuickBooks refused access"


class QboValidationError(QboError):
    status = 422
    code = "qbo_validation"
    title = "QuickBooks rejected the data"


class QboNotFound(QboError):
    status = 404
    code = "qbo_not_found"
    title = "Not found in QuickBooks"


class QboStaleObject(QboError):
    """Someone changed the entity since we read it (SyncToken mismatch): re-read and merge."""

    status = 409
    code = "qbo_stale_object"
    title = "Changed in QuickBooks meanwhile"


class QboDuplicate(QboError):
    status = 409
    code = "qbo_duplicate"
    title = "Already exists in QuickBooks"


class QboRateLimited(QboError):
    status = 429
    code = "qbo_rate_limited"
    title = "QuickBooks rate limit reached"
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        self.context["retry_after"] = retry_after


class QboUnavailable(QboError):
    """QBO had a server-side failure. ``should_retry`` is False for faults that will not heal by waiting."""

    status = 503
    code = "qbo_unavailable"
    title = "QuickBooks is unavailable"

    def __init__(self, message: str, *, should_retry: bool = True, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.should_retry = should_retry
        self.retryable = should_retry


class QboNetworkError(QboError):
    """The request never got a response (connect/read failure, timeout)."""

    status = 503
    code = "qbo_network"
    title = "Could not reach QuickBooks"
    retryable = True


class QboProtocolError(QboError):
    """QBO answered with something we cannot read (not JSON, wrong envelope)."""

    status = 502
    code = "qbo_protocol"
    title = "Unexpected answer from QuickBooks"


__all__ = [
    "FaultItem",
    "QboAuthError",
    "QboDuplicate",
    "QboError",
    "QboForbidden",
    "QboNetworkError",
    "QboNotFound",
    "QboProtocolError",
    "QboRateLimited",
    "QboStaleObject",
    "QboUnavailable",
    "QboValidationError",
]
