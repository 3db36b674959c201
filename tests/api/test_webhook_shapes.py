"""Webhook bodies of every shape over real HTTP, on SQLite and PostgreSQL: both formats are routed to the tenant
of each event's realm; a malformed signed body is a 4xx problem and changes nothing; an unknown company is
skipped without failing the others."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from api.app import create_app
from domain.db import utcnow
from domain.models import QboConnection, SyncJob, WebhookEvent
from integrations.quickbooks.sandbox.rules import Change
from integrations.quickbooks.sandbox.webhooks import cloudevents_body, legacy_body
from integrations.quickbooks.sync.webhook_events import sign
from tests.api.conftest import TenantKeys, _no_agent, make_settings, seed_tenant
from tests.api.live import serve

VERIFIER = "verifier-shapes-0123456789"
URL = "/api/integrations/quickbooks/webhook"


@dataclass
class Live:
    base: str
    engine: Engine
    tenants: dict[str, TenantKeys]  # realm -> tenant

    def post(self, body: bytes, **headers: str) -> httpx.Response:
        return httpx.post(
            self.base + URL, content=body, headers={"intuit-signature": sign(body, VERIFIER), **headers}
        )

    def rows(self) -> list[tuple[str | None, str, str, str]]:
        realms = list(self.tenants)
        with Session(self.engine) as s:
            found = s.execute(
                select(
                    WebhookEvent.tenant_id, WebhookEvent.realm_id, WebhookEvent.entity, WebhookEvent.qbo_id
                )
                .where(WebhookEvent.realm_id.in_(realms))
                .order_by(WebhookEvent.realm_id, WebhookEvent.qbo_id)
            )
            return [tuple(r) for r in found]  # type: ignore[misc]

    def jobs(self) -> int:
        ids = [t.tenant_id for t in self.tenants.values()]
        with Session(self.engine) as s:
            return int(
                s.scalar(select(func.count()).select_from(SyncJob).where(SyncJob.tenant_id.in_(ids))) or 0
            )


def _connect(engine: Engine, tenant_id: str, realm: str) -> None:
    with Session(engine) as s:
        s.add(
            QboConnection(
                tenant_id=tenant_id,
                realm_id=realm,
                access_token_enc="-",
                refresh_token_enc="-",
                access_expires_at=utcnow() + timedelta(hours=1),
                refresh_expires_at=utcnow() + timedelta(days=100),
            )
        )
        s.commit()


@pytest.fixture()
def live(engine: Engine) -> Iterator[Live]:
    settings = make_settings(qbo_webhook_verifier_token=VERIFIER)
    tenants: dict[str, TenantKeys] = {}
    for label in ("North", "South"):
        realm = str(uuid.uuid4().int)[:19]
        keys = seed_tenant(engine, f"{label} Plumbing {uuid.uuid4().hex[:6]}", settings)
        _connect(engine, keys.tenant_id, realm)
        tenants[realm] = keys
    app = create_app(settings, engine=engine, agent_factory=_no_agent)
    with serve(app) as base:
        yield Live(base, engine, tenants)


def _change(entity: str, entity_id: str, second: int = 0) -> Change:
    return Change(entity, entity_id, "Update", f"2026-03-01T10:00:{second:02d}-07:00")


@pytest.mark.parametrize("fmt", ["legacy", "cloudevents"])
def test_one_delivery_mixing_companies_routes_each_event_to_its_tenant(live: Live, fmt: str) -> None:
    north, south = list(live.tenants)
    stranger = "9999999999999999999"
    events = [
        (north, _change("Invoice", "130")),
        (stranger, _change("Invoice", "131")),
        (south, _change("Customer", "7", 1)),
    ]
    body = json.dumps(cloudevents_body(events) if fmt == "cloudevents" else legacy_body(events)).encode()
    response = live.post(body, **{"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json() == {"received": 3, "stored": 2, "duplicates": 0, "queued": 2, "unknown_realm": 1}
    assert live.rows() == sorted(
        [
            (live.tenants[north].tenant_id, north, "Invoice", "130"),
            (live.tenants[south].tenant_id, south, "Customer", "7"),
        ],
        key=lambda r: (r[1], r[3]),
    )
    assert live.jobs() == 2
    with Session(live.engine) as s:
        assert s.scalar(select(func.count()).where(WebhookEvent.realm_id == stranger)) == 0


def test_cloudevents_without_data_and_with_a_merge(live: Live) -> None:
    north = next(iter(live.tenants))
    body = json.dumps(
        [
            {
                "specversion": "1.0",
                "id": "abc-SalesReceipt-150",
                "source": "intuit.x",
                "type": "qbo.invoice.updated.v1",
                "time": "2026-03-01T11:00:00Z",
                "intuitentityid": "130",
                "intuitaccountid": north,
            },
            {
                "specversion": "1.0",
                "id": "m1",
                "source": "intuit.x",
                "type": "qbo.customer.merged.v1",
                "datacontenttype": "application/json",
                "time": "2026-03-01T11:00:01Z",
                "intuitentityid": "8",
                "intuitaccountid": north,
                "data": {"deletedid": "27"},
            },
        ]
    ).encode()
    response = live.post(body)
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == 2
    with Session(live.engine) as s:
        merged = s.scalars(
            select(WebhookEvent).where(WebhookEvent.realm_id == north, WebhookEvent.qbo_id == "8")
        )
        assert [(e.operation, e.deleted_id) for e in merged] == [("Merge", "27")]


def _legacy(entity: Any) -> Any:
    return {"eventNotifications": [{"realmId": "REALM", "dataChangeEvent": {"entities": [entity]}}]}


def _cloud(**over: Any) -> Any:
    event = {
        "specversion": "1.0",
        "id": "e1",
        "source": "intuit.x",
        "type": "qbo.invoice.updated.v1",
        "time": "2026-03-01T11:00:00Z",
        "intuitentityid": "130",
        "intuitaccountid": "REALM",
    }
    event.update(over)
    return [{k: v for k, v in event.items() if v is not ...}]


GOOD_ENTITY = {"name": "Invoice", "id": "1", "operation": "Update", "lastUpdated": "2026-03-01T10:00:00Z"}
MALFORMED: list[Any] = [
    {"eventNotifications": [{"realmId": "REALM", "dataChangeEvent": ["x"]}]},
    {"eventNotifications": [{"realmId": "REALM", "dataChangeEvent": "x"}]},
    {"eventNotifications": [{"realmId": "REALM", "dataChangeEvent": {"entities": "x"}}]},
    {"eventNotifications": [{"realmId": "REALM", "dataChangeEvent": {"entities": ["x"]}}]},
    {"eventNotifications": [{"realmId": "REALM", "dataChangeEvent": {"entities": [None]}}]},
    {"eventNotifications": [{"realmId": "REALM"}]},
    {"eventNotifications": [{"realmId": ["REALM"], "dataChangeEvent": {"entities": [GOOD_ENTITY]}}]},
    {"eventNotifications": [{"realmId": 1.5, "dataChangeEvent": {"entities": [GOOD_ENTITY]}}]},
    {"eventNotifications": [{"realmId": True, "dataChangeEvent": {"entities": [GOOD_ENTITY]}}]},
    {"eventNotifications": ["x"]},
    {"eventNotifications": "x"},
    {"eventNotifications": None},
    {"eventNotifications": [None]},
    _legacy({**GOOD_ENTITY, "name": {"a": 1}}),
    _legacy({**GOOD_ENTITY, "id": None}),
    _legacy({**GOOD_ENTITY, "id": ["1"]}),
    _legacy({**GOOD_ENTITY, "id": "9" * 40}),
    _legacy({**GOOD_ENTITY, "name": "N" * 40}),
    _legacy({**GOOD_ENTITY, "operation": 5}),
    _legacy({**GOOD_ENTITY, "operation": "U" * 17}),
    _legacy({**GOOD_ENTITY, "lastUpdated": {"t": 1}}),
    _legacy({**GOOD_ENTITY, "lastUpdated": "T" * 41}),
    _legacy({**GOOD_ENTITY, "deletedId": {"x": 1}}),
    {"something": "else"},
    "a string",
    42,
    None,
    [1],
    ["x"],
    [None],
    [[{"type": "qbo.invoice.updated.v1"}]],
    _cloud(type=5),
    _cloud(type=...),
    _cloud(specversion=...),
    _cloud(specversion="0.3"),
    _cloud(id=...),
    _cloud(source=None),
    _cloud(intuitentityid=...),
    _cloud(intuitentityid={"id": 1}),
    _cloud(intuitentityid=1.0),
    _cloud(intuitaccountid=...),
    _cloud(intuitaccountid=["REALM"]),
    _cloud(intuitaccountid="R" * 33),
    _cloud(time=5),
    _cloud(data="x"),
    _cloud(data=["x"]),
    _cloud(data={"deletedid": {"x": 1}}),
]


@pytest.mark.parametrize("shape", range(len(MALFORMED)))
def test_malformed_signed_bodies_are_422_and_change_nothing(live: Live, shape: int) -> None:
    realm = next(iter(live.tenants))
    body = json.dumps(MALFORMED[shape]).replace('"REALM"', json.dumps(realm)).encode()
    response = live.post(body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 422
    assert live.rows() == [] and live.jobs() == 0


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 50_000 + b"]" * 50_000,
        b'{"eventNotifications":' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        b"{" + b'"a":{' * 30_000 + b"}" * 30_001,
        b"not json",
        b"\xff\xfe\x00garbage",
        b"",
        b'{"eventNotifications": [',
    ],
)
def test_hostile_bytes_are_4xx_problems(live: Live, body: bytes) -> None:
    response = live.post(body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert live.rows() == []


def test_a_body_over_the_size_limit_is_413(live: Live) -> None:
    realm = next(iter(live.tenants))
    events = [(realm, _change("Invoice", str(i))) for i in range(12_000)]
    body = json.dumps(legacy_body(events)).encode()
    assert len(body) > 1024 * 1024
    response = live.post(body)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit still holds while streaming
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    streamed = httpx.post(
        live.base + URL, content=chunks(), headers={"intuit-signature": sign(body, VERIFIER)}
    )
    assert streamed.status_code == 413
    assert live.rows() == []


def test_ids_given_as_integers_are_read_as_qbo_ids(live: Live) -> None:
    realm = next(iter(live.tenants))
    body = json.dumps(_cloud(intuitentityid=130)).replace('"REALM"', json.dumps(realm)).encode()
    response = live.post(body)
    assert response.status_code == 200 and response.json()["stored"] == 1
    assert [r[3] for r in live.rows()] == ["130"]
