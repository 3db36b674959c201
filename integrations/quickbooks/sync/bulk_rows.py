"""Insert rows built in memory with one executemany per table, bypassing the unit of work.

The importer builds new rows as plain (transient) model objects, so the mapping, the comparisons and the
baselines work on them as before; saving them one by one through the session's flush is what made a large
import slow. Parents go in before their children (lines, applications), each child pointed at its parent.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Table, insert, inspect
from sqlalchemy.orm import Session

from domain.db import Base


def insert_rows(session: Session, rows: list[Base], children: dict[type[Base], str]) -> None:
    """Insert ``rows`` (not in any session) and the objects in their ``children[type]`` collection."""
    parents: dict[Table, list[dict[str, Any]]] = {}
    kids: dict[Table, list[dict[str, Any]]] = {}
    for row in rows:
        parents.setdefault(_table(row), []).append(_values(row))
        relation = children.get(type(row))
        if relation is None:
            continue
        pairs = inspect(type(row)).relationships[relation].local_remote_pairs
        for child in getattr(row, relation):
            for local, remote in pairs:
                setattr(child, str(remote.key), getattr(row, str(local.key)))
            kids.setdefault(_table(child), []).append(_values(child))
    for batch in (parents, kids):
        for table, values in batch.items():
            for group in _by_null_json(table, values):
                session.execute(insert(table), group)


def _by_null_json(table: Table, values: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The rows grouped so a JSON column that is None is left out of its INSERT: SQL NULL, as the flush writes
    it. Passed as None it would be stored as JSON ``null``, which ``IS NULL`` does not match."""
    json_keys = [c.key for c in table.columns if isinstance(c.type, JSON)]
    groups: dict[frozenset[str], list[dict[str, Any]]] = {}
    for row in values:
        absent = frozenset(k for k in json_keys if row.get(k) is None)
        groups.setdefault(absent, []).append({k: v for k, v in row.items() if k not in absent})
    return list(groups.values())


def _table(obj: Base) -> Table:
    return obj.__table__  # type: ignore[return-value]


def _values(obj: Base) -> dict[str, Any]:
    """Every column's value on ``obj``: construction applied the column defaults (no model has a server
    default), so a column never set is NULL, as the flush would have written it."""
    loaded = obj.__dict__
    return {attr.columns[0].key: loaded.get(attr.key) for attr in inspect(type(obj)).column_attrs}


__all__ = ["insert_rows"]
