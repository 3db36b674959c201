"""One test per QBO status / fault mapping (reference §2)."""

from __future__ import annotations

import json

import pytest

from domain.errors import AppError
from integrations.quickbooks.api.errors import (
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
from integrations.quickbooks.api.faults import error_from_fault, error_from_response


def fault(
    code: str, message: str = "m", detail: str = "d", fault_type: str = "ValidationFault", element: str = ""
) -> str:
    return json.dumps(
        {
            "Fault": {
                "Error": [{"Message": message, "Detail": detail, "code": code, "element": element}],
                "type": fault_type,
            },
            "time": "2017-09-29T09:17:31.892-07:00",
        }
    )


THROTTLE_XML = """<IntuitResponse time="2016-12-07T15:27:09.527-08:00" xmlns="http://schema.intuit.com/finance/v3">
  <Fault type="SERVICE">
    <Error code="3001">
      <Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>
      <Detail>The request limit was reached.  Try again later</Detail>
    </Error>
  </Fault>
</IntuitResponse>"""

GATEWAY_401 = json.dumps(
    {
        "warnings": None,
        "fault": {
            "error": [
                {
                    "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "detail": "Malformed bearer token: too short or too long",
                    "code": "3200",
                    "element": None,
                }
            ],
            "type": "AUTHENTICATION",
        },
        "time": 1633520295688,
    }
)


def test_success_without_fault_is_none() -> None:
    assert error_from_response(200, json.dumps({"Invoice": {"Id": "1"}})) is None


def test_http_200_carrying_a_fault_is_an_error() -> None:
    err = error_from_response(200, fault("6190", detail="Invalid Company Status"))
    assert isinstance(err, QboValidationError)
    assert err.fault_code == "6190"


def test_stale_object_5010() -> None:
    err = error_from_response(400, fault("5010", "Stale Object Error"), {"intuit_tid": "tid-1"})
    assert isinstance(err, QboStaleObject)
    assert err.intuit_tid == "tid-1"
    assert err.status == 409


def test_object_not_found_610() -> None:
    assert isinstance(error_from_response(400, fault("610", "Object Not Found")), QboNotFound)


def test_duplicate_name_6240() -> None:
    assert isinstance(error_from_response(400, fault("6240", "Duplicate Name Exists Error")), QboDuplicate)


@pytest.mark.parametrize("code", ["6140", "6210"])
def test_duplicate_doc_number(code: str) -> None:
    assert isinstance(error_from_response(400, fault(code)), QboDuplicate)


def test_validation_2020_keeps_element() -> None:
    err = error_from_response(400, fault("2020", element="Line.SalesItemLineDetail"))
    assert isinstance(err, QboValidationError)
    assert err.element == "Line.SalesItemLineDetail"
    assert err.detail == "d"


def test_query_parser_4000_is_validation() -> None:
    assert isinstance(error_from_response(400, fault("4000", "Error parsing query")), QboValidationError)


def test_validation_xml_body() -> None:
    body = (
        '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3"><Fault type="ValidationFault">'
        '<Error code="2500" element="Line.SalesItemLineDetail.ItemRef"><Message>Invalid Reference Id</Message>'
        "<Detail>Invalid Reference Id : Line.SalesItemLineDetail.ItemRef</Detail></Error></Fault></IntuitResponse>"
    )
    err = error_from_response(400, body)
    assert isinstance(err, QboValidationError)
    assert err.fault_code == "2500"
    assert err.element == "Line.SalesItemLineDetail.ItemRef"


def test_401_gateway_envelope_lower_camel() -> None:
    err = error_from_response(401, GATEWAY_401)
    assert isinstance(err, QboAuthError)
    assert err.fault_code == "3200"
    assert "Malformed bearer token" in str(err)


def test_401_without_body() -> None:
    assert isinstance(error_from_response(401, b""), QboAuthError)


def test_403_forbidden() -> None:
    body = fault(
        "3100",
        "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
        fault_type="SERVICE",
    )
    assert isinstance(error_from_response(403, body), QboForbidden)


def test_authorization_fault_in_400_is_forbidden() -> None:
    assert isinstance(error_from_response(400, fault("120", fault_type="AuthorizatonFault")), QboForbidden)


def test_429_xml_throttle_with_retry_after() -> None:
    err = error_from_response(429, THROTTLE_XML, {"Retry-After": "7"})
    assert isinstance(err, QboRateLimited)
    assert err.retry_after == 7.0
    assert err.fault_code == "3001"
    assert err.retryable


def test_older_403_throttle_is_rate_limited() -> None:
    err = error_from_response(403, THROTTLE_XML.replace("statusCode=429", "statusCode=403"))
    assert isinstance(err, QboRateLimited)
    assert err.retry_after is None


def test_404_not_found() -> None:
    assert isinstance(error_from_response(404, "<html>no</html>"), QboNotFound)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retryable_unavailable(status: int) -> None:
    err = error_from_response(status, "")
    assert isinstance(err, QboUnavailable)
    assert err.should_retry


def test_system_fault_in_400_is_not_retried() -> None:
    err = error_from_response(400, fault("10000", fault_type="SystemFault"))
    assert isinstance(err, QboUnavailable)
    assert not err.should_retry


def test_batch_item_fault() -> None:
    err = error_from_fault({"bId": "1", "Fault": json.loads(fault("6240"))["Fault"]})
    assert isinstance(err, QboDuplicate)
    assert error_from_fault({"bId": "2", "Customer": {"Id": "1"}}) is None


def test_qbo_errors_are_app_errors_with_problem_bodies() -> None:
    err = error_from_response(400, fault("5010"))
    assert isinstance(err, QboError) and isinstance(err, AppError)
    problem = err.to_problem()
    assert problem["status"] == 409
    assert problem["code"] == "qbo_stale_object"
    assert problem["context"]["fault_code"] == "5010"
