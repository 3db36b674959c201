"""The estimate lifecycle: draft → sent → viewed → approved → converted; rejected / expired from open states.

Approved prices are locked. Every transition is checked against one table, audited, and queued for QBO; an
illegal one raises :class:`InvalidTransition` before anything changes.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.context import Actor
from domain.db import utcnow
from domain.errors import ConcurrentChange, InvalidTransition, ValidationFailed
from domain.models.catalog import Customer
from domain.models.sales import Estimate, EstimateLine, EstimateStatus
from domain.permissions import Permission, require
from domain.schemas import EstimateCreate, EstimateUpdate
from domain.services.audit import record_audit
from domain.services.common import (
    company_today,
    find_by_doc_number,
    get_scoped,
    get_tenant,
    save_if_unchanged,
)
from domain.services.lines import PricedDocument, line_columns, price_requested_lines
from domain.services.numbering import next_doc_number
from domain.services.outbox import enqueue_sync
from domain.services.snapshots import snapshot

S = EstimateStatus
OPEN_STATES = frozenset({S.DRAFT, S.SENT, S.VIEWED})
EDITABLE_STATES = OPEN_STATES
ALLOWED: dict[EstimateStatus, frozenset[EstimateStatus]] = {
    S.DRAFT: frozenset({S.SENT, S.REJECTED, S.EXPIRED}),
    S.SENT: frozenset({S.VIEWED, S.APPROVED, S.REJECTED, S.EXPIRED, S.DRAFT}),
    S.VIEWED: frozenset({S.APPROVED, S.REJECTED, S.EXPIRED, S.DRAFT}),
    S.APPROVED: frozenset({S.CONVERTED}),
    S.REJECTED: frozenset(),
    S.CONVERTED: frozenset(),
    S.EXPIRED: frozenset(),
}


def _check(estimate: Estimate, target: EstimateStatus, reason: str = "") -> None:
    if target not in ALLOWED[estimate.status]:
        raise InvalidTransition(
            "Estimate", estimate.doc_number or estimate.id, estimate.status.value, target.value, reason
        )


def _apply_priced(estimate: Estimate, priced: PricedDocument) -> None:
    estimate.lines.clear()
    for position, (line, req) in enumerate(zip(priced.lines, priced.requests, strict=True), start=1):
        estimate.lines.append(
            EstimateLine(
                tenant_id=estimate.tenant_id,
                position=position,
                **line_columns(line),
                group_id=req.group_id,
                rationale=req.rationale,
            )
        )
    estimate.subtotal = priced.totals.subtotal
    estimate.discount_total = priced.totals.discount_total
    estimate.tax_total = priced.totals.tax_total
    estimate.total = priced.totals.total
    estimate.tax_rate_id = priced.tax_rate_id
    estimate.tax_rate_percent = priced.tax_rate_percent


def estimate_snapshot(estimate: Estimate) -> dict[str, object]:
    data = snapshot(estimate)
    data["lines"] = [snapshot(line) for line in estimate.lines]
    return data


def create_estimate(
    session: Session, actor: Actor, data: EstimateCreate, *, today: date | None = None
) -> Estimate:
    require(actor, Permission.DRAFT_ESTIMATE)
    customer = get_scoped(session, Customer, actor.tenant_id, data.customer_id)
    if not customer.active:
        raise ValidationFailed(f"customer '{customer.display_name}' is inactive", customer_id=customer.id)
    tenant = get_tenant(session, actor.tenant_id)
    txn_date = data.txn_date or today or company_today(session, actor.tenant_id)
    valid_until = data.valid_until or txn_date + timedelta(days=tenant.estimate_valid_days)
    if valid_until < txn_date:
        raise ValidationFailed("valid_until cannot be before the estimate date")
    priced = price_requested_lines(session, actor, customer, data.lines, tax_rate_id=data.tax_rate_id)
    estimate = Estimate(
        tenant_id=actor.tenant_id,
        doc_number=next_doc_number(session, Estimate, actor.tenant_id),
        customer_id=customer.id,
        status=S.DRAFT,
        title=data.title,
        description=data.description,
        txn_date=txn_date,
        valid_until=valid_until,
        customer_notes=data.customer_notes,
        internal_notes=data.internal_notes,
        created_by_user_id=actor.user_id,
        ai_origin=data.ai_origin,
    )
    session.add(estimate)
    _apply_priced(estimate, priced)
    session.flush()
    record_audit(
        session, actor, "estimate.created", "estimate", estimate.id, after=estimate_snapshot(estimate)
    )
    return estimate


def update_estimate(session: Session, actor: Actor, estimate_id: str, data: EstimateUpdate) -> Estimate:
    require(actor, Permission.DRAFT_ESTIMATE)
    estimate = get_scoped(session, Estimate, actor.tenant_id, estimate_id, lock=True)
    if estimate.status not in EDITABLE_STATES:
        raise InvalidTransition(
            "Estimate",
            estimate.doc_number or estimate.id,
            estimate.status.value,
            "edited",
            "its prices are locked" if estimate.status in (S.APPROVED, S.CONVERTED) else "it is closed",
        )
    before = estimate_snapshot(estimate)
    changes = data.model_dump(exclude_unset=True, exclude={"lines"})
    for key, value in changes.items():
        setattr(estimate, key, value)
    if data.lines is not None:
        customer = get_scoped(session, Customer, actor.tenant_id, estimate.customer_id)
        _apply_priced(
            estimate,
            price_requested_lines(session, actor, customer, data.lines, tax_rate_id=estimate.tax_rate_id),
        )
        if estimate.status is not S.DRAFT:
            # The customer saw other numbers: the revised estimate has to be sent again.
            estimate.status = S.DRAFT
    save_if_unchanged(session, estimate, "status")
    record_audit(
        session,
        actor,
        "estimate.updated",
        "estimate",
        estimate.id,
        before=before,
        after=estimate_snapshot(estimate),
    )
    if estimate.qbo_id:
        enqueue_sync(session, actor.tenant_id, "estimate", estimate.id)
    return estimate


def _transition(
    session: Session, actor: Actor, estimate: Estimate, target: EstimateStatus, action: str, **detail: object
) -> Estimate:
    before = {"status": estimate.status.value}
    estimate.status = target
    # Only from the state it was read in: of two racing transitions exactly one lands.
    save_if_unchanged(session, estimate, "status")
    record_audit(
        session,
        actor,
        action,
        "estimate",
        estimate.id,
        before=before,
        after={"status": target.value},
        detail=detail or None,
    )
    enqueue_sync(session, actor.tenant_id, "estimate", estimate.id)
    return estimate


def _ensure_not_lapsed(estimate: Estimate, target: EstimateStatus, today: date) -> None:
    if estimate.valid_until is not None and estimate.valid_until < today:
        raise InvalidTransition(
            "Estimate",
            estimate.doc_number or estimate.id,
            estimate.status.value,
            target.value,
            f"it expired on {estimate.valid_until.isoformat()}",
        )


def send_estimate(session: Session, actor: Actor, estimate_id: str, *, today: date | None = None) -> Estimate:
    require(actor, Permission.SEND_DOCUMENTS)
    estimate = get_scoped(session, Estimate, actor.tenant_id, estimate_id, lock=True)
    if estimate.status in (S.SENT, S.VIEWED):
        # Re-sending is allowed (a lost email) and keeps the state.
        estimate.sent_at = utcnow()
        save_if_unchanged(session, estimate, "status")
        record_audit(session, actor, "estimate.resent", "estimate", estimate.id)
        enqueue_sync(session, actor.tenant_id, "estimate", estimate.id, "send")
        return estimate
    _check(estimate, S.SENT)
    _ensure_not_lapsed(estimate, S.SENT, today or company_today(session, actor.tenant_id))
    if not estimate.lines:
        raise ValidationFailed("an estimate without lines cannot be sent")
    estimate.sent_at = utcnow()
    _transition(session, actor, estimate, S.SENT, "estimate.sent")
    enqueue_sync(session, actor.tenant_id, "estimate", estimate.id, "send")
    return estimate


def mark_viewed(session: Session, actor: Actor, estimate_id: str) -> Estimate:
    """The customer opened the link. Opening it again, or after approval, changes nothing."""
    estimate = get_scoped(session, Estimate, actor.tenant_id, estimate_id, lock=True)
    if estimate.status is not S.SENT:
        return estimate
    estimate.viewed_at = utcnow()
    try:
        return _transition(session, actor, estimate, S.VIEWED, "estimate.viewed")
    except ConcurrentChange:
        # Decided (or viewed) by someone else meanwhile: the page shows whatever it is now.
        session.refresh(estimate)
        return estimate


def approve_estimate(
    session: Session,
    actor: Actor,
    estimate_id: str,
    *,
    signed_by: str,
    ip: str | None = None,
    today: date | None = None,
    at: datetime | None = None,
    method: str | None = None,
) -> Estimate:
    """Customer acceptance (typed-name signature) or staff marking it approved; locks the prices.

    ``method`` is how the customer said yes when staff record it ("phone", "in person"); a customer's own
    acceptance on the public page is a "signature"."""
    if not actor.is_customer:
        require(actor, Permission.SEND_DOCUMENTS)
    if not signed_by.strip():
        raise ValidationFailed("approval needs the signer's name")
    estimate = get_scoped(session, Estimate, actor.tenant_id, estimate_id, lock=True)
    _check(estimate, S.APPROVED)
    _ensure_not_lapsed(estimate, S.APPROVED, today or company_today(session, actor.tenant_id))
    estimate.approved_at = at or utcnow()
    estimate.approved_by = signed_by.strip()[:200]
    estimate.approval_ip = ip
    estimate.approval_method = "signature" if actor.is_customer else ((method or "").strip()[:40] or None)
    return _transition(
        session,
        actor,
        estimate,
        S.APPROVED,
        "estimate.approved",
        signed_by=estimate.approved_by,
        method=estimate.approval_method,
        ip=ip,
        total=str(estimate.total),
    )


def reject_estimate(session: Session, actor: Actor, estimate_id: str, *, reason: str) -> Estimate:
    if not actor.is_customer:
        require(actor, Permission.SEND_DOCUMENTS)
    estimate = get_scoped(session, Estimate, actor.tenant_id, estimate_id, lock=True)
    _check(estimate, S.REJECTED)
    estimate.rejected_reason = reason.strip()[:2000] or None
    return _transition(
        session, actor, estimate, S.REJECTED, "estimate.rejected", reason=estimate.rejected_reason
    )


def expire_due_estimates(session: Session, actor: Actor, *, today: date) -> list[Estimate]:
    """Move every open estimate whose valid_until has passed to expired."""
    due = session.scalars(
        select(Estimate)
        .where(
            Estimate.tenant_id == actor.tenant_id,
            Estimate.status.in_([s.value for s in OPEN_STATES]),
            Estimate.valid_until < today,
        )
        .with_for_update()
    ).all()
    return [
        _transition(session, actor, e, S.EXPIRED, "estimate.expired", valid_until=str(e.valid_until))
        for e in due
    ]


def get_estimate(session: Session, tenant_id: str, estimate_id: str) -> Estimate:
    return get_scoped(session, Estimate, tenant_id, estimate_id)


def get_estimate_by_number(session: Session, tenant_id: str, doc_number: str) -> Estimate:
    return find_by_doc_number(session, Estimate, tenant_id, doc_number)


def mark_converted(session: Session, actor: Actor, estimate: Estimate, invoice_id: str) -> Estimate:
    _check(estimate, S.CONVERTED)
    return _transition(session, actor, estimate, S.CONVERTED, "estimate.converted", invoice_id=invoice_id)
