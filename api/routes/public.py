"""Customer pages behind signed, expiring links: view and approve (typed-name signature) or reject an estimate;
view an invoice and its status. No login: the link is the credential, so every failure looks the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from api.deps import SessionDep, SettingsDep
from api.security.tokens import LinkClaims, verify_link_token
from api.settings import Settings
from api.templating import get_templates
from domain.context import Actor
from domain.errors import AppError, Unauthenticated
from domain.models import Customer, Estimate, EstimateStatus, Invoice, Tenant
from domain.services import estimates as estimate_svc
from domain.services.common import get_scoped
from domain.services.invoices import get_invoice

router = APIRouter(prefix="/public", tags=["public"], include_in_schema=True)

SignedBy = Annotated[str, Form(min_length=1, max_length=200)]
Reason = Annotated[str, Form(max_length=2000)]
DECIDED = frozenset({EstimateStatus.APPROVED, EstimateStatus.REJECTED, EstimateStatus.CONVERTED})


def _claims(settings: Settings, token: str, kind: str) -> LinkClaims:
    if len(token) > 2000:
        raise Unauthenticated("The link is not valid")
    return verify_link_token(settings.secret, token, kind)


def _invalid_link(request: Request) -> HTMLResponse:
    return get_templates(request).TemplateResponse(
        request, "public_error.html", {"message": "This link is not valid or has expired."}, status_code=404
    )


def _page(
    request: Request,
    session: Session,
    estimate: Estimate,
    token: str,
    *,
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    customer = session.get(Customer, estimate.customer_id)
    tenant = session.get(Tenant, estimate.tenant_id)
    return get_templates(request).TemplateResponse(
        request,
        "public_estimate.html",
        {
            "estimate": estimate,
            "customer": customer,
            "company": tenant.name if tenant else "",
            "can_decide": estimate.status in (EstimateStatus.SENT, EstimateStatus.VIEWED),
            "token": token,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/estimates/{token}", response_class=HTMLResponse)
def view_estimate(token: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    try:
        claims = _claims(settings, token, "estimate")
        estimate = estimate_svc.get_estimate(session, claims.tenant_id, claims.document_id)
    except AppError:
        return _invalid_link(request)
    if estimate.status is EstimateStatus.DRAFT:
        return _invalid_link(request)  # a draft has not been sent; its link must not show it
    estimate = estimate_svc.mark_viewed(session, Actor.customer(claims.tenant_id, "link"), estimate.id)
    return _page(request, session, estimate, token)


def _decide(
    request: Request,
    session: Session,
    settings: Settings,
    token: str,
    done: str,
    act: Callable[[str, str], object],
) -> Response:
    """Run the customer's decision ``act(tenant_id, estimate_id)``; a loser of a race sees the estimate as decided."""
    try:
        claims = _claims(settings, token, "estimate")
        estimate = estimate_svc.get_estimate(session, claims.tenant_id, claims.document_id)
    except AppError:
        return _invalid_link(request)
    try:
        act(claims.tenant_id, estimate.id)
    except AppError as exc:
        session.rollback()
        estimate = get_scoped(session, Estimate, claims.tenant_id, claims.document_id)
        message = exc.message
        if estimate.status in DECIDED:
            message = f"This estimate was already {estimate.status.value}; nothing was changed."
        return _page(request, session, estimate, token, error=message, status_code=exc.status)
    # Post/redirect/get: a reload does not re-submit the signature.
    return RedirectResponse(f"/public/estimates/{token}?done={done}", status_code=303)


@router.post("/estimates/{token}/approve", response_class=HTMLResponse)
def approve_estimate(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, signed_by: SignedBy
) -> Response:
    ip = request.client.host if request.client else None

    def act(tenant_id: str, estimate_id: str) -> object:
        actor = Actor.customer(tenant_id, signed_by.strip())
        return estimate_svc.approve_estimate(session, actor, estimate_id, signed_by=signed_by, ip=ip)

    return _decide(request, session, settings, token, "approved", act)


@router.post("/estimates/{token}/reject", response_class=HTMLResponse)
def reject_estimate(
    token: str, request: Request, session: SessionDep, settings: SettingsDep, reason: Reason = ""
) -> Response:
    def act(tenant_id: str, estimate_id: str) -> object:
        actor = Actor.customer(tenant_id, "link")
        return estimate_svc.reject_estimate(session, actor, estimate_id, reason=reason)

    return _decide(request, session, settings, token, "rejected", act)


@router.get("/invoices/{token}", response_class=HTMLResponse)
def view_invoice(token: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    try:
        claims = _claims(settings, token, "invoice")
        invoice: Invoice = get_invoice(session, claims.tenant_id, claims.document_id)
    except AppError:
        return _invalid_link(request)
    customer = session.get(Customer, invoice.customer_id)
    tenant = session.get(Tenant, invoice.tenant_id)
    return get_templates(request).TemplateResponse(
        request,
        "public_invoice.html",
        {"invoice": invoice, "customer": customer, "company": tenant.name if tenant else ""},
    )
