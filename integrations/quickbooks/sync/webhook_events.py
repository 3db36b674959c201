"""QBO webhook notifications: signature check, both payload formats, deduplication, queueing.

Nothing here talks to QBO: the receiver must answer within 3 seconds, so events are stored and a pull job is
queued per entity; the worker fetches later. Duplicates (QBO redelivers, and one change can be reported in both
formats during the CloudEvents migration) collapse on the key realm|entity|id|operation|time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.digests import same_secret
from domain.errors import ValidationFailed
from domain.models.connection import QboConnection
from domain.models.sync import WebhookEvent
from domain.services.outbox import enqueue_pull
from integrations.quickbooks.entity_specs import spec_for_qbo

SIGNATURE_HEADER = "intuit-signature"
_PAST_TENSE = {
    "created": "Create",
    "updated": "Update",
    "deleted": "Delete",
    "voided": "Void",
    "emailed": "Emailed",
    "merged": "Merge",
}


@dataclass(frozen=True, slots=True)
class EntityEvent:
    realm_id: str
    entity: str  # QBO's name, e.g. "Invoice"
    qbo_id: str
    operation: str  # Create | Update | Delete | Merge | Void | Emailed
    occurred_at: str
    deleted_id: str | None
    source_format: str

    @property
    def dedup_key(self) -> str:
        raw = "|".join(
            (self.realm_id, self.entity.lower(), self.qbo_id, self.operation.lower(), self.occurred_at)
        )
        return hashlib.sha256(raw.encode()).hexdigest()


def sign(raw_body: bytes, verifier_token: str) -> str:
    mac = hmac.new(verifier_token.encode(), raw_body, hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def verify_signature(raw_body: bytes, signature: str | None, verifier_token: str) -> bool:
    """HMAC-SHA256 of the exact raw body with the verifier token, base64; compared in constant time."""
    if not signature or not verifier_token:
        return False
    return same_secret(signature.strip(), sign(raw_body, verifier_token))


def parse_events(raw_body: bytes) -> list[EntityEvent]:
    """Legacy ``{"eventNotifications": [...]}`` or a CloudEvents array; anything else is refused."""
    try:
        data = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed("webhook body is not JSON") from exc
    if isinstance(data, dict) and isinstance(data.get("eventNotifications"), list):
        return _legacy(data["eventNotifications"])
    if isinstance(data, list):
        return _cloudevents(data)
    raise ValidationFailed("webhook body is neither a legacy notification nor a CloudEvents array")


def _legacy(notifications: list[Any]) -> list[EntityEvent]:
    events: list[EntityEvent] = []
    for note in notifications:
        if not isinstance(note, dict):
            continue
        realm = str(note.get("realmId") or "")
        for ent in (note.get("dataChangeEvent") or {}).get("entities") or []:
            if not isinstance(ent, dict) or not ent.get("name") or ent.get("id") is None:
                continue
            events.append(
                EntityEvent(
                    realm_id=realm,
                    entity=str(ent["name"]),
                    qbo_id=str(ent["id"]),
                    operation=str(ent.get("operation") or "Update"),
                    occurred_at=str(ent.get("lastUpdated") or ""),
                    deleted_id=str(ent["deletedId"]) if ent.get("deletedId") is not None else None,
                    source_format="legacy",
                )
            )
    return events


def _cloudevents(items: list[Any]) -> list[EntityEvent]:
    events: list[EntityEvent] = []
    for ev in items:
        if not isinstance(ev, dict):
            continue
        parts = str(ev.get("type") or "").split(".")  # qbo.invoice.updated.v1
        if len(parts) < 3 or parts[0] != "qbo":
            continue
        spec = spec_for_qbo(parts[1])
        entity = spec.qbo if spec else parts[1][:1].upper() + parts[1][1:]
        entity_id = ev.get("intuitentityid")
        if entity_id is None:
            continue
        raw_data = ev.get("data")
        data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
        deleted = data.get("deletedid") or data.get("deletedId")
        events.append(
            EntityEvent(
                realm_id=str(ev.get("intuitaccountid") or ""),
                entity=entity,
                qbo_id=str(entity_id),
                operation=_PAST_TENSE.get(parts[2], parts[2].title()),
                occurred_at=str(ev.get("time") or ""),
                deleted_id=str(deleted) if deleted is not None else None,
                source_format="cloudevents",
            )
        )
    return events


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
        if tenant_id is None:
            result.unknown_realm += 1
            continue
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
