"""Reading QBO webhook bodies — the legacy ``eventNotifications`` object and the CloudEvents array — strictly.

A signed body that is not one of the two shapes (wrong types at any level, missing ids, fields longer than we
store) is refused as a whole with a clear message, so a bad delivery changes nothing. Well-formed events we do
not follow (another CloudEvents namespace, an entity we do not sync) are read and left to the store to skip.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from domain.errors import ValidationFailed
from integrations.quickbooks.entity_specs import spec_for_qbo

_PAST_TENSE = {
    "created": "Create",
    "updated": "Update",
    "deleted": "Delete",
    "voided": "Void",
    "emailed": "Emailed",
    "merged": "Merge",
}


def _id_text(value: Any) -> Any:
    """QBO sends ids as strings; accept an integer too, but never a float, bool, list or object."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


# The lengths are those of the sync_webhook_events columns, so a stored event always fits.
Realm = Annotated[str, BeforeValidator(_id_text), StringConstraints(strict=True, min_length=1, max_length=32)]
EntityId = Annotated[
    str, BeforeValidator(_id_text), StringConstraints(strict=True, min_length=1, max_length=32)
]
Text = Annotated[str, StringConstraints(strict=True, max_length=40)]
Name = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=32)]


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


class _LegacyEntity(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: Name
    id: EntityId
    operation: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=16)] = "Update"
    lastUpdated: Text = ""
    deletedId: EntityId | None = None


class _DataChangeEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")
    entities: list[_LegacyEntity]


class _Notification(BaseModel):
    model_config = ConfigDict(extra="ignore")
    realmId: Realm
    dataChangeEvent: _DataChangeEvent


class _Legacy(BaseModel):
    model_config = ConfigDict(extra="ignore")
    eventNotifications: list[_Notification]


class _CloudEventData(BaseModel):
    model_config = ConfigDict(extra="ignore")
    deletedid: EntityId | None = None
    deletedId: EntityId | None = None


class _CloudEvent(BaseModel):
    """The CloudEvents 1.0 required attributes plus Intuit's extensions; ``data`` may be absent."""

    model_config = ConfigDict(extra="ignore")
    specversion: Annotated[str, StringConstraints(strict=True, pattern=r"^1\.\d+$")]
    id: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=200)]
    source: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=500)]
    type: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=100)]
    time: Text = ""
    intuitaccountid: Realm
    intuitentityid: EntityId
    data: _CloudEventData | None = None


_CLOUD_EVENTS = TypeAdapter(list[_CloudEvent])


def parse_events(raw_body: bytes) -> list[EntityEvent]:
    """Legacy ``{"eventNotifications": [...]}`` or a CloudEvents array; anything else is a ValidationFailed."""
    try:
        data = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        # RecursionError: a body nested thousands deep is hostile, not a notification.
        raise ValidationFailed("webhook body is not JSON (or is nested too deeply)") from exc
    try:
        if isinstance(data, dict) and "eventNotifications" in data:
            return _legacy(_Legacy.model_validate(data))
        if isinstance(data, list):
            return _cloudevents(_CLOUD_EVENTS.validate_python(data))
    except PydanticValidationError as exc:
        raise ValidationFailed(
            f"webhook body is malformed: {_first_error(exc)}", errors=exc.error_count()
        ) from exc
    raise ValidationFailed("webhook body is neither a legacy notification nor a CloudEvents array")


def _first_error(exc: PydanticValidationError) -> str:
    first = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return f"{where}: {first['msg']}"


def _legacy(body: _Legacy) -> list[EntityEvent]:
    return [
        EntityEvent(
            realm_id=note.realmId,
            entity=ent.name,
            qbo_id=ent.id,
            operation=ent.operation,
            occurred_at=ent.lastUpdated,
            deleted_id=ent.deletedId,
            source_format="legacy",
        )
        for note in body.eventNotifications
        for ent in note.dataChangeEvent.entities
    ]


def _cloudevents(items: list[_CloudEvent]) -> list[EntityEvent]:
    events: list[EntityEvent] = []
    for ev in items:
        parts = ev.type.split(".")  # qbo.invoice.updated.v1
        if len(parts) < 3 or parts[0] != "qbo" or not parts[1] or len(parts[1]) > 32:
            continue  # a well-formed event from another namespace: not ours to follow
        spec = spec_for_qbo(parts[1])
        entity = spec.qbo if spec else parts[1][:1].upper() + parts[1][1:]
        data = ev.data or _CloudEventData()
        events.append(
            EntityEvent(
                realm_id=ev.intuitaccountid,
                entity=entity,
                qbo_id=ev.intuitentityid,
                operation=_PAST_TENSE.get(parts[2], parts[2].title())[:16],
                occurred_at=ev.time,
                deleted_id=data.deletedid or data.deletedId,
                source_format="cloudevents",
            )
        )
    return events


__all__ = ["EntityEvent", "parse_events"]
