"""The QBO webhook receiver over real HTTP: signed bodies are queued (deduplicated), bad signatures refused,
and the answer comes back well within QBO's 3 seconds because nothing is fetched in the request."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from api.app import create_app
from domain.db import utcnow
from domain.models import QboConnection, SyncJob, WebhookEvent
from integrations.quickbooks.sync.webhook_events import sign
from tests.api.conftest import TenantKeys, _no_agent, make_settings, seed_tenant
from tests.api.live import serve

VERIFIER = "verifier-0123456789"
REALM = "4620816365281412345"
URL = "/api/integrations/quickbooks/webhook"


@pytest.fixture()
def live(api_engine: Engine) -> Iterator[tuple[str, TenantKeys]]:
    settings = make_settings(qbo_webhook_verifier_token=VERIFIER)
    keys = seed_tenant(api_engine, "Northwind Plumbing", settings)
    with Session(api_engine) as s:
        s.add(
            QboConnection(
                tenant_id=keys.tenant_id,
                realm_id=REALM,
                access_token_enc="-",
                refresh_token_enc="-",
                access_expires_at=utcnow() + timedelta(hours=1),
                refresh_expires_at=utcnow() + timedelta(days=100),
            )
        )
        s.commit()
    app = create_app(settings, engine=api_engine, agent_factory=_no_agent)
    with serve(app) as base:
        yield base, keys


def _legacy(*events: tuple[str, str, str, str]) -> bytes:
    rows = [{"name": n, "id": i, "operation": o, "lastUpdated": t} for n, i, o, t in events]
    return json.dumps(
        {"eventNotifications": [{"realmId": REALM, "dataChangeEvent": {"entities": rows}}]}
    ).encode()


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_signed_events_are_queued_once_and_answered_fast(
    live: tuple[str, TenantKeys], api_engine: Engine
) -> None:
    base, _keys = live
    body = _legacy(
        ("Invoice", "130", "Update", "2026-03-01T10:00:00Z"),
        ("Customer", "7", "Create", "2026-03-01T10:00:01Z"),
    )
    headers = {"intuit-signature": sign(body, VERIFIER), "content-type": "application/json"}
    started = time.monotonic()
    first = httpx.post(base + URL, content=body, headers=headers)
    elapsed = time.monotonic() - started
    assert first.status_code == 200, first.text
    assert first.json() == {"received": 2, "stored": 2, "duplicates": 0, "queued": 2, "unknown_realm": 0}
    assert elapsed < 3.0
    again = httpx.post(base + URL, content=body, headers=headers)
    assert again.json()["duplicates"] == 2
    cloud = json.dumps(
        [
            {
                "specversion": "1.0",
                "id": "x",
                "source": "intuit",
                "type": "qbo.invoice.voided.v1",
                "time": "2026-03-01T11:00:00Z",
                "intuitentityid": "130",
                "intuitaccountid": REALM,
            }
        ]
    ).encode()
    third = httpx.post(base + URL, content=cloud, headers={"intuit-signature": sign(cloud, VERIFIER)})
    assert third.json()["stored"] == 1
    assert _count(api_engine, WebhookEvent) == 3
    assert _count(api_engine, SyncJob) == 2  # the invoice's pull job absorbed the second event


def test_bad_or_missing_signature_is_refused(live: tuple[str, TenantKeys], api_engine: Engine) -> None:
    base, _keys = live
    body = _legacy(("Invoice", "1", "Update", "2026-03-01T10:00:00Z"))
    wrong = httpx.post(base + URL, content=body, headers={"intuit-signature": sign(body, "another-token")})
    missing = httpx.post(base + URL, content=body)
    tampered = httpx.post(
        base + URL, content=body.replace(b'"1"', b'"2"'), headers={"intuit-signature": sign(body, VERIFIER)}
    )
    assert (wrong.status_code, missing.status_code, tampered.status_code) == (401, 401, 401)
    assert wrong.headers["content-type"].startswith("application/problem+json")
    assert _count(api_engine, WebhookEvent) == 0


def test_without_a_configured_verifier_nothing_is_accepted(api_engine: Engine) -> None:
    app = create_app(make_settings(), engine=api_engine, agent_factory=_no_agent)
    body = _legacy(("Invoice", "1", "Update", "2026-03-01T10:00:00Z"))
    with serve(app) as base:
        response = httpx.post(base + URL, content=body, headers={"intuit-signature": sign(body, "")})
    assert response.status_code == 401
