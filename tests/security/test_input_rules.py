"""Hostile input at the REST edge: nulls, look-alike names, odd money and names QuickBooks rejects are 4xx."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import TenantKeys


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(
    "field", ["display_name", "tax_exempt", "active", "billing_address", "shipping_address"]
)
def test_patch_null_on_a_required_field_is_422_naming_it(
    client: TestClient, tenant: TenantKeys, field: str
) -> None:
    url = f"/api/customers/{tenant.customer_id}"
    before = client.get(url, headers=tenant.headers()).json()
    body = _problem(client.patch(url, json={field: None}, headers=tenant.headers()), 422)
    assert any(err["loc"][-1] == field for err in body["errors"]), body
    assert field in str(body["errors"])
    assert client.get(url, headers=tenant.headers()).json() == before


def test_patch_null_clears_an_optional_field(client: TestClient, tenant: TenantKeys) -> None:
    url = f"/api/customers/{tenant.customer_id}"
    assert client.patch(url, json={"email": "a@b.co"}, headers=tenant.headers()).status_code == 200
    cleared = client.patch(url, json={"email": None}, headers=tenant.headers())
    assert cleared.status_code == 200 and cleared.json()["email"] is None


def test_estimate_patch_null_lines_is_422(client: TestClient, tenant: TenantKeys) -> None:
    line = {"type": "labor", "name": "Labor", "quantity": "1", "unit_price": "90.00"}
    created = client.post(
        "/api/estimates", json={"customer_id": tenant.customer_id, "lines": [line]}, headers=tenant.headers()
    )
    assert created.status_code == 201, created.text
    body = _problem(
        client.patch(
            f"/api/estimates/{created.json()['id']}", json={"lines": None}, headers=tenant.headers()
        ),
        422,
    )
    assert body["errors"][0]["loc"][-1] == "lines"


@pytest.mark.parametrize("second", ["Ölaf Heating", "ölaf heating", "ÖLAF  HEATING", "O\u0308laf Heating"])
def test_unicode_case_duplicates_are_409(client: TestClient, tenant: TenantKeys, second: str) -> None:
    first = client.post("/api/customers", json={"display_name": "Ölaf Heating"}, headers=tenant.headers())
    assert first.status_code == 201
    body = _problem(
        client.post("/api/customers", json={"display_name": second}, headers=tenant.headers()), 409
    )
    assert body["code"] == "conflict"
    listed = client.get("/api/customers", params={"q": "ÖLAF"}, headers=tenant.headers()).json()["items"]
    assert [c["display_name"] for c in listed] == ["Ölaf Heating"]


def test_renaming_onto_a_folded_duplicate_is_409(client: TestClient, tenant: TenantKeys) -> None:
    assert (
        client.post(
            "/api/customers", json={"display_name": "Straße Bau"}, headers=tenant.headers()
        ).status_code
        == 201
    )
    url = f"/api/customers/{tenant.customer_id}"
    _problem(client.patch(url, json={"display_name": "STRASSE BAU"}, headers=tenant.headers()), 409)
    # Renaming a customer to its own name in another case is not a clash with itself.
    own = client.get(url, headers=tenant.headers()).json()["display_name"]
    renamed = client.patch(url, json={"display_name": own.upper()}, headers=tenant.headers())
    assert renamed.status_code == 200 and renamed.json()["display_name"] == own.upper()


def test_item_names_fold_too(client: TestClient, tenant: TenantKeys) -> None:
    item = {"name": "Ölventil ½", "type": "material", "rate": "12.00"}
    assert client.post("/api/items", json=item, headers=tenant.headers()).status_code == 201
    _problem(client.post("/api/items", json={**item, "name": "ÖLVENTIL ½"}, headers=tenant.headers()), 409)


@pytest.mark.parametrize(
    ("sent", "shown"), [("1e2", "100.00"), (0.1, "0.10"), ("0.1", "0.10"), (5, "5.00"), ("12.3", "12.30")]
)
def test_money_on_responses_is_two_decimals(
    client: TestClient, tenant: TenantKeys, sent: object, shown: str
) -> None:
    body = {"customer_id": tenant.customer_id, "amount": sent, "payment_date": "2026-03-02"}
    created = client.post("/api/payments", json=body, headers=tenant.headers())
    assert created.status_code == 201, created.text
    assert created.json()["amount"] == shown and created.json()["unapplied_amount"] == shown
    again = client.get(f"/api/payments/{created.json()['id']}", headers=tenant.headers()).json()
    assert again["amount"] == shown
    item = client.post(
        "/api/items", json={"name": f"Fee {shown}", "type": "fee", "rate": sent}, headers=tenant.headers()
    )
    assert item.status_code == 201 and item.json()["rate"] == shown and Decimal(shown) == Decimal(str(sent))


@pytest.mark.parametrize(
    "amount", ["NaN", "Infinity", "-Infinity", "sNaN", "1e20", "123456789012345.00", "0.001"]
)
def test_absurd_money_is_422_and_nothing_is_stored(
    client: TestClient, tenant: TenantKeys, amount: str
) -> None:
    body = {"customer_id": tenant.customer_id, "amount": amount, "payment_date": "2026-03-02"}
    _problem(client.post("/api/payments", json=body, headers=tenant.headers()), 422)
    _problem(
        client.post(
            "/api/items", json={"name": "X", "type": "fee", "rate": amount}, headers=tenant.headers()
        ),
        422,
    )
    assert client.get("/api/payments", headers=tenant.headers()).json()["items"] == []


@pytest.mark.parametrize(
    "name",
    ["Tab\tCo", "New\nLine Co", "Nul\x00 Co", "Bell\x07 Co", "Parent:Job", "Del\x7f Co", "x" * 501, "   "],
)
def test_names_quickbooks_rejects_are_422(client: TestClient, tenant: TenantKeys, name: str) -> None:
    body = _problem(client.post("/api/customers", json={"display_name": name}, headers=tenant.headers()), 422)
    assert body["errors"][0]["loc"][-1] == "display_name"
    url = f"/api/customers/{tenant.customer_id}"
    _problem(client.patch(url, json={"display_name": name}, headers=tenant.headers()), 422)
    _problem(
        client.post(
            "/api/items",
            json={"name": name if len(name) < 100 else "y" * 101, "type": "fee", "rate": "1"},
            headers=tenant.headers(),
        ),
        422,
    )
    assert client.get(url, headers=tenant.headers()).json()["display_name"].startswith("Jane Cooper")


def test_odd_but_valid_names_are_kept_exactly(client: TestClient, tenant: TenantKeys) -> None:
    for name in ["Back\\'slash Co", 'The "Quote" Co', "O'Brien & Sons", "Ölaf Heating", "李 Plumbing"]:
        created = client.post("/api/customers", json={"display_name": name}, headers=tenant.headers())
        assert created.status_code == 201 and created.json()["display_name"] == name
