"""Signed customer links to an estimate or invoice page."""

from __future__ import annotations

from api.security.tokens import issue_link_token
from api.settings import Settings


def public_url(settings: Settings, *, tenant_id: str, kind: str, document_id: str) -> str:
    token = issue_link_token(
        settings.secret,
        tenant_id=tenant_id,
        kind=kind,
        document_id=document_id,
        ttl_seconds=settings.public_link_ttl_days * 86400,
    )
    return f"{settings.base_url.rstrip('/')}/public/{kind}s/{token}"
