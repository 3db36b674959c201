"""The sync API: role checks, status and health, errors retried and dismissed, conflicts resolved side by
side, account mappings versioned with suggestions, and the console page."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from domain.models import Account, AccountMapping, Role, SyncConflict, SyncJob, SyncJobStatus
from tests.api.conftest import TenantKeys


def _job(
    engine: Engine, tenant: TenantKeys, *, status: SyncJobStatus, error: str = "QuickBooks rejected it"
) -> str:
    with Session(engine) as s:
        job = SyncJob(
            tenant_id=tenant.tenant_id,
            entity="customer",
            entity_id=tenant.customer_id,
            operation="upsert",
            status=status,
            attempts=6,
            last_error=error,
            error_kind="validation",
        )
        s.add(job)
        s.commit()
        return job.id


def test_status_is_readable_by_technicians_but_changes_need_integration_rights(
    client: TestClient, tenant: TenantKeys
) -> None:
    status = client.get("/api/integrations/sync/status", headers=tenant.headers(Role.TECHNICIAN))
    assert status.status_code == 200
    body = status.json()
    assert body["health"] == "green" and body["pending"] == 0
    assert (
        client.post(
            "/api/integrations/sync", json={"direction": "push"}, headers=tenant.headers(Role.OFFICE)
        ).status_code
        == 403
    )
    assert client.get("/api/integrations/sync/status").status_code == 401
    now = client.post(
        "/api/integrations/sync", json={"direction": "both"}, headers=tenant.headers(Role.ADMIN)
    )
    assert now.status_code == 202
    # The seeded customer and two items were never synced: each gets a push job, plus a CDC poll.
    assert now.json() == {"pushes_queued": 3, "poll_queued": True}
    assert client.get("/api/integrations/sync/status", headers=tenant.headers()).json()["pending"] == 4


def test_dead_job_turns_health_red_and_can_be_retried_or_dismissed(
    client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys, api_engine: Engine
) -> None:
    dead = _job(api_engine, tenant, status=SyncJobStatus.DEAD)
    other = _job(api_engine, tenant, status=SyncJobStatus.DEAD, error="second")
    foreign = _job(api_engine, other_tenant, status=SyncJobStatus.DEAD)
    status = client.get("/api/integrations/sync/status", headers=tenant.headers()).json()
    assert status["health"] == "red" and status["dead"] == 2
    errors = client.get("/api/integrations/sync/errors", headers=tenant.headers()).json()
    assert {e["id"] for e in errors} == {dead, other}
    assert (
        client.post(f"/api/integrations/sync/errors/{foreign}/retry", headers=tenant.headers()).status_code
        == 404
    )
    retried = client.post(f"/api/integrations/sync/errors/{dead}/retry", headers=tenant.headers())
    assert (
        retried.status_code == 200
        and retried.json()["status"] == "pending"
        and retried.json()["attempts"] == 0
    )
    dismissed = client.delete(f"/api/integrations/sync/errors/{other}", headers=tenant.headers())
    assert dismissed.json()["status"] == "dismissed"
    assert (
        client.delete(f"/api/integrations/sync/errors/{other}", headers=tenant.headers()).status_code == 409
    )
    assert client.get("/api/integrations/sync/status", headers=tenant.headers()).json()["dead"] == 0


def test_retry_all(client: TestClient, tenant: TenantKeys, api_engine: Engine) -> None:
    for _ in range(3):
        _job(api_engine, tenant, status=SyncJobStatus.FAILED)
    assert client.post("/api/integrations/sync/errors/retry-all", headers=tenant.headers()).json() == {
        "retried": 3
    }
    assert client.get("/api/integrations/sync/errors", headers=tenant.headers()).json() == []


def test_conflict_shows_both_sides_and_resolving_queues_the_winner(
    client: TestClient, tenant: TenantKeys, api_engine: Engine
) -> None:
    with Session(api_engine) as s:
        conflict = SyncConflict(
            tenant_id=tenant.tenant_id,
            entity="customer",
            entity_id=tenant.customer_id,
            qbo_id="58",
            strategy="manual",
            local_values={"email": "ours@example.com"},
            remote_values={"email": "theirs@example.com"},
            local_checksum="a" * 64,
            remote_checksum="b" * 64,
        )
        s.add(conflict)
        s.commit()
        conflict_id = conflict.id
    listed = client.get("/api/integrations/conflicts", headers=tenant.headers(Role.TECHNICIAN)).json()
    assert listed[0]["local_values"] == {"email": "ours@example.com"}
    assert listed[0]["remote_values"] == {"email": "theirs@example.com"}
    assert (
        client.post(
            f"/api/integrations/conflicts/{conflict_id}/resolve",
            json={"chosen_value": "qbo"},
            headers=tenant.headers(Role.OFFICE),
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/integrations/conflicts/{conflict_id}/resolve",
            json={"chosen_value": "mine"},
            headers=tenant.headers(),
        ).status_code
        == 422
    )
    done = client.post(
        f"/api/integrations/conflicts/{conflict_id}/resolve",
        json={"chosen_value": "qbo"},
        headers=tenant.headers(),
    )
    assert done.status_code == 200 and done.json()["resolution"] == "qbo"
    with Session(api_engine) as s:
        job = s.scalars(select(SyncJob).where(SyncJob.tenant_id == tenant.tenant_id)).one()
        assert (job.direction.value, job.entity, job.entity_id, job.payload) == (
            "pull",
            "customer",
            "58",
            {"force": True},
        )
    assert client.get("/api/integrations/conflicts", headers=tenant.headers()).json() == []


def test_mappings_are_versioned_and_suggested(
    client: TestClient, tenant: TenantKeys, api_engine: Engine
) -> None:
    with Session(api_engine) as s:
        for qbo_id, name, kind in (
            ("80", "Labor Income", "Income"),
            ("81", "Materials Income", "Income"),
            ("90", "Cost of Materials", "Cost of Goods Sold"),
        ):
            s.add(Account(tenant_id=tenant.tenant_id, qbo_id=qbo_id, name=name, account_type=kind))
        s.commit()
    suggestions = client.get("/api/integrations/mappings/suggestions", headers=tenant.headers()).json()[
        "suggestions"
    ]
    best = {}
    for s_ in suggestions:
        best.setdefault(s_["label"], s_)
    assert best["Labor - Standard"]["account_name"] == "Labor Income"
    assert all(
        s_["account_qbo_id"] != "90" for s_ in suggestions
    )  # revenue suggestions are income accounts only
    item = tenant.item_ids["Labor - Standard"]
    first = client.put(
        "/api/integrations/mappings",
        headers=tenant.headers(),
        json={
            "mappings": [
                {"profile": "revenue", "source_kind": "item", "source_key": item, "account_qbo_id": "81"}
            ]
        },
    )
    assert first.status_code == 200 and first.json()[0]["version"] == 1
    second = client.put(
        "/api/integrations/mappings",
        headers=tenant.headers(),
        json={
            "mappings": [
                {"profile": "revenue", "source_kind": "item", "source_key": item, "account_qbo_id": "80"}
            ]
        },
    )
    assert second.json()[0]["version"] == 2
    assert (
        client.put(
            "/api/integrations/mappings",
            headers=tenant.headers(Role.OFFICE),
            json={
                "mappings": [
                    {"profile": "revenue", "source_kind": "item", "source_key": item, "account_qbo_id": "80"}
                ]
            },
        ).status_code
        == 403
    )
    active = client.get("/api/integrations/mappings", headers=tenant.headers()).json()
    assert [(m["account_qbo_id"], m["version"]) for m in active] == [("80", 2)]
    history = client.get("/api/integrations/mappings?include_retired=true", headers=tenant.headers()).json()
    assert sorted((m["account_qbo_id"], m["active"]) for m in history) == [("80", True), ("81", False)]
    # Each saved mapping is an audit row, with the account it replaced.
    audited = client.get("/api/audit", params={"entity": "account_mapping"}, headers=tenant.headers()).json()
    saved = [
        (r["before"], r["after"]["account"]) for r in audited["items"] if r["action"] == "sync.mapping.saved"
    ]
    assert saved == [(None, "81"), ({"account": "81", "version": 1}, "80")]
    with Session(api_engine) as s:
        assert len(s.scalars(select(AccountMapping)).all()) == 2
    remaining = client.get("/api/integrations/mappings/suggestions", headers=tenant.headers()).json()[
        "suggestions"
    ]
    assert all(s_["label"] != "Labor - Standard" for s_ in remaining)


def test_console_page_renders(client: TestClient) -> None:
    page = client.get("/console/sync")
    assert page.status_code == 200
    assert "Conflicts" in page.text and "/api/integrations/sync/status" in page.text


def test_write_offs_get_a_bad_debt_account_suggested_then_mapped(
    client: TestClient, tenant: TenantKeys, api_engine: Engine
) -> None:
    with Session(api_engine) as s:
        for qbo_id, name, kind in (
            ("70", "Bad Debts", "Expense"),
            ("71", "Office Supplies", "Expense"),
            ("72", "Bad Debt Recoveries", "Income"),
        ):
            s.add(Account(tenant_id=tenant.tenant_id, qbo_id=qbo_id, name=name, account_type=kind))
        s.commit()
    url = "/api/integrations/mappings/suggestions?profile=bad_debt"
    suggestions = client.get(url, headers=tenant.headers()).json()["suggestions"]
    assert suggestions[0]["account_name"] == "Bad Debts" and suggestions[0]["source_kind"] == "default"
    assert all(
        s_["account_qbo_id"] != "72" for s_ in suggestions
    )  # an income account cannot take the expense
    saved = client.put(
        "/api/integrations/mappings",
        headers=tenant.headers(),
        json={
            "mappings": [
                {"profile": "bad_debt", "source_kind": "default", "source_key": "*", "account_qbo_id": "70"}
            ]
        },
    )
    assert saved.status_code == 200
    assert client.get(url, headers=tenant.headers()).json()["suggestions"] == []  # mapped: nothing to suggest
