"""QBO's Fault envelopes: validation faults (JSON), the gateway auth fault, and the XML throttle body.

Codes, messages and details follow Intuit's published error list; ``code`` is always a string on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr


@dataclass(frozen=True)
class FaultError:
    code: str
    message: str
    detail: str
    element: str = ""

    def to_json(self) -> dict[str, str]:
        return {"Message": self.message, "Detail": self.detail, "code": self.code, "element": self.element}


@dataclass
class QboFault(Exception):
    """An error the emulator answers with a ``Fault`` body instead of the requested data."""

    status: int
    errors: list[FaultError]
    fault_type: str = "ValidationFault"
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return "; ".join(f"{e.code} {e.message}: {e.detail}" for e in self.errors)

    def fault_json(self) -> dict[str, Any]:
        return {"Error": [e.to_json() for e in self.errors], "type": self.fault_type}

    def body(self, time: str) -> dict[str, Any]:
        return {"Fault": self.fault_json(), "time": time}


def validation(code: str, message: str, detail: str, element: str = "", status: int = 400) -> QboFault:
    return QboFault(status, [FaultError(code, message, detail, element)])


def object_not_found(entity: str, entity_id: str) -> QboFault:
    return validation(
        "610",
        "Object Not Found",
        f"Object Not Found : Something you're trying to use has been made inactive. Check the fields with "
        f"accounts, customers, items, vendors or employees. ({entity} {entity_id})",
    )


def stale_object() -> QboFault:
    return validation(
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and API API were working on this at the same time. API API finished before "
        "you did, so your work was not saved.",
    )


def required_param(param: str) -> QboFault:
    return validation(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {param} is missing in the request",
        element=param,
    )


def invalid_reference(element: str) -> QboFault:
    return validation("2500", "Invalid Reference Id", f"Invalid Reference Id : {element}", element=element)


def invalid_property(detail: str, element: str = "") -> QboFault:
    return validation(
        "2010", "Request has invalid or unsupported property", f"Property Name:{detail}", element=element
    )


def duplicate_name(kind: str = "customer, vendor or employee") -> QboFault:
    return validation(
        "6240",
        "Duplicate Name Exists Error",
        f"The name supplied already exists. : Another {kind} is already using this name. "
        "Please use a different name.",
    )


def duplicate_doc_number(doc_number: str, txn_type: str, txn_id: str) -> QboFault:
    return validation(
        "6140",
        "Duplicate Document Number Error",
        "Duplicate Document Number Error : You must specify a different number. This number has already "
        f"been used. DocNumber={doc_number} is assigned to TxnType={txn_type} with TxnId={txn_id}",
    )


def no_name_provided() -> QboFault:
    return validation(
        "6080",
        "No Name Provided",
        "Title, GivenName, MiddleName, FamilyName, DisplayName, Suffix - one of these must be non-empty",
    )


def amount_mismatch(supplied: object) -> QboFault:
    return validation(
        "6070",
        "Amount calculation incorrect in the request",
        f"Amount is not equal to Qty * UnitPrice. Supplied value:{supplied}",
        element="Line.Amount",
    )


def business(detail: str) -> QboFault:
    return validation(
        "6000",
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}",
    )


def unsupported_operation(detail: str) -> QboFault:
    return validation("500", "Unsupported Operation", f"Operation {detail} is not supported.")


def query_parse_error(detail: str) -> QboFault:
    return validation("4000", "Error parsing query", f"QueryParserError: {detail}")


def query_invalid(detail: str) -> QboFault:
    return validation("4001", "Invalid query", f"QueryValidationError: {detail}")


def request_id_conflict() -> QboFault:
    return validation(
        "600",
        "RequestId already exists in the system, duplicate request is detected",
        "RequestId is duplicate and already exists int the system",
    )


def system_fault(detail: str, status: int = 500) -> QboFault:
    return QboFault(
        status,
        [FaultError("10000", "An application error has occurred while processing your request", detail)],
        "SystemFault",
    )


def authentication_failed(detail: str) -> QboFault:
    """The gateway's 401; QBO writes ``type`` in capitals and codes the status into the message."""
    return QboFault(
        401,
        [FaultError("3200", "message=AuthenticationFailed; errorCode=003200; statusCode=401", detail)],
        "AUTHENTICATION",
        headers={"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'},
    )


def authorization_failed(detail: str) -> QboFault:
    return QboFault(
        403,
        [
            FaultError(
                "3100", "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403", detail
            )
        ],
        "SERVICE",
    )


THROTTLE_MESSAGE = "message=ThrottleExceeded; errorCode=003001; statusCode=429"
THROTTLE_DETAIL = "The request limit was reached.  Try again later"


def throttle_xml(time: str) -> str:
    """QBO answers throttling in XML even when JSON was asked for; clients must check the status first."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<IntuitResponse time={quoteattr(time)} xmlns="http://schema.intuit.com/finance/v3">\n'
        '  <Fault type="SERVICE">\n'
        '    <Error code="3001">\n'
        f"      <Message>{escape(THROTTLE_MESSAGE)}</Message>\n"
        f"      <Detail>{escape(THROTTLE_DETAIL)}</Detail>\n"
        "    </Error>\n"
        "  </Fault>\n"
        "</IntuitResponse>\n"
    )
