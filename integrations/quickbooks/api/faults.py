"""Reading QBO's failures into the ``errors`` tree: the one function that turns a response into an error.

QBO reports failures three ways: a JSON ``Fault`` envelope (upper- or lower-camel keys), an XML
``IntuitResponse`` (throttling and gateway errors arrive as XML even when JSON was asked for), and bare HTTP
statuses. :func:`error_from_response` reads all three so callers only ever see one tree.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from integrations.quickbooks.api.errors import (
    FaultItem,
    QboAuthError,
    QboDuplicate,
    QboError,
    QboForbidden,
    QboNotFound,
    QboRateLimited,
    QboStaleObject,
    QboUnavailable,
    QboValidationError,
)
from integrations.quickbooks.api.wire import WireBody, entity_key, read_body

THROTTLE_CODE = "3001"
STALE_OBJECT_CODE = "5010"
OBJECT_NOT_FOUND_CODE = "610"
DUPLICATE_CODES = frozenset({"6240", "6140", "6210", "630"})
DUPLICATE_REQUEST_CODE = "600"


def parse_fault(body: bytes | str | WireBody) -> tuple[str | None, list[FaultItem]]:
    """Extract (fault type, errors) from a JSON or XML body; (None, []) when it holds no fault.

    Pass the :class:`WireBody` the caller already read, so a body is never parsed twice.
    """
    read = body if isinstance(body, WireBody) else read_body(body)
    if read.xml is not None:
        return _parse_xml_fault(read.xml)
    if not isinstance(read.data, dict):
        return None, []
    return parse_fault_obj(read.data)


def parse_fault_obj(data: dict[str, Any]) -> tuple[str | None, list[FaultItem]]:
    # Gateway faults use lower-camel keys (``fault.error``), the API upper-camel (``Fault.Error``).
    fault = entity_key(data, "Fault")
    if not isinstance(fault, dict):
        return None, []
    raw_errors = entity_key(fault, "Error") or []
    if isinstance(raw_errors, dict):
        raw_errors = [raw_errors]
    items = [
        FaultItem(
            code=str(entity_key(e, "code") or ""),
            message=str(entity_key(e, "Message") or ""),
            detail=str(entity_key(e, "Detail") or ""),
            element=(entity_key(e, "element") or None),
        )
        for e in raw_errors
        if isinstance(e, dict)
    ]
    fault_type = entity_key(fault, "type")
    return (str(fault_type) if fault_type is not None else None), items


def _parse_xml_fault(text: str) -> tuple[str | None, list[FaultItem]]:
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None, []

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    fault = (
        root
        if local(root.tag) == "Fault"
        else next((el for el in root.iter() if local(el.tag) == "Fault"), None)
    )
    if fault is None:
        return None, []
    items: list[FaultItem] = []
    for err in (el for el in fault.iter() if local(el.tag) == "Error"):
        texts = {local(child.tag): (child.text or "").strip() for child in err}
        items.append(
            FaultItem(
                code=err.attrib.get("code", ""),
                message=texts.get("Message", ""),
                detail=texts.get("Detail", ""),
                element=err.attrib.get("element") or None,
            )
        )
    return fault.attrib.get("type"), items


def _parse_retry_after(value: str | None) -> float | None:
    """Only the delta-seconds form; QBO does not document the header at all, so be lenient."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def error_from_response(
    status: int,
    body: bytes | str | WireBody,
    headers: dict[str, str] | None = None,
) -> QboError | None:
    """Map an HTTP status plus Fault body to the typed error; None for a success without a fault.

    The one place that decides what a QBO answer means. HTTP 200 can carry a Fault (QBO does that), so a
    2xx is only a success when its body has no Fault.
    """
    hdrs = {k.lower(): v for k, v in (headers or {}).items()}
    tid = hdrs.get("intuit_tid")
    fault_type, items = parse_fault(body)
    first = items[0] if items else None
    fault_code = (first.code.lstrip("0") or first.code) if first and first.code else None
    detail = first.detail if first else None
    message = _message(status, first)
    kwargs: dict[str, Any] = {
        "http_status": status,
        "fault_code": fault_code,
        "detail": detail,
        "intuit_tid": tid,
        "element": first.element if first else None,
        "errors": items,
    }
    throttled = fault_code == THROTTLE_CODE or (first is not None and "ThrottleExceeded" in first.message)

    if 200 <= status < 300:
        return _fault_error(fault_code, fault_type, message, kwargs) if items else None
    if status == 429 or (status == 403 and throttled):
        return QboRateLimited(message, retry_after=_parse_retry_after(hdrs.get("retry-after")), **kwargs)
    if status == 401:
        return QboAuthError(message, **kwargs)
    if status == 403:
        return QboForbidden(message, **kwargs)
    if status == 404:
        return QboNotFound(message, **kwargs)
    if status in (502, 503, 504):
        return QboUnavailable(message, should_retry=True, **kwargs)
    if status >= 500:
        # A SystemFault (code >= 10000) with a 500 is usually transient on QBO's side; retry it.
        return QboUnavailable(message, should_retry=True, **kwargs)
    if items:
        return _fault_error(fault_code, fault_type, message, kwargs)
    return QboValidationError(message, **kwargs) if status == 400 else QboError(message, **kwargs)


def error_from_fault(item: dict[str, Any], *, intuit_tid: str | None = None) -> QboError | None:
    """Typed error for one object that may carry a ``Fault`` (a batch item, say); None when it holds none."""
    fault_type, items = parse_fault_obj(item)
    if not items:
        return None
    first = items[0]
    fault_code = (first.code.lstrip("0") or first.code) if first.code else None
    kwargs: dict[str, Any] = {
        "fault_code": fault_code,
        "detail": first.detail,
        "intuit_tid": intuit_tid,
        "element": first.element,
        "errors": items,
    }
    return _fault_error(fault_code, fault_type, _message(200, first), kwargs)


def _fault_error(
    fault_code: str | None, fault_type: str | None, message: str, kwargs: dict[str, Any]
) -> QboError:
    code = int(fault_code) if fault_code and fault_code.isdigit() else None
    if fault_code == THROTTLE_CODE:
        return QboRateLimited(message, **kwargs)
    if fault_code == STALE_OBJECT_CODE:
        return QboStaleObject(message, **kwargs)
    if fault_code == OBJECT_NOT_FOUND_CODE:
        return QboNotFound(message, **kwargs)
    if fault_code in DUPLICATE_CODES or fault_code == DUPLICATE_REQUEST_CODE:
        return QboDuplicate(message, **kwargs)
    lowered = (fault_type or "").lower()
    if lowered.startswith("authentication") or (
        code is not None and 0 < code < 500 and "author" not in lowered
    ):
        return QboAuthError(message, **kwargs)
    if lowered.startswith("authorizat"):  # "AuthorizatonFault" is misspelled on the wire
        return QboForbidden(message, **kwargs)
    if lowered == "systemfault" or (code is not None and code >= 10000):
        return QboUnavailable(message, should_retry=False, **kwargs)
    return QboValidationError(message, **kwargs)


def _message(status: int, first: FaultItem | None) -> str:
    if first is None:
        return f"QuickBooks answered HTTP {status}"
    text = first.detail or first.message or "no detail"
    return f"QuickBooks error {first.code}: {text}" if first.code else f"QuickBooks error: {text}"


__all__ = ["error_from_fault", "error_from_response", "parse_fault", "parse_fault_obj"]
