"""Answer a query from the store's Id index: a page costs O(page), not O(company), for the queries that page by
Id (no ORDER BY, or ORDER BY Id) with Id ranges and the Active filters QBO applies to name lists. Anything else,
and any company whose ids the index cannot order exactly, is answered by ``run_query`` over every row."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timezone
from typing import Any

from integrations.quickbooks.sandbox.id_index import IdIndex, id_key
from integrations.quickbooks.sandbox.qbo_sql import (
    Condition,
    Query,
    coerce_literals,
    default_active_filter,
    keeps,
    page_response,
    run_query,
)
from integrations.quickbooks.sandbox.store import RealmStore

_RANGE_OPS = ("=", "<", ">", "<=", ">=")


def run_store_query(
    query: Query, store: RealmStore, tz: timezone, present: Callable[[dict[str, Any]], dict[str, Any]]
) -> dict[str, Any]:
    """The ``QueryResponse`` body for ``query`` over one company, exactly as ``run_query`` answers it."""
    index = store.order[query.entity]
    if not index.exact or query.order not in ([], [("Id", False)], [("Id", True)]):
        return run_query(query, store.all(query.entity), tz, present)
    descending = bool(query.order) and query.order[0][1]
    lo, hi = 0, len(index)
    rest: list[Condition] = []
    for condition in query.where:
        if condition.prop == "Id" and condition.op in _RANGE_OPS:
            lo, hi = index.span(condition.op, id_key(str(condition.values[0])), lo, hi)
        else:
            rest.append(condition)
    hi = max(lo, hi)
    positions = range(hi - 1, lo - 1, -1) if descending else range(lo, hi)
    if _all_pass(query, rest, index, tz):
        if query.count:
            return {"totalCount": len(positions)}
        chosen = positions[query.start - 1 : query.start - 1 + query.max_results]
        return page_response(query, store.in_id_order(query.entity, chosen), present)
    # The Id conditions hold for the whole range; the rest (and the default Active filter) row by row.
    unranged = Query(query.entity, where=rest)
    by_id = store.entities[query.entity]
    rows = (by_id[index.ids[at]] for at in positions)
    kept: Iterator[dict[str, Any]] = (row for row in rows if keeps(unranged, row, tz))
    if query.count:
        return {"totalCount": sum(1 for _ in kept)}
    page: list[dict[str, Any]] = []
    for number, row in enumerate(kept, start=1):
        if number >= query.start:
            page.append(row)
            if len(page) == query.max_results:
                break
    return page_response(query, page, present)


def _all_pass(query: Query, rest: list[Condition], index: IdIndex, tz: timezone) -> bool:
    """Whether every row in the range is in the answer, known from the index without reading a row."""
    if default_active_filter(query) and index.inactive:
        return False
    for condition in rest:
        # Active IN (true, false): every row with any Active value (each one reads as a boolean).
        if not (
            condition.prop == "Active"
            and condition.op == "in"
            and set(coerce_literals(condition, tz)) == {True, False}
            and not index.no_active
        ):
            return False
    return True
