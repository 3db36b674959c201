"""Fixtures for the emulator tests: an app pinned to the fixture's asOf day and an authorised test client."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from integrations.quickbooks.sandbox.app import create_sandbox_app
from integrations.quickbooks.sandbox.config import SandboxConfig
from integrations.quickbooks.sandbox.fixture import fixture_as_of
from integrations.quickbooks.sandbox.state import Sandbox
from integrations.quickbooks.sandbox.wire import loads

AS_OF = date(2026, 3, 18)


class Qbo:
    """A thin caller of the emulator's v3 API for tests: paths relative to the company, Decimal JSON."""

    def __init__(self, http: TestClient, realm_id: str, token: str) -> None:
        self.http = http
        self.realm_id = realm_id
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def url(self, path: str) -> str:
        return f"/v3/company/{self.realm_id}/{path.lstrip('/')}"

    def get(self, path: str, **params: Any) -> tuple[int, Any]:
        response = self.http.get(self.url(path), params=params, headers=self.headers)
        return response.status_code, _body(response.content)

    def post(self, path: str, body: Any, **params: Any) -> tuple[int, Any]:
        from integrations.quickbooks.sandbox.wire import dumps

        response = self.http.post(
            self.url(path),
            content=dumps(body),
            params=params,
            headers={**self.headers, "Content-Type": "application/json"},
        )
        return response.status_code, _body(response.content)

    def query(self, text: str) -> tuple[int, Any]:
        return self.get("query", query=text)

    def create(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        status, data = self.post(entity.lower(), body)
        assert status == 200, data
        return data[entity]

    def read(self, entity: str, entity_id: str) -> dict[str, Any]:
        status, data = self.get(f"{entity.lower()}/{entity_id}")
        assert status == 200, data
        return data[entity]


def _body(raw: bytes) -> Any:
    try:
        return loads(raw)
    except ValueError:
        return raw.decode()


def fault_codes(body: Any) -> list[str]:
    return [error["code"] for error in body["Fault"]["Error"]]


def money(value: str) -> Decimal:
    return Decimal(value)


@pytest.fixture
def app() -> FastAPI:
    assert fixture_as_of() == AS_OF
    return create_sandbox_app(SandboxConfig(today=AS_OF))


@pytest.fixture
def sandbox(app: FastAPI) -> Sandbox:
    return app.state.sandbox  # type: ignore[no-any-return]


@pytest.fixture
def qbo(app: FastAPI, sandbox: Sandbox) -> Iterator[Qbo]:
    token = sandbox.issue_tokens()["access_token"]
    with TestClient(app) as http:
        yield Qbo(http, sandbox.default_realm_id, token)
