"""Server-rendered pages for staff: the console, and the widget's frame (``/embed``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import SessionDep, SettingsDep
from api.identity import load_user_actor
from api.security.tokens import verify_embed_token
from api.templating import get_templates
from domain.errors import AppError
from domain.models import Tenant

router = APIRouter(include_in_schema=False)

# The console is never framed; the widget frame only by the host page its token names.
NO_FRAMING = {"Content-Security-Policy": "frame-ancestors 'none'", "X-Frame-Options": "DENY"}


@router.get("/")
def index() -> RedirectResponse:
    return RedirectResponse("/console")


@router.get("/console", response_class=HTMLResponse)
def console(request: Request) -> HTMLResponse:
    return get_templates(request).TemplateResponse(request, "console.html", {}, headers=NO_FRAMING)


@router.get("/embed", response_class=HTMLResponse)
def embed(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str, Query(max_length=4000)] = "",
) -> HTMLResponse:
    templates = get_templates(request)
    try:
        claims = verify_embed_token(settings.secret, token)
        actor = load_user_actor(session, tenant_id=claims.tenant_id, user_id=claims.user_id)
        tenant = session.get(Tenant, claims.tenant_id)
        if tenant is None or claims.origin not in (tenant.allowed_origins or []):
            raise AppError("origin not allowed")
    except AppError:
        return templates.TemplateResponse(
            request,
            "public_error.html",
            {"message": "This assistant link is not valid or has expired."},
            status_code=401,
            headers=NO_FRAMING,
        )
    headers = {"Content-Security-Policy": f"frame-ancestors {claims.origin}"}
    return templates.TemplateResponse(
        request,
        "embed.html",
        {"config": {"token": token}, "company": tenant.name, "user_name": actor.name},
        headers=headers,
    )
