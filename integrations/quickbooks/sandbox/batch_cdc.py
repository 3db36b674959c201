"""``/batch`` (up to 30 independent items, per-item Faults) and ``/cdc`` (changes since a moment, ≤ 30 days;
read from the store's LastUpdatedTime indexes, so a request costs what changed, not the company)."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from integrations.quickbooks.sandbox import faults, lifecycle
from integrations.quickbooks.sandbox.change_index import ChangeIndex
from integrations.quickbooks.sandbox.paging import run_store_query
from integrations.quickbooks.sandbox.qbo_sql import parse_query
from integrations.quickbooks.sandbox.rules import Books
from integrations.quickbooks.sandbox.state import Sandbox, present
from integrations.quickbooks.sandbox.store import Entity, canonical_entity
from integrations.quickbooks.sandbox.wire import parse_qbo_datetime

CDC_LOOKBACK = timedelta(days=30)
CDC_MAX_OBJECTS = 1000
_NO_CDC = {"TaxCode", "TaxRate"}


def write(
    sandbox: Sandbox, realm_id: str, entity: str, operation: str, body: Entity, *, allow_dup: bool = False
) -> Entity:
    """One write as the entity endpoint or a batch item names it; returns the response entity."""
    if operation in ("update", "delete", "void") and body.get("Id"):
        sandbox.maybe_user_edit(realm_id, entity, body)

    def action(books: Books) -> Entity:
        if operation == "create":
            return present(books.create(entity, body))
        if operation == "update":
            return present(books.update(entity, body))
        if operation == "delete":
            return lifecycle.delete(books, entity, body)
        if operation == "void":
            return present(lifecycle.void(books, entity, body))
        raise faults.unsupported_operation(operation)

    return sandbox.run(realm_id, action, allow_duplicate_doc_number=allow_dup)


def query(sandbox: Sandbox, realm_id: str, text: str) -> dict[str, Any]:
    parsed = parse_query(text, sandbox.config.max_query_results)
    with sandbox.lock:
        return run_store_query(parsed, sandbox.realm(realm_id), sandbox.clock.tz, present)


def _batch_item(sandbox: Sandbox, realm_id: str, item: dict[str, Any]) -> dict[str, Any]:
    if "Query" in item:
        return {"QueryResponse": query(sandbox, realm_id, str(item["Query"]))}
    entity_keys = [key for key in item if canonical_entity(key) == key]
    if len(entity_keys) != 1 or not isinstance(item[entity_keys[0]], dict):
        raise faults.required_param("BatchItemRequest.IntuitObject")
    entity = entity_keys[0]
    operation = str(item.get("operation", "")).lower()
    if operation == "update" and str(item.get("optionsData", "")).lower() == "void":
        operation = "void"
    if operation not in ("create", "update", "delete", "void"):
        raise faults.unsupported_operation(f"{operation or '(none)'} in batch")
    return {entity: write(sandbox, realm_id, entity, operation, item[entity])}


def run_batch(sandbox: Sandbox, realm_id: str, payload: Any) -> list[dict[str, Any]]:
    items = payload.get("BatchItemRequest") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not items:
        raise faults.required_param("BatchItemRequest")
    limit = sandbox.config.limits.batch_max_items
    if len(items) > limit:
        raise faults.business(f"A batch request can contain at most {limit} items; it had {len(items)}.")
    responses = []
    for item in items:  # serially and independently: one failing item does not undo the others
        if not isinstance(item, dict) or not item.get("bId"):
            raise faults.required_param("BatchItemRequest.bId")
        try:
            result = _batch_item(sandbox, realm_id, item)
        except faults.QboFault as fault:
            result = {"Fault": fault.fault_json()}
        responses.append({**result, "bId": item["bId"]})
    return responses


def _tagged(
    index: ChangeIndex, since: datetime, rank: int, kind: int, entity: str
) -> Iterator[tuple[datetime, int, int, int, str, str]]:
    for stamp, seq, entity_id in index.since(since):
        yield stamp, rank, kind, seq, entity, entity_id


def cdc(
    sandbox: Sandbox, realm_id: str, entities_param: str | None, changed_since: str | None
) -> list[dict[str, Any]]:
    if not entities_param:
        raise faults.required_param("entities")
    if not changed_since:
        raise faults.required_param("changedSince")
    names = []
    for raw in entities_param.split(","):
        entity = canonical_entity(raw.strip())
        if entity is None or entity in _NO_CDC:
            raise faults.query_invalid(f"CDC is not supported for entity '{raw.strip()}'")
        names.append(entity)
    tz = sandbox.clock.tz
    try:
        # An unencoded "+" in the offset arrives as a space.
        since = parse_qbo_datetime(changed_since.replace(" ", "+"), tz).replace(microsecond=0)
    except ValueError as exc:
        raise faults.query_invalid(f"invalid changedSince '{changed_since}'") from exc
    if since < sandbox.clock.now() - CDC_LOOKBACK:
        raise faults.query_invalid("changedSince cannot be more than 30 days in the past")
    found: list[tuple[str, Entity]] = []
    with sandbox.lock:
        store = sandbox.realm(realm_id)
        # Each entity's changes and deletions come out of their indexes oldest first; merged on (stamp, entity,
        # live before deleted, first stored), the order a stable sort of a scan of the company gave.
        streams = [
            _tagged(index, since, rank, kind, entity)
            for rank, entity in enumerate(names)
            for kind, index in ((0, store.changes[entity]), (1, store.deletions[entity]))
        ]
        for _stamp, _rank, kind, _seq, entity, entity_id in islice(heapq.merge(*streams), CDC_MAX_OBJECTS):
            if kind == 0:
                found.append((entity, present(store.entities[entity][entity_id])))
            else:
                when = store.deleted[entity][entity_id]
                stub = {
                    "Id": entity_id,
                    "status": "Deleted",
                    "domain": "QBO",
                    "MetaData": {"LastUpdatedTime": when},
                }
                found.append((entity, stub))
    blocks: list[dict[str, Any]] = []
    for entity in names:
        rows = [obj for name, obj in found if name == entity]
        blocks.append({entity: rows, "startPosition": 1, "maxResults": len(rows)} if rows else {})
    return [{"QueryResponse": blocks}]
