"""Who am I, the tenant's allowed widget origins, and short-lived embed tokens for the widget."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from api.deps import ActorDep, IntegrationDep, ReaderDep, SessionDep, SettingsDep, StateDep
from api.security.tokens import issue_embed_token
from domain.errors import PermissionDenied
from domain.models import Tenant
from domain.permissions import ROLE_PERMISSIONS
from domain.services.audit import record_audit

router = APIRouter(prefix="/api", tags=["identity"])


def _origin(value: str) -> str:
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.path not in ("", "/")
        or parts.query
    ):
        raise ValueError("an origin is scheme://host[:port], nothing after it")
    return f"{parts.scheme}://{parts.netloc}".lower()


Origin = Annotated[str, Field(max_length=200), AfterValidator(_origin)]


class MePublic(BaseModel):
    tenant_id: str
    tenant_name: str
    user_id: str | None
    name: str
    role: str
    permissions: list[str]
    credential: str


class OriginsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    allowed_origins: list[Origin] = Field(max_length=50)


class OriginsPublic(BaseModel):
    allowed_origins: list[str]


class EmbedTokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    origin: Origin


class EmbedTokenPublic(BaseModel):
    token: str
    expires_in: int
    origin: str
    script_url: str


@router.get("/me")
def me(actor: ActorDep, session: SessionDep, request: Request) -> MePublic:
    tenant = session.get(Tenant, actor.tenant_id)
    return MePublic(
        tenant_id=actor.tenant_id,
        tenant_name=tenant.name if tenant else "",
        user_id=actor.user_id,
        name=actor.name,
        role=actor.role.value,
        permissions=sorted(p.value for p in ROLE_PERMISSIONS[actor.role]),
        credential=getattr(request.state, "credential", "api_key"),
    )


@router.get("/tenant/allowed-origins")
def get_origins(actor: ReaderDep, session: SessionDep) -> OriginsPublic:
    tenant = session.get(Tenant, actor.tenant_id)
    return OriginsPublic(allowed_origins=list(tenant.allowed_origins or []) if tenant else [])


@router.put("/tenant/allowed-origins")
def set_origins(
    data: OriginsIn, actor: IntegrationDep, session: SessionDep, state: StateDep
) -> OriginsPublic:
    tenant = session.get(Tenant, actor.tenant_id)
    assert tenant is not None  # the actor was just loaded from it
    before = list(tenant.allowed_origins or [])
    tenant.allowed_origins = sorted(set(data.allowed_origins))
    session.flush()
    if before != tenant.allowed_origins:
        record_audit(
            session,
            actor,
            "tenant.allowed_origins.changed",
            "tenant",
            tenant.id,
            before={"allowed_origins": before},
            after={"allowed_origins": tenant.allowed_origins},
        )
    state.origins.invalidate()
    return OriginsPublic(allowed_origins=tenant.allowed_origins)


@router.post("/embed/tokens", status_code=201)
def embed_token(
    data: EmbedTokenIn, actor: ActorDep, session: SessionDep, settings: SettingsDep, request: Request
) -> EmbedTokenPublic:
    """Minted by the host app's backend with a user's API key; the token acts as that user, from that origin."""
    if getattr(request.state, "credential", "") != "api_key" or actor.user_id is None:
        raise PermissionDenied("Embed tokens are minted with an API key")
    tenant = session.get(Tenant, actor.tenant_id)
    if tenant is None or data.origin not in (tenant.allowed_origins or []):
        raise PermissionDenied(f"{data.origin} is not an allowed origin for this company", origin=data.origin)
    ttl = settings.embed_token_ttl_seconds
    token = issue_embed_token(
        settings.secret, tenant_id=actor.tenant_id, user_id=actor.user_id, origin=data.origin, ttl_seconds=ttl
    )
    # A credential was handed out: who, for which page and how long (never the token itself).
    record_audit(
        session,
        actor,
        "embed_token.issued",
        "user",
        actor.user_id,
        detail={"origin": data.origin, "expires_in": ttl, "scope": "chat"},
    )
    return EmbedTokenPublic(
        token=token,
        expires_in=ttl,
        origin=data.origin,
        script_url=f"{settings.base_url.rstrip('/')}/static/widget.js",
    )
