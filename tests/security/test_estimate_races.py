"""Races on an estimate's lifecycle: approvals, rejections, conversion and edits, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.models import AuditLog, Estimate, Invoice, Role
from tests.security.conftest import Live
from tests.security.documents import approved_estimate, create_estimate, sent_estimate
from tests.security.race import race, statuses


def _actions(live: Live, estimate_id: str) -> list[str]:
    with Session(live.engine) as s:
        return list(
            s.scalars(
                select(AuditLog.action)
                .where(AuditLog.tenant_id == live.keys.tenant_id, AuditLog.entity_id == estimate_id)
                .order_by(AuditLog.seq)
            )
        )


def _decisions(live: Live, estimate_id: str) -> list[str]:
    return [a for a in _actions(live, estimate_id) if a in ("estimate.approved", "estimate.rejected")]


def _stored(live: Live, estimate_id: str) -> Estimate:
    with Session(live.engine) as s:
        estimate = s.get(Estimate, estimate_id)
        assert estimate is not None
        return estimate


def test_public_link_approvals_and_a_rejection_have_one_winner(live: Live) -> None:
    estimate, path = sent_estimate(live)

    def approve(client: httpx.Client) -> httpx.Response:
        return client.post(f"{path}/approve", data={"signed_by": "Jane Cooper"})

    def reject(client: httpx.Client) -> httpx.Response:
        return client.post(f"{path}/reject", data={"reason": "too expensive"})

    responses = race(live.base, [approve] * 6 + [reject])
    assert statuses(responses) == [303] + [409] * 6, [(r.status_code, r.text[:200]) for r in responses]
    losers = [r for r in responses if r.status_code == 409]
    assert all("already" in r.text for r in losers)
    assert all("text/html" in r.headers["content-type"] for r in losers)
    decided = _decisions(live, estimate["id"])
    assert len(decided) == 1
    stored = _stored(live, estimate["id"])
    if decided == ["estimate.approved"]:
        assert (stored.status.value, stored.rejected_reason) == ("approved", None)
        assert stored.approved_by == "Jane Cooper"
    else:
        assert (stored.status.value, stored.approved_by) == ("rejected", None)


def test_rest_approve_reject_approve_has_one_winner(live: Live) -> None:
    estimate, _path = sent_estimate(live)
    headers = live.keys.headers(Role.OWNER)
    url = f"/api/estimates/{estimate['id']}"

    def approve(client: httpx.Client) -> httpx.Response:
        return client.post(f"{url}/approve", json={"signed_by": "Jane Cooper"}, headers=headers)

    def reject(client: httpx.Client) -> httpx.Response:
        return client.post(f"{url}/reject", json={"reason": "went with another quote"}, headers=headers)

    responses = race(live.base, [approve, reject, approve])
    assert statuses(responses) == [200, 409, 409], [r.text for r in responses]
    assert all(
        r.headers["content-type"] == "application/problem+json" for r in responses if r.status_code == 409
    )
    assert len(_decisions(live, estimate["id"])) == 1
    stored = _stored(live, estimate["id"])
    assert (stored.approved_by is None) == (stored.status.value == "rejected")
    assert (stored.rejected_reason is None) == (stored.status.value == "approved")


def test_concurrent_conversions_make_one_invoice(live: Live) -> None:
    estimate = approved_estimate(live)
    headers = live.keys.headers(Role.OWNER)

    def convert(client: httpx.Client) -> httpx.Response:
        return client.post(f"/api/estimates/{estimate['id']}/convert-to-invoice", json={}, headers=headers)

    responses = race(live.base, [convert] * 5)
    assert statuses(responses) == [201, 409, 409, 409, 409], [r.text for r in responses]
    with Session(live.engine) as s:
        invoices = s.scalar(select(func.count()).where(Invoice.estimate_id == estimate["id"]))
    assert invoices == 1
    assert _actions(live, estimate["id"]).count("estimate.converted") == 1


def test_concurrent_edits_all_succeed_or_conflict(live: Live) -> None:
    estimate = create_estimate(live)
    headers = live.keys.headers(Role.OWNER)

    def edit(n: int) -> object:
        def call(client: httpx.Client) -> httpx.Response:
            return client.patch(
                f"/api/estimates/{estimate['id']}", json={"title": f"Revision {n}"}, headers=headers
            )

        return call

    responses = race(live.base, [edit(n) for n in range(30)])  # type: ignore[misc]
    assert set(statuses(responses)) <= {200, 409}, [r.text for r in responses if r.status_code >= 500]
    updates = _actions(live, estimate["id"]).count("estimate.updated")
    assert updates == sum(r.status_code == 200 for r in responses)
