"""Batch request items and per-item results (reference §4): up to 30 items, each answered or faulted alone."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from integrations.quickbooks.api.errors import QboError, QboProtocolError
from integrations.quickbooks.api.faults import error_from_fault

BATCH_MAX_ITEMS = 30
_OPERATIONS = frozenset({"create", "update", "delete", "void", "query"})


@dataclass(frozen=True, slots=True)
class BatchOp:
    operation: str
    entity: str | None = None
    payload: dict[str, Any] | None = None
    query: str | None = None
    bid: str = ""

    def __post_init__(self) -> None:
        if self.operation not in _OPERATIONS:
            raise ValueError(f"unknown batch operation {self.operation!r}")
        if self.operation == "query" and not self.query:
            raise ValueError("a query item needs the query text")
        if self.operation != "query" and (not self.entity or self.payload is None):
            raise ValueError("an entity item needs the entity name and payload")

    @classmethod
    def create(cls, entity: str, payload: dict[str, Any], bid: str = "") -> BatchOp:
        return cls("create", entity, payload, bid=bid)

    @classmethod
    def update(cls, entity: str, payload: dict[str, Any], bid: str = "") -> BatchOp:
        return cls("update", entity, payload, bid=bid)

    @classmethod
    def delete(cls, entity: str, entity_id: str, sync_token: str, bid: str = "") -> BatchOp:
        return cls("delete", entity, {"Id": entity_id, "SyncToken": sync_token}, bid=bid)

    @classmethod
    def void(cls, entity: str, entity_id: str, sync_token: str, bid: str = "") -> BatchOp:
        return cls("void", entity, {"Id": entity_id, "SyncToken": sync_token, "sparse": True}, bid=bid)

    @classmethod
    def select(cls, query: str, bid: str = "") -> BatchOp:
        return cls("query", query=query, bid=bid)

    def with_bid(self, bid: str) -> BatchOp:
        return replace(self, bid=bid)

    def to_request(self) -> dict[str, Any]:
        if self.operation == "query":
            return {"bId": self.bid, "Query": self.query}
        assert self.entity is not None  # guaranteed by __post_init__
        if self.operation == "void":
            # Void through batch is an update carrying optionsData=void (Intuit batch documentation).
            return {"bId": self.bid, "operation": "update", "optionsData": "void", self.entity: self.payload}
        return {"bId": self.bid, "operation": self.operation, self.entity: self.payload}


@dataclass(frozen=True, slots=True)
class BatchResult:
    bid: str
    entity: str | None
    data: dict[str, Any] | None
    error: QboError | None

    @property
    def ok(self) -> bool:
        return self.error is None


def parse_batch_response(
    data: dict[str, Any], ops: list[BatchOp], *, intuit_tid: str | None
) -> list[BatchResult]:
    """Correlate every ``BatchItemResponse`` with its op by ``bId``; a missing answer is an error, not a gap."""
    items = data.get("BatchItemResponse")
    if not isinstance(items, list):
        raise QboProtocolError("QuickBooks batch answer has no BatchItemResponse")
    by_bid = {str(item.get("bId")): item for item in items if isinstance(item, dict)}
    results: list[BatchResult] = []
    for op in ops:
        item = by_bid.get(op.bid)
        if item is None:
            missing = QboProtocolError(f"QuickBooks returned no answer for batch item {op.bid}")
            results.append(BatchResult(op.bid, op.entity, None, missing))
            continue
        error = error_from_fault(item, intuit_tid=intuit_tid)
        if error is not None:
            results.append(BatchResult(op.bid, op.entity, None, error))
        elif op.operation == "query":
            results.append(BatchResult(op.bid, None, item.get("QueryResponse") or {}, None))
        else:
            assert op.entity is not None
            results.append(BatchResult(op.bid, op.entity, item.get(op.entity), None))
    return results


__all__ = ["BATCH_MAX_ITEMS", "BatchOp", "BatchResult", "parse_batch_response"]
