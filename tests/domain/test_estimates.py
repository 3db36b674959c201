from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from domain.context import Actor
from domain.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from domain.models import AuditLog, EstimateStatus, LineType, SyncJob, Tenant
from domain.schemas import EstimateCreate, EstimateUpdate, LineCreate
from domain.services.estimates import (
    approve_estimate,
    create_estimate,
    expire_due_estimates,
    get_estimate,
    mark_viewed,
    reject_estimate,
    send_estimate,
    update_estimate,
)
from tests.domain.conftest import TODAY, Shop
from tests.factories import make_customer, make_tenant

D = Decimal


def audit_actions(shop: Shop, entity_id: str) -> list[str]:
    return list(
        shop.session.scalars(
            select(AuditLog.action).where(AuditLog.entity_id == entity_id).order_by(AuditLog.seq)
        )
    )


def test_draft_is_priced_by_the_domain_from_the_catalog(shop: Shop) -> None:
    est = shop.estimate()
    assert est.status is EstimateStatus.DRAFT
    assert est.doc_number == "5001"
    labor, heater = est.lines
    assert (labor.quantity, labor.unit_price, labor.line_subtotal) == (D("3.5"), D("110.00"), D("385.00"))
    assert (heater.markup_percent, heater.markup_amount, heater.line_subtotal) == (
        D("20"),
        D("190.00"),
        D("1140.00"),
    )
    assert est.subtotal == D("1525.00")
    assert est.tax_total == D("94.05")  # 8.25 % of the taxable heater line only
    assert est.total == D("1619.05")
    assert est.valid_until == TODAY + timedelta(days=30)
    assert audit_actions(shop, est.id) == ["estimate.created"]


def test_full_lifecycle_is_audited_and_queued_for_sync(shop: Shop) -> None:
    est = shop.estimate()
    send_estimate(shop.session, shop.office, est.id, today=TODAY)
    mark_viewed(shop.session, Actor.customer(shop.tenant.id, "link"), est.id)
    mark_viewed(shop.session, Actor.customer(shop.tenant.id, "link"), est.id)  # reopening changes nothing
    approve_estimate(
        shop.session,
        Actor.customer(shop.tenant.id, "Jane"),
        est.id,
        signed_by="Jane Cooper",
        ip="10.0.0.1",
        today=TODAY,
    )
    assert est.status is EstimateStatus.APPROVED
    assert est.approved_by == "Jane Cooper" and est.approval_ip == "10.0.0.1" and est.approved_at is not None
    assert audit_actions(shop, est.id) == [
        "estimate.created",
        "estimate.sent",
        "estimate.viewed",
        "estimate.approved",
    ]
    jobs = shop.session.scalars(select(SyncJob).where(SyncJob.entity_id == est.id)).all()
    assert {j.operation for j in jobs} == {"upsert", "send"}


@pytest.mark.parametrize(
    ("setup", "action"),
    [
        ("draft", "approve"),
        ("approved", "send"),
        ("approved", "reject"),
        ("rejected", "send"),
        ("rejected", "approve"),
    ],
)
def test_illegal_transitions_raise_and_change_nothing(shop: Shop, setup: str, action: str) -> None:
    est = shop.estimate()
    if setup == "approved":
        est = shop.approved_estimate()
    elif setup == "rejected":
        reject_estimate(shop.session, shop.office, est.id, reason="too expensive")
    before_status, before_audit = est.status, len(audit_actions(shop, est.id))
    with pytest.raises(InvalidTransition):
        if action == "approve":
            approve_estimate(shop.session, shop.office, est.id, signed_by="x", today=TODAY)
        elif action == "send":
            send_estimate(shop.session, shop.office, est.id, today=TODAY)
        else:
            reject_estimate(shop.session, shop.office, est.id, reason="no")
    shop.session.refresh(est)
    assert est.status is before_status
    assert len(audit_actions(shop, est.id)) == before_audit


def test_approved_prices_are_locked(shop: Shop) -> None:
    est = shop.approved_estimate()
    with pytest.raises(InvalidTransition, match="locked"):
        update_estimate(shop.session, shop.office, est.id, EstimateUpdate(lines=shop.lines(hours="1")))
    assert est.total == D("1619.05")


def test_editing_a_sent_estimate_sends_it_back_to_draft(shop: Shop) -> None:
    est = shop.estimate()
    send_estimate(shop.session, shop.office, est.id, today=TODAY)
    update_estimate(shop.session, shop.office, est.id, EstimateUpdate(lines=shop.lines(hours="2.25")))
    assert est.status is EstimateStatus.DRAFT
    assert est.lines[0].quantity == D("2.5")


def test_expiry_moves_open_estimates_only(shop: Shop) -> None:
    open_one = shop.estimate(valid_until=TODAY + timedelta(days=1))
    approved = shop.approved_estimate()
    expired = expire_due_estimates(shop.session, shop.owner, today=TODAY + timedelta(days=40))
    assert [e.id for e in expired] == [open_one.id]
    assert open_one.status is EstimateStatus.EXPIRED
    assert approved.status is EstimateStatus.APPROVED


def test_a_lapsed_estimate_cannot_be_approved(shop: Shop) -> None:
    est = shop.estimate(valid_until=TODAY)
    send_estimate(shop.session, shop.office, est.id, today=TODAY)
    with pytest.raises(InvalidTransition, match="expired"):
        approve_estimate(shop.session, shop.office, est.id, signed_by="Jane", today=TODAY + timedelta(days=1))


def test_technician_drafts_at_catalog_prices_but_cannot_override(shop: Shop) -> None:
    data = EstimateCreate(customer_id=shop.customer.id, lines=shop.lines(), txn_date=TODAY)
    assert create_estimate(shop.session, shop.technician, data, today=TODAY).total == D("1619.05")
    cheap = [
        LineCreate(
            type=LineType.MATERIAL, name="Heater", quantity=D(1), item_id=shop.heater.id, unit_price=D("500")
        )
    ]
    with pytest.raises(ValidationFailed, match="catalog prices"):
        create_estimate(
            shop.session,
            shop.technician,
            EstimateCreate(customer_id=shop.customer.id, lines=cheap),
            today=TODAY,
        )
    with pytest.raises(PermissionDenied):
        send_estimate(shop.session, shop.technician, shop.estimate().id, today=TODAY)


def test_office_may_override_price_and_tax_exempt_customer_pays_no_tax(shop: Shop) -> None:
    exempt = make_customer(shop.session, shop.tenant, name="Riverside School District", tax_exempt=True)
    lines = [
        LineCreate(
            type=LineType.MATERIAL,
            name="Heater",
            quantity=D(1),
            item_id=shop.heater.id,
            unit_price=D("900"),
            markup_percent=D("10"),
        )
    ]
    est = create_estimate(
        shop.session, shop.office, EstimateCreate(customer_id=exempt.id, lines=lines), today=TODAY
    )
    assert est.lines[0].line_subtotal == D("990.00")
    assert est.tax_total == D("0.00") and est.total == D("990.00")


def test_other_tenants_estimates_are_not_found(shop: Shop) -> None:
    est = shop.estimate()
    other: Tenant = make_tenant(shop.session, name="Other Co")
    with pytest.raises(NotFound):
        get_estimate(shop.session, other.id, est.id)
    intruder = Actor(tenant_id=other.id, user_id=None, role=shop.owner.role, name="intruder")
    with pytest.raises(NotFound):
        send_estimate(shop.session, intruder, est.id, today=TODAY)


def test_customer_from_another_tenant_cannot_be_used(shop: Shop) -> None:
    other = make_tenant(shop.session, name="Other Co")
    stranger = make_customer(shop.session, other, name="Stranger")
    with pytest.raises(NotFound):
        create_estimate(
            shop.session,
            shop.office,
            EstimateCreate(customer_id=stranger.id, lines=shop.lines()),
            today=TODAY,
        )


def test_ai_origin_and_rationale_are_kept(shop: Shop) -> None:
    lines = shop.lines()
    lines[0] = lines[0].model_copy(update={"rationale": "3.5 h quoted by the technician"})
    est = create_estimate(
        shop.session,
        shop.technician,
        EstimateCreate(
            customer_id=shop.customer.id,
            lines=lines,
            ai_origin={"prompt": "swap heater", "model": "offline", "confidence": 0.9},
        ),
        today=TODAY,
    )
    assert est.ai_origin == {"prompt": "swap heater", "model": "offline", "confidence": 0.9}
    assert est.lines[0].rationale == "3.5 h quoted by the technician"


def test_input_validation_is_clear() -> None:
    with pytest.raises(ValueError, match="greater than 0"):
        LineCreate(type=LineType.MATERIAL, name="x", quantity=D(0))
    with pytest.raises(ValueError):
        EstimateCreate(customer_id="c", lines=[])
    with pytest.raises(ValueError):
        EstimateCreate(
            customer_id="c", lines=[LineCreate(type=LineType.FEE, name="x", quantity=D(1))], surprise=1
        )  # type: ignore[call-arg]
    assert date  # keep import for readability of dates above
