"""Problem+json, request ids, auth and body limits on the REST surface."""

from __future__ import annotations

from fastapi.testclient import TestClient

from domain.models import Role
from tests.api.conftest import TenantKeys


def test_health_and_request_id(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "abc-123"
    generated = client.get("/healthz").headers["x-request-id"]
    assert generated and generated != "abc-123"


def test_hostile_request_id_is_replaced(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-Id": "x" * 500})
    assert response.headers["x-request-id"] != "x" * 500


def test_missing_and_bad_credentials_are_401_problem(client: TestClient) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer qbo_nope"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer not.a.jwt"},
    ):
        response = client.get("/api/customers", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert body["status"] == 401 and body["code"] == "unauthenticated"


def test_unknown_route_is_problem_404(client: TestClient) -> None:
    response = client.get("/api/nope")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_validation_error_is_problem_422(client: TestClient, tenant: TenantKeys) -> None:
    response = client.post("/api/customers", json={"display_name": ""}, headers=tenant.headers())
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert any("display_name" in err["loc"] for err in body["errors"])


def test_malformed_json_is_422(client: TestClient, tenant: TenantKeys) -> None:
    response = client.post(
        "/api/customers", content=b"{not json", headers=tenant.headers(**{"Content-Type": "application/json"})
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_oversized_body_is_413(client: TestClient, tenant: TenantKeys) -> None:
    big = b'{"display_name": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    response = client.post(
        "/api/customers", content=big, headers=tenant.headers(**{"Content-Type": "application/json"})
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_oversized_chunked_body_is_413(client: TestClient, tenant: TenantKeys) -> None:
    def chunks():
        for _ in range(20):
            yield b"x" * (64 * 1024)

    response = client.post(
        "/api/customers", content=chunks(), headers=tenant.headers(**{"Content-Type": "application/json"})
    )
    assert response.status_code == 413


def test_technician_cannot_create_customer(client: TestClient, tenant: TenantKeys) -> None:
    response = client.post(
        "/api/customers", json={"display_name": "Bob"}, headers=tenant.headers(Role.TECHNICIAN)
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_openapi_lists_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/estimates/{estimate_id}/send" in spec["paths"]
    assert "CustomerPublic" in spec["components"]["schemas"]


def test_access_log_carries_the_request_id(client: TestClient, caplog) -> None:
    import logging

    from api.middleware import RequestIdFilter

    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.INFO, logger="api.access"):
        client.get("/healthz", headers={"X-Request-Id": "trace-me-42"})
    records = [r for r in caplog.records if r.name == "api.access"]
    assert records and getattr(records[-1], "request_id", None) == "trace-me-42"
    assert "/healthz" in records[-1].getMessage()
