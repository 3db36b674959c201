"""The agreed base of every record an import brought in: its ``SyncState``, written in bulk.

Right after an import both sides hold the same version of a record, so its state is what a pull remembers
(``pull._remember``): the key-field checksums of the local row and of the QBO JSON, QBO's SyncToken and
LastUpdatedTime, and the checksum of the payload a push would send. The importer hands over each entity's rows
as it finishes them, still in memory, with the references it already holds; the states are read and written in
bulk (one select, one insert, one update per entity), so a company of tens of thousands of records costs seconds
rather than a query or two per record. A state that already says the same is not rewritten: a repeated import
writes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Numeric, Table, inspect, select, update
from sqlalchemy.orm import Session

from domain.db import Base, new_id, utcnow
from domain.models.catalog import Item
from domain.models.sync import SyncState
from domain.services.payment_methods import qbo_payment_methods
from domain.services.sync_checksums import checksum, local_key_fields
from integrations.quickbooks.entity_specs import SPECS
from integrations.quickbooks.mapping import lists as m
from integrations.quickbooks.sync.bulk_rows import insert_values
from integrations.quickbooks.sync.entities import last_updated, remote_key_fields, to_qbo
from integrations.quickbooks.sync.push import item_accounts, payload_checksum

_TABLE: Table = SyncState.__table__  # type: ignore[assignment]
Imported = dict[str, list[tuple[dict[str, Any], Base]]]  # entity -> (QBO JSON, the row now matching it)
# What decides whether a stored state already says the same (the value columns follow their checksums).
_COMPARED = (
    "qbo_id",
    "base_checksum",
    "remote_checksum",
    "remote_sync_token",
    "remote_updated_at",
    "payload_checksum",
)


def record_baselines(session: Session, tenant_id: str, imported: Imported, refs: m.Refs) -> int:
    """Save the state of every (QBO JSON, local row) pair, rows flushed; returns how many states were written.

    ``refs`` must know what the rows refer to (the importer's references at that point will do); payment
    methods are the stored ones, as a push resolves them.
    """
    refs = replace(refs, payment_methods=qbo_payment_methods(session, tenant_id))
    stored = {
        (row.entity, row.entity_id): row
        for row in session.execute(
            select(SyncState.id, SyncState.entity, SyncState.entity_id, *_columns()).where(
                SyncState.tenant_id == tenant_id, SyncState.entity.in_(list(imported))
            )
        )
    }
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for entity, pairs in imported.items():
        latest = {row.id: (obj, row) for obj, row in pairs}  # type: ignore[attr-defined]  # paged twice: once
        for entity_id, (obj, row) in latest.items():
            values = baseline(session, tenant_id, entity, obj, row, refs)
            have = stored.get((entity, entity_id))
            if have is None:
                inserts.append(
                    {"id": new_id(), "tenant_id": tenant_id, "entity": entity, "entity_id": entity_id}
                    | values
                    | {"synced_at": now}
                )
            elif any(getattr(have, name) != values[name] for name in _COMPARED if name in values):
                updates.append({"id": have.id, **values, "synced_at": now})
    if inserts:
        # Every column given (a payload checksum left out is NULL), straight to the driver: nothing here is
        # an object the session should know.
        insert_values(session.connection(), _TABLE, inserts)
    if updates:
        session.execute(update(SyncState), updates)
        _expire_loaded(session, {u["id"] for u in updates})
    return len(inserts) + len(updates)


def _expire_loaded(session: Session, ids: set[str]) -> None:
    """A bulk update leaves states already loaded in the session as they were: have them read again."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, SyncState) and obj.id in ids:
            session.expire(obj)


def baseline(
    session: Session, tenant_id: str, entity: str, obj: dict[str, Any], row: Base, refs: m.Refs
) -> dict[str, Any]:
    """The SyncState columns for a row that matches ``obj``; no payload checksum when none can be made (then
    a stored one is kept, as ``save_state`` does)."""
    local = local_key_fields(row)
    remote = remote_key_fields(entity, obj)
    values: dict[str, Any] = {
        "qbo_id": row.qbo_id,  # type: ignore[attr-defined]
        "base_values": local,
        "base_checksum": checksum(local),
        "remote_values": remote,
        "remote_checksum": checksum(remote),
        "remote_sync_token": str(obj.get("SyncToken", "0")),
        "remote_updated_at": last_updated(obj),
    }
    payload = None
    if SPECS[entity].pushable:
        for part in (row, *getattr(row, "lines", ()), *getattr(row, "applications", ())):
            as_stored(part)
        payload = push_payload(session, tenant_id, entity, row, refs)
    if payload is not None:
        values["payload_checksum"] = payload_checksum(payload)
    return values


def push_payload(
    session: Session, tenant_id: str, entity: str, row: Base, refs: m.Refs
) -> dict[str, Any] | None:
    """What a push of ``row`` would send (``entities.to_qbo``, and for an item the accounts ``push.prepare``
    adds), with references from ``refs`` instead of a lookup per record. ``None`` when the push could not be
    built as things stand (it would wait for a mapping or a reference first)."""
    try:
        payload = to_qbo(session, tenant_id, entity, row, refs)
    except m.MappingError:
        return None
    if isinstance(row, Item):
        accounts = item_accounts(session, tenant_id, row)
        if accounts is None:
            return None
        payload.update(accounts)
    return payload


def as_stored(obj: Base) -> None:
    """Give decimals the scale the database reads them back with (a quantity of 4 comes back as 4.0000): the
    payload checksum must be the one a push computes from the stored row. Only the representation changes, of a
    flushed value, so it is written straight into the loaded state (no history, nothing to flush)."""
    loaded = obj.__dict__
    for key, quantum, exponent in _scales(type(obj)):
        value = loaded.get(key)
        if isinstance(value, Decimal) and value.as_tuple().exponent != exponent:
            loaded[key] = value.quantize(quantum)


@cache
def _scales(model: type[Base]) -> tuple[tuple[str, Decimal, int], ...]:
    """(attribute, quantum, its exponent) of each fixed-scale numeric column of ``model``."""
    found = []
    for attr in inspect(model).column_attrs:
        kind = attr.columns[0].type
        if isinstance(kind, Numeric) and kind.asdecimal and kind.scale is not None:
            found.append((attr.key, Decimal(1).scaleb(-kind.scale), -kind.scale))
    return tuple(found)


def _columns() -> list[Any]:
    return [getattr(SyncState, name) for name in _COMPARED]


__all__ = ["Imported", "baseline", "push_payload", "record_baselines"]
