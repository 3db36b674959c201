"""Estimates: draft, send (with a signed customer link), mark approved / rejected, convert to an invoice."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.deps import ConverterDep, DrafterDep, ReaderDep, SenderDep, SessionDep, SettingsDep
from api.links import public_url
from api.pagination import CustomerQuery, ListingDep, Page
from api.schemas.sales import (
    EstimateApproveIn,
    EstimateConvertIn,
    EstimatePublic,
    EstimateRejectIn,
    EstimateSummary,
    InvoicePublic,
)
from domain.estimate_stages import statuses_for
from domain.models import Estimate, EstimateStatus
from domain.permissions import Permission, require
from domain.schemas import EstimateCreate, EstimateUpdate
from domain.services import estimates as svc
from domain.services.invoices import convert_estimate_to_invoice

router = APIRouter(prefix="/api/estimates", tags=["estimates"])


def _prices_overridden(data: EstimateCreate | EstimateUpdate) -> bool:
    """A technician drafts at catalog prices; any explicit price or markup is a price change."""
    return any(line.unit_price is not None or line.markup_percent is not None for line in (data.lines or []))


@router.get("", response_model=Page[EstimateSummary])
def list_estimates(
    listing: ListingDep,
    status: EstimateStatus | None = None,
    stage: Annotated[
        Literal["open", "pending", "accepted", "closed", "rejected"] | None,
        Query(description="open = pending or accepted (not yet invoiced); the same words as chat"),
    ] = None,
    customer_id: CustomerQuery = None,
) -> Page[EstimateSummary]:
    return listing.newest(
        EstimateSummary, Estimate, status=statuses_for(stage, status), customer_id=customer_id
    )


@router.post("", status_code=201)
def create_estimate(data: EstimateCreate, actor: DrafterDep, session: SessionDep) -> EstimatePublic:
    if _prices_overridden(data):
        require(actor, Permission.CHANGE_PRICES)
    return EstimatePublic.model_validate(svc.create_estimate(session, actor, data))


@router.get("/{estimate_id}")
def get_estimate(estimate_id: str, actor: ReaderDep, session: SessionDep) -> EstimatePublic:
    return EstimatePublic.model_validate(svc.get_estimate(session, actor.tenant_id, estimate_id))


@router.patch("/{estimate_id}")
def update_estimate(
    estimate_id: str, data: EstimateUpdate, actor: DrafterDep, session: SessionDep
) -> EstimatePublic:
    if _prices_overridden(data):
        require(actor, Permission.CHANGE_PRICES)
    return EstimatePublic.model_validate(svc.update_estimate(session, actor, estimate_id, data))


@router.post("/{estimate_id}/send")
def send_estimate(
    estimate_id: str, actor: SenderDep, session: SessionDep, settings: SettingsDep
) -> EstimatePublic:
    estimate = svc.send_estimate(session, actor, estimate_id)
    body = EstimatePublic.model_validate(estimate)
    body.public_url = public_url(
        settings, tenant_id=actor.tenant_id, kind="estimate", document_id=estimate.id
    )
    return body


@router.get("/{estimate_id}/link")
def estimate_link(
    estimate_id: str, actor: SenderDep, session: SessionDep, settings: SettingsDep
) -> dict[str, str]:
    estimate = svc.get_estimate(session, actor.tenant_id, estimate_id)
    return {"url": public_url(settings, tenant_id=actor.tenant_id, kind="estimate", document_id=estimate.id)}


@router.post("/{estimate_id}/approve")
def mark_approved(
    estimate_id: str, data: EstimateApproveIn, actor: SenderDep, session: SessionDep
) -> EstimatePublic:
    """Staff record an approval the customer gave outside the link (phone, paper)."""
    return EstimatePublic.model_validate(
        svc.approve_estimate(session, actor, estimate_id, signed_by=data.signed_by)
    )


@router.post("/{estimate_id}/reject")
def mark_rejected(
    estimate_id: str, data: EstimateRejectIn, actor: SenderDep, session: SessionDep
) -> EstimatePublic:
    return EstimatePublic.model_validate(svc.reject_estimate(session, actor, estimate_id, reason=data.reason))


@router.post("/{estimate_id}/convert-to-invoice", status_code=201)
def convert(
    estimate_id: str, actor: ConverterDep, session: SessionDep, data: EstimateConvertIn | None = None
) -> InvoicePublic:
    data = data or EstimateConvertIn()
    invoice = convert_estimate_to_invoice(
        session, actor, estimate_id, issue_date=data.issue_date, term_id=data.term_id
    )
    return InvoicePublic.model_validate(invoice)
