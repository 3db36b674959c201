"""Races on money: write-offs, payments and voids, over real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.models import AuditLog, Invoice, Payment, Role, WriteOff
from tests.security.conftest import Live
from tests.security.documents import create_invoice, record_payment
from tests.security.race import race, statuses


def _audit_rows(live: Live, action: str, entity_id: str) -> int:
    with Session(live.engine) as s:
        return int(
            s.scalar(
                select(func.count()).where(
                    AuditLog.tenant_id == live.keys.tenant_id,
                    AuditLog.action == action,
                    AuditLog.entity_id == entity_id,
                )
            )
            or 0
        )


def test_concurrent_write_offs_write_off_once(live: Live) -> None:
    invoice = create_invoice(live)
    headers = live.keys.headers(Role.OWNER)
    url = f"/api/invoices/{invoice['id']}/write-off"

    def write_off(client: httpx.Client) -> httpx.Response:
        return client.post(url, json={"reason": "customer moved away"}, headers=headers)

    responses = race(live.base, [write_off] * 4)
    assert statuses(responses) == [201, 409, 409, 409], [r.text for r in responses]
    with Session(live.engine) as s:
        rows = s.scalars(select(WriteOff).where(WriteOff.invoice_id == invoice["id"])).all()
        assert [r.amount for r in rows] == [Decimal(invoice["total"])]
        stored = s.get(Invoice, invoice["id"])
        assert stored is not None
        assert (stored.status.value, stored.written_off, stored.balance_due) == (
            "written_off",
            Decimal(invoice["total"]),
            Decimal("0.00"),
        )
    assert _audit_rows(live, "invoice.written_off", invoice["id"]) == 1


def test_write_off_racing_a_payment_never_over_applies(live: Live) -> None:
    invoice = create_invoice(live)
    headers = live.keys.headers(Role.OWNER)
    total = invoice["total"]

    def write_off(client: httpx.Client) -> httpx.Response:
        return client.post(
            f"/api/invoices/{invoice['id']}/write-off", json={"reason": "bad debt"}, headers=headers
        )

    def pay(client: httpx.Client) -> httpx.Response:
        body = {
            "customer_id": live.keys.customer_id,
            "amount": total,
            "payment_date": invoice["issue_date"],
            "applications": [{"invoice_id": invoice["id"], "amount": total}],
        }
        return client.post("/api/payments", json=body, headers=headers)

    responses = race(live.base, [write_off, pay, write_off, pay])
    assert statuses(responses) == [201, 409, 409, 409], [r.text for r in responses]
    with Session(live.engine) as s:
        stored = s.get(Invoice, invoice["id"])
        assert stored is not None
        assert stored.amount_paid + stored.written_off == Decimal(total)
        assert stored.balance_due == 0
        write_offs = s.scalar(select(func.count()).where(WriteOff.invoice_id == invoice["id"]))
        payments = s.scalar(select(func.count()).where(Payment.tenant_id == live.keys.tenant_id))
        assert (write_offs or 0) + (payments or 0) == 1


def test_concurrent_payment_voids_void_once(live: Live) -> None:
    invoice = create_invoice(live)
    payment = record_payment(live, invoice, invoice["total"])
    headers = live.keys.headers(Role.OWNER)

    def void(client: httpx.Client) -> httpx.Response:
        return client.post(f"/api/payments/{payment['id']}/void", json={"reason": "bounced"}, headers=headers)

    responses = race(live.base, [void] * 3)
    assert statuses(responses) == [200, 409, 409], [r.text for r in responses]
    assert _audit_rows(live, "payment.voided", payment["id"]) == 1
    assert _audit_rows(live, "payment.unapplied", payment["id"]) == 1
    with Session(live.engine) as s:
        stored = s.get(Invoice, invoice["id"])
        assert stored is not None
        assert (stored.amount_paid, stored.balance_due) == (Decimal("0.00"), Decimal(invoice["total"]))


def test_concurrent_invoices_get_distinct_numbers(live: Live) -> None:
    headers = live.keys.headers(Role.OWNER)
    labor = live.keys.item_ids["Labor - Standard"]
    body = {
        "customer_id": live.keys.customer_id,
        "lines": [{"type": "labor", "name": "Labor - Standard", "item_id": labor, "quantity": "1"}],
    }

    def create(client: httpx.Client) -> httpx.Response:
        return client.post("/api/invoices", json=body, headers=headers)

    responses = race(live.base, [create] * 5)
    assert statuses(responses) == [201] * 5, [r.text for r in responses]
    assert len({r.json()["doc_number"] for r in responses}) == 5
