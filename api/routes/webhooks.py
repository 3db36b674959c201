"""QuickBooks webhook receiver: verify, deduplicate, queue, answer — well inside QBO's 3-second limit.

The signature is an HMAC-SHA256 of the raw body with the app's verifier token (base64, header
``intuit-signature``), compared in constant time. Both the legacy and the CloudEvents bodies are read; each
event goes to the tenant connected to its realm. No QBO request is made here; the sync worker fetches.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker

from api.deps import SettingsDep, StateDep
from domain.errors import Unauthenticated
from integrations.quickbooks.sync.webhook_events import (
    SIGNATURE_HEADER,
    EntityEvent,
    StoreResult,
    parse_events,
    store_events,
    verify_signature,
)

router = APIRouter(prefix="/api/integrations/quickbooks", tags=["quickbooks"])


class WebhookAck(BaseModel):
    received: int
    stored: int
    duplicates: int
    queued: int
    unknown_realm: int = Field(description="Events for a company no tenant is connected to (skipped)")


def _store(sessions: sessionmaker[Session], events: list[EntityEvent]) -> StoreResult:
    with sessions() as session, session.begin():
        return store_events(session, events)


@router.post("/webhook", response_model=WebhookAck)
async def receive_webhook(request: Request, state: StateDep, settings: SettingsDep) -> WebhookAck:
    raw = await request.body()
    secret = settings.qbo_webhook_verifier_token
    token = secret.get_secret_value() if secret is not None else ""
    if not verify_signature(raw, request.headers.get(SIGNATURE_HEADER), token):
        raise Unauthenticated("The webhook signature does not match this app's verifier token")
    events = parse_events(raw)
    result = await asyncio.to_thread(_store, state.sessionmaker, events)
    return WebhookAck(
        received=len(events),
        stored=result.stored,
        duplicates=result.duplicates,
        queued=result.queued,
        unknown_realm=result.unknown_realm,
    )
