"""Make the documents a race needs through the REST API, as a client would."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from domain.models import Role
from tests.security.conftest import Live


def _ok(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _lines(live: Live) -> list[dict[str, Any]]:
    labor = live.keys.item_ids["Labor - Standard"]
    return [{"type": "labor", "name": "Labor - Standard", "item_id": labor, "quantity": "2"}]


def create_invoice(live: Live) -> dict[str, Any]:
    body = {"customer_id": live.keys.customer_id, "lines": _lines(live)}
    response = httpx.post(f"{live.base}/api/invoices", json=body, headers=live.keys.headers(Role.OWNER))
    return _ok(response, 201)


def create_estimate(live: Live) -> dict[str, Any]:
    body = {"customer_id": live.keys.customer_id, "title": "Water heater swap", "lines": _lines(live)}
    response = httpx.post(f"{live.base}/api/estimates", json=body, headers=live.keys.headers(Role.OWNER))
    return _ok(response, 201)


def sent_estimate(live: Live) -> tuple[dict[str, Any], str]:
    """A sent estimate and the path of its customer link."""
    estimate = create_estimate(live)
    response = httpx.post(
        f"{live.base}/api/estimates/{estimate['id']}/send", headers=live.keys.headers(Role.OWNER)
    )
    sent = _ok(response, 200)
    return sent, urlsplit(sent["public_url"]).path


def approved_estimate(live: Live) -> dict[str, Any]:
    estimate, _path = sent_estimate(live)
    response = httpx.post(
        f"{live.base}/api/estimates/{estimate['id']}/approve",
        json={"signed_by": "Jane Cooper"},
        headers=live.keys.headers(Role.OWNER),
    )
    return _ok(response, 200)


def record_payment(live: Live, invoice: dict[str, Any], amount: str) -> dict[str, Any]:
    body = {
        "customer_id": live.keys.customer_id,
        "amount": amount,
        "payment_date": invoice["issue_date"],
        "applications": [{"invoice_id": invoice["id"], "amount": amount}],
    }
    response = httpx.post(f"{live.base}/api/payments", json=body, headers=live.keys.headers(Role.OWNER))
    return _ok(response, 201)
