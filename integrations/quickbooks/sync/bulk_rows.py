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

from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Connection, Dialect, Table, inspect
from sqlalchemy.orm import Session

from domain.db import Base

M = TypeVar("M", bound=Base)
_Default = tuple[str, bool, Any]
_Processor = Callable[[Any], Any]  # column key, whether it is a callable, the value or the callable


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
        parents.setdefault(_table(row), []).append(row.__dict__)
        relation = children.get(type(row))
        if relation is None:
            continue
        pairs = _pairs(type(row), relation)
        for child in getattr(row, relation):
            for local, remote in pairs:
                child.__dict__[remote] = row.__dict__[local]
            kids.setdefault(_table(child), []).append(child.__dict__)
    connection = session.connection()
    for batch in (parents, kids):
        for table, values in batch.items():
            insert_values(connection, table, values)


def insert_values(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """One executemany of ``rows`` (column key -> value; a column left out is NULL) straight to the driver.

    Each value goes through its column type's bind processor, as a Core insert would send it (an enum as its
    value, JSON as text, on SQLite a decimal as a number); the statement itself is built once per table. Going
    round Core's per-row parameter handling is what makes this several times faster for tens of thousands of
    rows. None is sent as SQL NULL for every type, JSON included (as the flush writes it, and what ``IS NULL``
    matches)."""
    if not rows:
        return
    sql, keys, processors = _statement(connection.dialect, table)
    params = [[row.get(key) for key in keys] for row in rows]
    for at, process in processors:  # column by column: most columns need no processing at all
        for values in params:
            value = values[at]
            if value is not None:
                values[at] = process(value)
    connection.exec_driver_sql(sql, [tuple(values) for values in params])


@cache
def _statement(
    dialect: Dialect, table: Table
) -> tuple[str, tuple[str, ...], tuple[tuple[int, _Processor], ...]]:
    """The positional INSERT of every column of ``table`` for ``dialect``, the column keys in its order, and the
    bind processor of each column (by position) that has one."""
    quote = dialect.identifier_preparer
    mark = "?" if dialect.paramstyle in ("qmark", "numeric") else "%s"
    keys = [c.key for c in table.columns]
    names = ", ".join(quote.quote(c.name) for c in table.columns)
    sql = f"INSERT INTO {quote.format_table(table)} ({names}) VALUES ({', '.join(mark for _ in keys)})"
    processors = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in table.columns]
    return sql, tuple(keys), tuple((at, p) for at, p in enumerate(processors) if p is not None)


def _table(obj: Base) -> Table:
    return obj.__table__  # type: ignore[return-value]


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
            found.append((column.key, True, default.arg))
    return tuple(found)


__all__ = ["build", "insert_rows", "insert_values"]
