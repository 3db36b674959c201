"""QBO webhook notifications: signature check, both payload formats, deduplication, queueing.

Nothing here talks to QBO: the receiver must answer within 3 seconds, so events are stored and a pull job is
queued per entity; the worker fetches later. Duplicates (QBO redelivers, and one change can be reported in both
formats during the CloudEvents migration) collapse on the key realm|entity|id|operation|time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.digests import same_secret
from domain.models.connection import QboConnection
from domain.models.sync import WebhookEvent
from domain.services.outbox import enqueue_pull
from integrations.quickbooks.entity_specs import spec_for_qbo
from integrations.quickbooks.sync.webhook_payloads import EntityEvent, parse_events

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "intuit-signature"


def sign(raw_body: bytes, verifier_token: str) -> str:
    mac = hmac.new(verifier_token.encode(), raw_body, hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def verify_signature(raw_body: bytes, signature: str | None, verifier_token: str) -> bool:
    """HMAC-SHA256 of the exact raw body with the verifier token, base64; compared in constant time."""
    if not signature or not verifier_token:
        return False
    return same_secret(signature.strip(), sign(raw_body, verifier_token))


@dataclass
class StoreResult:
    stored: int = 0
    duplicates: int = 0
    queued: int = 0
    unknown_realm: int = 0


def store_events(session: Session, events: list[EntityEvent]) -> StoreResult:
    """Record new events and queue a pull for each; flushes only (the request commits)."""
    result = StoreResult()
    tenants: dict[str, str | None] = {}
    for event in events:
        if event.realm_id not in tenants:
            tenants[event.realm_id] = session.scalar(
                select(QboConnection.tenant_id).where(QboConnection.realm_id == event.realm_id)
            )
        tenant_id = tenants[event.realm_id]
        if tenant_id is None:
            # One delivery can mix companies: an unknown one is skipped, never an error for the others.
            result.unknown_realm += 1
            continue
        key = event.dedup_key
        if session.scalar(select(WebhookEvent.id).where(WebhookEvent.dedup_key == key)) is not None:
            result.duplicates += 1
            continue
        row = WebhookEvent(
            dedup_key=key,
            tenant_id=tenant_id,
            realm_id=event.realm_id,
            entity=event.entity,
            qbo_id=event.qbo_id,
            operation=event.operation,
            occurred_at=event.occurred_at,
            deleted_id=event.deleted_id,
            source_format=event.source_format,
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            result.duplicates += 1  # the same event arriving concurrently through another request
            continue
        result.stored += 1
        spec = spec_for_qbo(event.entity)
        if spec is None:
            continue
        if event.operation == "Merge" and event.deleted_id:
            job = enqueue_pull(
                session, tenant_id, spec.name, event.qbo_id, {"deleted_id": event.deleted_id}, "merge"
            )
        else:
            job = enqueue_pull(session, tenant_id, spec.name, event.qbo_id)
        row.job_id = job.id
        result.queued += 1
    session.flush()
    if result.unknown_realm:
        unknown = sorted(realm for realm, tenant in tenants.items() if tenant is None)
        log.warning("webhook: skipped %d event(s) for unknown realm(s) %s", result.unknown_realm, unknown)
    return result


__all__ = [
    "SIGNATURE_HEADER",
    "EntityEvent",
    "StoreResult",
    "parse_events",
    "sign",
    "store_events",
    "verify_signature",
]
