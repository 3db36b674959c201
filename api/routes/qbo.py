"""Connecting the tenant's QuickBooks company: authorize URL, the OAuth callback, status and disconnect."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from api.deps import IntegrationDep, QboDep, ReaderDep
from api.errors import problem_response
from api.templating import get_templates
from domain.errors import AppError
from integrations.quickbooks.oauth.token_store import ConnectionInfo, QboNotConnected

router = APIRouter(prefix="/api/integrations/quickbooks", tags=["quickbooks"])


class QboStatusPublic(BaseModel):
    connected: bool
    status: str
    realm_id: str | None = None
    environment: str | None = None
    access_expires_at: datetime | None = None
    refresh_days_left: int | None = None
    last_error: str | None = None


class AuthorizeUrlPublic(BaseModel):
    authorize_url: str


def status_public(info: ConnectionInfo) -> QboStatusPublic:
    return QboStatusPublic(
        connected=str(info.status) == "connected",
        status=str(info.status),
        realm_id=info.realm_id,
        environment=info.environment,
        access_expires_at=info.access_expires_at,
        refresh_days_left=info.refresh_days_left,
        last_error=info.last_error,
    )


@router.get("/status")
async def status(actor: ReaderDep, qbo: QboDep) -> QboStatusPublic:
    try:
        info = await qbo.tokens.info(actor.tenant_id)
    except QboNotConnected:
        return QboStatusPublic(connected=False, status="disconnected")
    return status_public(info)


@router.post("/connect")
async def connect(actor: IntegrationDep, qbo: QboDep) -> AuthorizeUrlPublic:
    url = await qbo.oauth.authorization_url(actor.tenant_id, actor.user_id)
    return AuthorizeUrlPublic(authorize_url=url)


@router.get("/callback", response_class=HTMLResponse)
async def callback(
    request: Request,
    state_value: Annotated[str, Query(alias="state", max_length=2000)] = "",
    code: Annotated[str | None, Query(max_length=2000)] = None,
    realm_id: Annotated[str | None, Query(alias="realmId", max_length=64)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
    *,
    qbo: QboDep,
) -> Response:
    """Intuit redirects the browser here; the signed, single-use ``state`` says which tenant asked.

    A refusal is problem+json, or the error page when a browser asks for HTML.
    """
    try:
        await qbo.oauth.complete(state=state_value, code=code, realm_id=realm_id, error=error)
    except AppError as exc:
        status = exc.status if 400 <= exc.status < 500 else 400
        if _wants_html(request):
            return get_templates(request).TemplateResponse(
                request,
                "public_error.html",
                {"message": f"QuickBooks was not connected: {exc.message}"},
                status_code=status,
            )
        return problem_response(status, {**exc.to_problem(), "status": status}, request)
    return RedirectResponse("/console?qbo=connected", status_code=303)


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/problem+json" not in accept


@router.post("/disconnect")
async def disconnect(actor: IntegrationDep, qbo: QboDep) -> QboStatusPublic:
    return status_public(await qbo.tokens.disconnect(actor.tenant_id, actor))
