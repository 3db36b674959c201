"""New rows for a large import: built without attribute events, inserted with one executemany per table.

The importer builds each new row as a plain (transient) model object, so the mapping, the comparisons and the
baselines read it like any other row; but constructing tens of thousands of them through the ORM's
instrumented setters, and saving them one by one through the session's flush, is what made a large import
slow. ``build`` writes a row's values straight into its loaded state (column defaults applied as construction
applies them, and the model's validators run as a set runs them), and ``insert_rows`` sends them through Core, parents before their children (lines,
applications), each child pointed at its parent. The rows never join the session: the caller reads them back
when it needs them as persistent objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import JSON, Table, insert, inspect
from sqlalchemy.orm import Session

from domain.db import Base

M = TypeVar("M", bound=Base)
_Default = tuple[str, bool, Any]  # column key, whether it is a callable, the value or the callable


def build(model: type[M], values: dict[str, Any], **children: list[Base]) -> M:
    """A transient ``model`` holding ``values`` (and each ``children`` collection as a plain list), with the
    column defaults ``Base.__init__`` would apply for what ``values`` leaves out. Nothing is tracked: it is for
    ``insert_rows``, not for the session."""
    obj: M = inspect(model).class_manager.new_instance()  # type: ignore[assignment]
    loaded = obj.__dict__
    for key, is_callable, arg in _defaults(model):
        if key not in values:
            loaded[key] = arg(None) if is_callable else arg
    loaded.update(values)
    loaded.update(children)
    for key, validate in _validators(model):  # e.g. a name keeps its name_key in step, however it is set
        if key in values:
            loaded[key] = validate(obj, key, values[key])
    return obj


def insert_rows(session: Session, rows: list[Base], children: dict[type[Base], str]) -> None:
    """Insert ``rows`` (not in any session) and the objects in their ``children[type]`` collection."""
    parents: dict[Table, list[dict[str, Any]]] = {}
    kids: dict[Table, list[dict[str, Any]]] = {}
    for row in rows:
        parents.setdefault(_table(row), []).append(_values(row))
        relation = children.get(type(row))
        if relation is None:
            continue
        pairs = _pairs(type(row), relation)
        for child in getattr(row, relation):
            for local, remote in pairs:
                child.__dict__[remote] = row.__dict__[local]
            kids.setdefault(_table(child), []).append(_values(child))
    connection = session.connection()
    for batch in (parents, kids):
        for table, values in batch.items():
            for group in _by_null_json(table, values):
                connection.execute(insert(table), group)


def _by_null_json(table: Table, values: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    """The rows grouped so a JSON column that is None is left out of its INSERT: SQL NULL, as the flush writes
    it. Passed as None it would be stored as JSON ``null``, which ``IS NULL`` does not match."""
    json_keys = _json_keys(table)
    if not json_keys:
        return [values]
    groups: dict[frozenset[str], list[dict[str, Any]]] = {}
    for row in values:
        absent = frozenset(k for k in json_keys if row.get(k) is None)
        groups.setdefault(absent, []).append(
            {k: v for k, v in row.items() if k not in absent} if absent else row
        )
    return groups.values()


def _table(obj: Base) -> Table:
    return obj.__table__  # type: ignore[return-value]


def _values(obj: Base) -> dict[str, Any]:
    """Every column's value on ``obj``: a column never set is NULL, as the flush would have written it."""
    loaded = obj.__dict__
    return {column: loaded.get(attr) for attr, column in _columns(type(obj))}


@cache
def _columns(model: type[Base]) -> tuple[tuple[str, str], ...]:
    """(attribute, column) key of each column of ``model``."""
    return tuple((attr.key, attr.columns[0].key) for attr in inspect(model).column_attrs)


@cache
def _pairs(model: type[Base], relation: str) -> tuple[tuple[str, str], ...]:
    """(parent attribute, child attribute) pairs joining ``model`` to its ``relation`` collection."""
    pairs = inspect(model).relationships[relation].local_remote_pairs
    return tuple((str(local.key), str(remote.key)) for local, remote in pairs)


@cache
def _validators(model: type[Base]) -> tuple[tuple[str, Callable[[Any, str, Any], Any]], ...]:
    """The model's ``@validates`` methods by attribute: they run on every set, so ``build`` runs them too."""
    validators: dict[str, tuple[Any, Any]] = dict(inspect(model).validators)
    return tuple((key, method) for key, (method, _options) in validators.items())


@cache
def _json_keys(table: Table) -> tuple[str, ...]:
    return tuple(c.key for c in table.columns if isinstance(c.type, JSON))


@cache
def _defaults(model: type[Base]) -> tuple[_Default, ...]:
    """The column defaults ``Base.__init__`` applies at construction, as (key, is callable, value)."""
    found: list[_Default] = []
    for column in model.__table__.columns:
        default = column.default
        if default is None:
            continue
        if default.is_scalar:
            found.append((column.key, False, default.arg))
        elif default.is_callable:
            call: Callable[[Any], Any] = default.arg
            found.append((column.key, True, call))
    return tuple(found)


__all__ = ["build", "insert_rows"]
